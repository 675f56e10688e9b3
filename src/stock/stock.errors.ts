import type { StockErrorCode } from "./enums.js";

export type { StockErrorCode } from "./enums.js";

export interface StockErrorDetails {
  sku?: string;
  warehouse?: string;
  requested?: number;
  available?: number;
  currentVersion?: number;
}

/**
 * A business rule said no. Thrown inside a transaction it rolls the whole
 * change back; the API turns it into a `StockError` in the payload. It is an
 * answer, not a fault, so it carries no stack: capturing one cost every
 * refused reserve of a sold-out product a few microseconds, and nothing
 * reads it.
 */
export class StockRefusal extends Error {
  /** Further refusals of the same request (one per short line, say), answered beside this one. */
  others: StockRefusal[] = [];

  constructor(
    readonly code: StockErrorCode,
    message: string,
    readonly details: StockErrorDetails = {},
  ) {
    const depth = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = depth;
    this.name = "StockRefusal";
  }

  /** This refusal with `others` beside it. */
  with(others: StockRefusal[]): this {
    this.others = others;
    return this;
  }
}

/** The caller's role may not do this with this input (e.g. a return naming no order): FORBIDDEN. */
export class NotPermitted extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotPermitted";
  }
}

/** The request itself is malformed (a limit of docs/design.md): BAD_USER_INPUT, nothing is attempted. */
export class InputRejected extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "InputRejected";
  }
}

export const refuse = {
  productNotFound: (sku: string) => new StockRefusal("PRODUCT_NOT_FOUND", `no product with sku "${sku}"`, { sku }),
  warehouseNotFound: (code: string) =>
    new StockRefusal("WAREHOUSE_NOT_FOUND", `no active warehouse with code "${code}"`, { warehouse: code }),
  reservationNotFound: (orderId: string) =>
    new StockRefusal("RESERVATION_NOT_FOUND", `no reservation for order "${orderId}"`),
  lotRequired: (sku: string, warehouse: string, why: string) => new StockRefusal("LOT_REQUIRED", why, { sku, warehouse }),
  /** No warehouse, or set of warehouses the policy allows, can serve a line the service was to allocate. */
  unallocated: (sku: string, requested: number, available: number, policy: { strategy: string; split: string }) =>
    new StockRefusal(
      "INSUFFICIENT_STOCK",
      `only ${available} of "${sku}" can be served ${policy.split === "NEVER" ? "from one warehouse" : "across the active warehouses"} (allocation ${policy.strategy}/${policy.split}), ${requested} requested`,
      { sku, requested, available },
    ),
  insufficient: (sku: string, warehouse: string, requested: number, available: number) =>
    new StockRefusal(
      "INSUFFICIENT_STOCK",
      `only ${available} of "${sku}" available in ${warehouse}, ${requested} requested`,
      { sku, warehouse, requested, available },
    ),
  versionConflict: (sku: string, warehouse: string, currentVersion: number) =>
    new StockRefusal(
      "VERSION_CONFLICT",
      `stock level of "${sku}" in ${warehouse} is at version ${currentVersion}, not the expected one`,
      { sku, warehouse, currentVersion },
    ),
};
