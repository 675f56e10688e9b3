import type { LevelRow, MovementRow } from "../db/stock.queries.js";

export type Role = "VIEWER" | "SERVICE" | "ADMIN";
export type MovementType = MovementRow["type"];

/** Who is calling: the name of their key (the ledger's actor) and its role. */
export interface Actor {
  name: string;
  role: Role;
}

/** A (product, warehouse) pair resolved to ids, with the names used in messages. */
export interface Place {
  productId: number;
  sku: string;
  warehouseId: number;
  warehouseCode: string;
}

/** One change of one level, as the service asks for it. */
export interface Change extends Place {
  levelId: number;
  type: MovementType;
  onHandDelta: number;
  reservedDelta: number;
  /** The quantity asked for, for the refusal message. */
  requested: number;
  minAvailable?: number;
  expectedVersion?: number;
  orderId?: string | null;
  reason?: string | null;
}

export interface LevelChanged {
  level: LevelRow;
  movement: MovementRow;
}
