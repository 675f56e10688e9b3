import type { LotRow } from "../db/lot.queries.js";
import type { AlertKind } from "./enums.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Change } from "./types.js";

/**
 * What a change of a lot-tracked level does to its lots (the ledger asks it
 * under the level's lock, see ledger.ts):
 * - `pick`: stock leaves (reserve, deduct, transfer, a negative adjustment),
 *   first-expiry-first-out: earliest sellBy, then earliest received, then
 *   lowest id; lots without a date last (they never expire); a line is split
 *   over lots; lots past their sellBy, expired, or with less than
 *   `minShelfLifeDays` left are skipped;
 * - `into`: stock arrives in the named lot, made if the level lacks it;
 * - `exact`: these lots (what a reservation holds, what an order took, the
 *   lot written off or returned into);
 * - `expire`: the sweeper marks these lots expired.
 */
export type LotIntent =
  | { kind: "pick"; minShelfLifeDays?: number | null }
  | { kind: "into"; code: string; expiresOn: string | null; sellBy: string | null }
  | { kind: "exact"; lots: ReadonlyArray<{ code: string; quantity: number }> }
  | { kind: "expire"; codes: readonly string[] };

/** A lot as a write sees it while it plans (`isNew`: made by this write). */
export interface LotState {
  code: string;
  expiresOn: string | null;
  sellBy: string | null;
  receivedAt: Date;
  onHand: number;
  reserved: number;
  expired: boolean;
  id: number | null;
}

/** What one change takes from or gives to one lot. */
export interface LotTake {
  code: string;
  onHandDelta: number;
  reservedDelta: number;
}

export interface LotPlan {
  takes: LotTake[];
  /** Change of the level's unsellable stock (expired lots' unreserved stock). */
  unsellableDelta: number;
  /** New lots, with their dates. */
  created: LotState[];
  /** Lots this change expires: LOT_EXPIRED alerts. */
  alerts: Array<{ code: string; lotId: number | null; kind: AlertKind }>;
}

/** Nothing left to do: every lot the sweeper meant to expire already is (another instance got there). */
export class NothingToExpire extends Error {}

export function lotStateOf(row: LotRow): LotState {
  return {
    code: row.code,
    expiresOn: row.expiresOn,
    sellBy: row.sellBy,
    receivedAt: row.receivedAt,
    onHand: row.onHand,
    reserved: row.reserved,
    expired: row.expiredAt !== null,
    id: row.id,
  };
}

/** FEFO: earliest sellBy (none: last), then earliest received, then lowest id (new lots after stored ones). */
export function fefo(a: LotState, b: LotState): number {
  if (a.sellBy !== b.sellBy) {
    if (a.sellBy === null) return 1;
    if (b.sellBy === null) return -1;
    return a.sellBy < b.sellBy ? -1 : 1;
  }
  return a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id ?? Infinity) - (b.id ?? Infinity);
}

/** `date` plus `days`, as YYYY-MM-DD (UTC). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Whether a lot may still be sold on `today` to a line wanting `minShelfLifeDays` left. */
export function sellable(lot: LotState, today: string, minShelfLifeDays = 0): boolean {
  if (lot.expired) return false;
  if (lot.sellBy === null) return true;
  return lot.sellBy >= addDays(today, Math.max(0, minShelfLifeDays));
}

/**
 * The lots of one change, worked out on `lots` (the level's, as this write
 * has left them so far), which it updates when the change goes through.
 * Returns the plan, or the refusal (nothing updated).
 */
