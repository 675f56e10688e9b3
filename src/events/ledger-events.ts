import type { Database } from "../db/client.js";
import { ledgerRange } from "../db/read.queries.js";
import type { AlertRow, LevelRow, MovementRow } from "../db/stock.queries.js";
import type { TransferEventRow } from "../db/transfer.queries.js";

/** A level as one ledger entry left it (for rows older than their recorded threshold, the current threshold). */
export interface LevelSnapshot {
  id: number;
  productId: number;
  warehouseId: number;
  onHand: number;
  reserved: number;
  unsellable: number;
  lowStockThreshold: number;
  version: number;
  updatedAt: Date;
}

/** One change of a transfer (a transfer_events row) and the transfer's reference. */
export interface TransferChangeEvent {
  change: TransferEventRow;
  reference: string;
}

export type LedgerEvent =
  | { kind: "movement"; sequence: number; movement: MovementRow; level: LevelSnapshot }
  | { kind: "alert"; sequence: number; alert: AlertRow; level: LevelSnapshot }
  | { kind: "transfer"; sequence: number; transfer: TransferChangeEvent };

/** Events that belong to a stock level (all but transfer changes). */
export type LevelEvent = Extract<LedgerEvent, { level: LevelSnapshot }>;

/** Every ledger entry with from < sequence <= to, in sequence order. */
export interface LedgerBatch {
  from: number;
  to: number;
  events: LedgerEvent[];
}

export const LEDGER_TOPIC = "stock.ledger";
export const KICK_TOPIC = "stock.ledger.kick";

/**
 * Loads the entries of (from, to] as events, at most `limit` of each kind; if a
 * kind filled its limit the batch ends earlier (its `to` says where).
 */
export async function loadBatch(database: Database, from: number, to: number, limit = 1000): Promise<LedgerBatch> {
  const { movements, alerts, transfers } = await ledgerRange(database.db, from, to, limit);
  let end = to;
  if (movements.length === limit) end = Math.min(end, movements[movements.length - 1]!.movement.id);
  if (alerts.length === limit) end = Math.min(end, alerts[alerts.length - 1]!.alert.id);
  if (transfers.length === limit) end = Math.min(end, transfers[transfers.length - 1]!.change.id);
  const snapshots = new Map<number, LevelSnapshot>();
  const events: LedgerEvent[] = [];
  for (const { movement: m, threshold } of movements) {
    if (m.id > end) break;
    const level = snapshotOf(m, threshold);
    snapshots.set(m.id, level);
    events.push({ kind: "movement", sequence: m.id, movement: m, level });
  }
  for (const { alert: a, level: current, movement } of alerts) {
    if (a.id > end) break;
    // The level as the alert's movement left it, also when that movement
    // fell in an earlier batch (the commit-safe watermark can end a batch
    // between a transaction's movement and its alert); the level as it is
    // now only for an alert no movement raised (a lot entering its window).
    const level = (a.movementId !== null && snapshots.get(a.movementId)) || (movement ? snapshotOf(movement, current.lowStockThreshold) : levelSnapshot(current));
    events.push({ kind: "alert", sequence: a.id, alert: a, level: { ...level, lowStockThreshold: a.threshold } });
  }
  for (const t of transfers) {
    if (t.change.id > end) break;
    events.push({ kind: "transfer", sequence: t.change.id, transfer: t });
  }
  events.sort((x, y) => x.sequence - y.sequence);
  return { from, to: end, events };
}

function snapshotOf(m: MovementRow, lowStockThreshold: number): LevelSnapshot {
  return {
    id: m.levelId,
    productId: m.productId,
    warehouseId: m.warehouseId,
    onHand: m.onHandAfter,
    reserved: m.reservedAfter,
    unsellable: m.unsellableAfter,
    lowStockThreshold: m.thresholdAfter ?? lowStockThreshold,
    version: m.version,
    updatedAt: m.createdAt,
  };
}

function levelSnapshot(l: LevelRow): LevelSnapshot {
  return {
    id: l.id,
    productId: l.productId,
    warehouseId: l.warehouseId,
    onHand: l.onHand,
    reserved: l.reserved,
    unsellable: l.unsellable,
    lowStockThreshold: l.lowStockThreshold,
    version: l.version,
    updatedAt: l.updatedAt,
  };
}

/** Batches that crossed Redis carry dates as strings: turn them back into Dates. */
export function reviveBatch(batch: LedgerBatch): LedgerBatch {
  const date = (d: Date | string) => (d instanceof Date ? d : new Date(d));
  for (const e of batch.events) {
    if (e.kind === "transfer") {
      e.transfer.change.createdAt = date(e.transfer.change.createdAt);
      continue;
    }
    e.level.updatedAt = date(e.level.updatedAt);
    if (e.kind === "movement") e.movement.createdAt = date(e.movement.createdAt);
    else e.alert.createdAt = date(e.alert.createdAt);
  }
  return batch;
}
