/**
 * The domain's enumerations, each written once. The database enums
 * (db/schema.ts), the GraphQL enums (graphql/types/enums.ts), the error
 * classes and the dashboard's types are all derived from these lists.
 * A value is only ever added at the end: the database enum grows by
 * `ALTER TYPE … ADD VALUE`, and clients may switch on the names.
 */

export const MOVEMENT_TYPES = [
  "RECEIVE",
  "ADJUST",
  "RESERVE",
  "RELEASE",
  "EXPIRE",
  "CONFIRM",
  "DEDUCT",
  "RETURN",
  "THRESHOLD",
  "WRITE_OFF",
  "LOT_EXPIRY",
  "TRANSFER_OUT",
  "TRANSFER_IN",
] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

export const RESERVATION_STATUSES = ["ACTIVE", "CONFIRMED", "RELEASED", "EXPIRED"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const TRANSFER_STATUSES = ["DRAFT", "IN_TRANSIT", "PARTIALLY_RECEIVED", "RECEIVED", "CANCELLED"] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** What one change of a transfer was (its entry in the ledger, see transfer_events). */
export const TRANSFER_CHANGE_KINDS = ["CREATED", "SHIPPED", "RECEIPT", "CLOSED", "CANCELLED"] as const;
export type TransferChangeKind = (typeof TRANSFER_CHANGE_KINDS)[number];

export const ALERT_KINDS = ["LOW_STOCK", "OUT_OF_STOCK", "BACK_IN_STOCK", "LOT_EXPIRING", "LOT_EXPIRED"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ROLES = ["VIEWER", "SERVICE", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

export const STOCK_ERROR_CODES = [
  "INSUFFICIENT_STOCK",
  "PRODUCT_NOT_FOUND",
  "WAREHOUSE_NOT_FOUND",
  "RESERVATION_NOT_FOUND",
  "RESERVATION_EXPIRED",
  "INVALID_STATE",
  "VERSION_CONFLICT",
  "DUPLICATE",
  "INVALID_QUANTITY",
  "IDEMPOTENCY_KEY_REUSED",
  "LOT_REQUIRED",
  "TRANSFER_NOT_FOUND",
] as const;

export const LOT_STATUSES = ["ACTIVE", "EXPIRED", "EMPTY"] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];
export type StockErrorCode = (typeof STOCK_ERROR_CODES)[number];

export const ALLOCATION_STRATEGIES = ["PRIORITY", "MOST_AVAILABLE", "NEAREST"] as const;
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];

export const SPLIT_POLICIES = ["NEVER", "MINIMIZE", "ALLOW"] as const;
export type SplitPolicy = (typeof SPLIT_POLICIES)[number];

/** `{ A: "A", B: "B" }` of a list: the object shape GraphQL enum registration and `switch`-style lookups want. */
export function enumObject<const T extends readonly string[]>(values: T): { [K in T[number]]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T[number]]: K };
}