export function planLots(change: Change, intent: LotIntent | undefined, lots: LotState[], today: string): LotPlan | StockRefusal | NothingToExpire {
  const sign = (n: number) => Math.sign(n);
  if (!intent) return refuse.lotRequired(change.sku, change.warehouseCode, "the product tracks lots: name the lot");
  const plan: LotPlan = { takes: [], unsellableDelta: 0, created: [], alerts: [] };
  const take = (lot: LotState, q: number) => {
    const onHandDelta = sign(change.onHandDelta) * q;
    const reservedDelta = sign(change.reservedDelta) * q;
    plan.takes.push({ code: lot.code, onHandDelta, reservedDelta });
    if (lot.expired) plan.unsellableDelta += onHandDelta - reservedDelta;
  };
  const commit = () => {
    for (const t of plan.takes) {
      const lot = lots.find((l) => l.code === t.code)!;
      lot.onHand += t.onHandDelta;
      lot.reserved += t.reservedDelta;
    }
    return plan;
  };

  switch (intent.kind) {
    case "pick": {
      const q = Math.abs(change.reservedDelta > 0 ? change.reservedDelta : change.onHandDelta);
      const eligible = lots.filter((l) => sellable(l, today, intent.minShelfLifeDays ?? 0) && l.onHand - l.reserved > 0).sort(fefo);
      const total = eligible.reduce((s, l) => s + l.onHand - l.reserved, 0);
      if (total < q) {
        const why = intent.minShelfLifeDays ? ` with at least ${intent.minShelfLifeDays} days of shelf life left` : " in lots that may still be sold";
        return new StockRefusal("INSUFFICIENT_STOCK", `only ${total} of "${change.sku}" available in ${change.warehouseCode}${why}, ${q} requested`, {
          sku: change.sku,
          warehouse: change.warehouseCode,
          requested: q,
          available: total,
        });
      }
      let left = q;
      for (const lot of eligible) {
        const q1 = Math.min(left, lot.onHand - lot.reserved);
        take(lot, q1);
        left -= q1;
        if (left === 0) break;
      }
      return commit();
    }
    case "into": {
      let lot = lots.find((l) => l.code === intent.code);
      if (lot && lot.expiresOn !== intent.expiresOn) {
        return new StockRefusal(
          "DUPLICATE",
          `lot "${intent.code}" of "${change.sku}" expires on ${lot.expiresOn ?? "no date"}, not ${intent.expiresOn ?? "no date"}: a lot code has one expiry date`,
          { sku: change.sku, warehouse: change.warehouseCode },
        );
      }
      if (!lot) {
        lot = { code: intent.code, expiresOn: intent.expiresOn, sellBy: intent.sellBy, receivedAt: new Date(), onHand: 0, reserved: 0, expired: false, id: null };
        lots.push(lot);
        plan.created.push(lot);
      }
      take(lot, Math.abs(change.onHandDelta));
      return commit();
    }
    case "exact": {
      for (const want of intent.lots) {
        const lot = lots.find((l) => l.code === want.code);
        if (!lot) return refuse.lotRequired(change.sku, change.warehouseCode, `there is no lot "${want.code}" of "${change.sku}" in ${change.warehouseCode}`);
        const onHand = lot.onHand + sign(change.onHandDelta) * want.quantity;
        const reserved = lot.reserved + sign(change.reservedDelta) * want.quantity;
        if (reserved < 0 || reserved > onHand) {
          const unreserved = lot.onHand - lot.reserved;
          return new StockRefusal("INSUFFICIENT_STOCK", `only ${unreserved} of lot "${lot.code}" of "${change.sku}" in ${change.warehouseCode} is not held for orders, ${want.quantity} requested`, {
            sku: change.sku,
            warehouse: change.warehouseCode,
            requested: want.quantity,
            available: unreserved,
          });
        }
        take(lot, want.quantity);
      }
      return commit();
    }
    case "expire": {
      for (const code of intent.codes) {
        const lot = lots.find((l) => l.code === code);
        if (!lot || lot.expired) continue;
        lot.expired = true;
        plan.unsellableDelta += lot.onHand - lot.reserved;
        plan.alerts.push({ code, lotId: lot.id, kind: "LOT_EXPIRED" });
      }
      if (plan.alerts.length === 0) return new NothingToExpire(`every lot of "${change.sku}" in ${change.warehouseCode} asked for has expired already`);
      return plan;
    }
  }
}
