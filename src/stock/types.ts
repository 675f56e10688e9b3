import type { AlertRow, LevelRow, MovementRow } from "../db/stock.queries.js";
import type { LineRow, ReservationRow } from "../db/reservation.queries.js";
import type { TransferEventRow, TransferLineRow, TransferRow } from "../db/transfer.queries.js";
import type { ProductRow, WarehouseRow } from "./catalog.js";
import type { MovementType, Role } from "./enums.js";

export type { AlertKind, MovementType, ReservationStatus, Role, StockErrorCode, TransferChangeKind, TransferStatus } from "./enums.js";

// The records the service hands out. They are the stored rows; the API
// layer names them through here, never through the database module.
export type StockLevelRecord = LevelRow;
export type MovementRecord = MovementRow;
export type AlertRecord = AlertRow;
export type ReservationRecord = ReservationRow;
export type ReservationLineRecord = LineRow;
export type ProductRecord = ProductRow;
export type WarehouseRecord = WarehouseRow;
export type TransferRecord = TransferRow;
export type TransferLineRecord = TransferLineRow;
export type TransferEventRecord = TransferEventRow;

/** The channel of keys made without one: a single shop never names a channel. */
export const DEFAULT_CHANNEL = "default";

/** Who is calling: the name of their key (the ledger's actor), its role and its sales channel (whose orderIds it uses). */
export interface Actor {
  name: string;
  role: Role;
  channel: string;
  /**
   * A secret derived from the caller's own API key (never stored): results
   * of theirs that hold secrets are kept sealed with it (see idempotency.ts).
   */
  seal?: string;
}

/** A (product, warehouse) pair resolved to ids, with the names used in messages. */
export interface Place {
  productId: number;
  sku: string;
  warehouseId: number;
  warehouseCode: string;
}

/** One change of one level, as the service asks the ledger for it (ledger.ts). */
export interface Change extends Place {
  levelId: number;
  type: MovementType;
  onHandDelta: number;
  reservedDelta: number;
  /** The quantity asked for, for the refusal message. */
  requested: number;
  /** Guard: at least this much available before the change. */
  minAvailable?: number;
  /** Guard: only while the level is at this version. */
  expectedVersion?: number;
  /** A THRESHOLD change: the new low-stock threshold. */
  threshold?: number;
  orderId?: string | null;
  /** The order's channel; absent: the caller's. */
  channel?: string;
  reason?: string | null;
  /** A RESERVE change made for this reservation: the ledger writes its line. */
  reservationId?: number;
  /** A TRANSFER_OUT or TRANSFER_IN change: the transfer its movement belongs to. */
  transferId?: number;
}

export interface LevelChanged {
  level: LevelRow;
  movement: MovementRow;
}

/** What a reserve asks for once validated and resolved: one line per level. */
export interface ResolvedReserve {
  channel: string;
  orderId: string;
  ttlSeconds: number;
  lines: Array<Place & { levelId: number | null; quantity: number }>;
}
