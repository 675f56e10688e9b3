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
    node: "PUBLIC",
    nodes: "PUBLIC",
    product: "PUBLIC",
    products: "PUBLIC",
    warehouses: "PUBLIC",
    checkStock: "PUBLIC",
    stockLevel: "PUBLIC",
    reservation: "VIEWER",
    reservations: "VIEWER",
    lowStockLevels: "VIEWER",
    lowStockLevelConnection: "VIEWER",
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

/**
 * Who may read each Node type through node(id) and nodes(ids): what the
 * caller could read of it elsewhere (node and nodes themselves are PUBLIC).
 * Products, their levels, totals and lots and warehouses are the public
 * catalogue; the ledger, orders and transfers need VIEWER; keys need ADMIN.
 * A type that implements Node without a line here fails the auth-matrix test.
 */
export const NODE_ACCESS = {
  Product: "PUBLIC",
  Warehouse: "PUBLIC",
  StockLevel: "PUBLIC",
  StockSummary: "PUBLIC",
  Lot: "PUBLIC",
  Reservation: "VIEWER",
  StockMovement: "VIEWER",
  StockAlert: "VIEWER",
  Transfer: "VIEWER",
  ApiKey: "ADMIN",
} as const satisfies Record<string, Access>;

export type NodeTypeName = keyof typeof NODE_ACCESS;
