// The shapes the dashboard reads from the API (see web/dashboard/operations.ts).

export type { AlertKind, MovementType, TransferStatus } from "../../src/stock/enums.js";
import type { AlertKind, MovementType, TransferStatus } from "../../src/stock/enums.js";

export interface LevelFields {
  id: string;
  onHand: number;
  reserved: number;
  available: number;
  lowStockThreshold: number;
  version: number;
}

export interface LevelWithNames extends LevelFields {
  product: { sku: string };
  warehouse: { code: string };
}

export interface Movement {
  sequence: string;
  type: MovementType;
  sku: string;
  warehouse: string;
  onHandDelta: number;
  reservedDelta: number;
  availableAfter: number;
  orderId: string | null;
  actor: string;
  createdAt: string;
}

export interface StockChange {
  sequence: string;
  movement: Movement;
  level: LevelFields;
}

export interface StockAlert {
  sequence: string;
  kind: AlertKind;
  /** LOT_EXPIRING and LOT_EXPIRED: the lot. */
  lot?: { code: string; sellBy: string | null } | null;
  availableBefore: number;
  availableAfter: number;
  threshold: number;
  at: string;
  level: LevelWithNames;
}

export interface Snapshot {
  products: {
    nodes: Array<{ sku: string; name: string; levels: LevelWithNames[] }>;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  };
  stockAlerts: { nodes: StockAlert[] };
  stockMovements: { nodes: Movement[]; pageInfo: { hasNextPage: boolean } };
}

export interface Transfer {
  reference: string;
  status: TransferStatus;
  version: number;
  from: { code: string };
  to: { code: string };
  lines: Array<{ sku: string; quantity: number; received: number; lost: number }>;
}
