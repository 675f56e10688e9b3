import type { AlertRow, LevelRow, MovementRow } from "../db/stock.queries.js";
import type { LineRow, ReservationRow } from "../db/reservation.queries.js";
import type { LotRow } from "../db/lot.queries.js";
import type { TransferEventRow, TransferLineRow, TransferRow } from "../db/transfer.queries.js";
import type { ProductRow, WarehouseRow } from "./catalog.js";
import type { AllocationPolicy } from "./allocation.js";
import type { LotIntent } from "./lot-plan.js";
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
export type LotRecord = LotRow;
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
  /**
   * A change made for a reservation: a RESERVE writes its line (and the lots
   * it holds), a CONFIRM, RELEASE or EXPIRE gives those lots back.
   */
  reservationId?: number;
  /** For a lot-tracked product: which lots (lot-plan.ts). */
  lots?: LotIntent;
  /** A TRANSFER_OUT or TRANSFER_IN change: the transfer its movement belongs to. */
  transferId?: number;
}

export interface LevelChanged {
  level: LevelRow;
  movement: MovementRow;
}

/**
 * A request line of an outflow once resolved: `place` when it names a
 * warehouse (with its level, null if the product never had stock there),
 * null when the service chooses (allocation.ts).
 */
export interface RequestLine {
  productId: number;
  sku: string;
  quantity: number;
  /** The product's stock is kept in lots: it leaves first-expiry-first-out. */
  tracksLots: boolean;
  /** Only lots whose sellBy is at least this many days away. */
  minShelfLifeDays?: number | null;
  /** `chosen`: the request named no warehouse, and this one was the only one that could serve. */
  place: (Place & { levelId: number | null; chosen?: boolean }) | null;
}

/** What a reserve asks for once validated and resolved. */
export interface ResolvedReserve {
  channel: string;
  orderId: string;
  ttlSeconds: number;
  lines: RequestLine[];
  policy: AllocationPolicy;
}
