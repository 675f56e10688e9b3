import type { Access } from "./auth.js";

/**
 * The role matrix of docs/design.md, one line per operation: the least a caller
 * needs. The `@Authorized(...)` on each resolver enforces it; the auth-matrix
 * test runs every operation of the schema under every kind of caller against
 * this table, so an operation without a line here, or a decorator that
 * disagrees with its line, fails the build.
 */
export const OPERATION_ACCESS = {
  Query: {
    me: "PUBLIC",
    product: "PUBLIC",
    products: "PUBLIC",
    warehouses: "PUBLIC",
    checkStock: "PUBLIC",
    reservation: "VIEWER",
    reservations: "VIEWER",
    lowStockLevels: "VIEWER",
    stockMovements: "VIEWER",
    stockAlerts: "VIEWER",
    transfer: "VIEWER",
    transfers: "VIEWER",
    apiKeys: "ADMIN",
    expiringLots: "VIEWER",
  },
  Mutation: {
    reserveStock: "SERVICE",
    confirmReservation: "SERVICE",
    releaseReservation: "SERVICE",
    extendReservation: "SERVICE",
    deductStock: "SERVICE",
    returnStock: "SERVICE",
    createProduct: "ADMIN",
    createWarehouse: "ADMIN",
    writeOffLot: "ADMIN",
    updateWarehouse: "ADMIN",
    receiveStock: "ADMIN",
    adjustStock: "ADMIN",
    setLowStockThreshold: "ADMIN",
    expireReservations: "ADMIN",
    createApiKey: "ADMIN",
    revokeApiKey: "ADMIN",
    createTransfer: "ADMIN",
    shipTransfer: "ADMIN",
    receiveTransfer: "ADMIN",
    closeTransfer: "ADMIN",
    cancelTransfer: "ADMIN",
  },
  Subscription: {
    stockChanged: "VIEWER",
    lowStockAlert: "VIEWER",
    transferChanged: "VIEWER",
  },
} as const satisfies Record<"Query" | "Mutation" | "Subscription", Record<string, Access>>;

/** Fields below the root that need more than their parent: what a PUBLIC query must not reach through them. */
export const FIELD_ACCESS = {
  "Product.movements": "VIEWER",
} as const satisfies Record<string, Access>;
