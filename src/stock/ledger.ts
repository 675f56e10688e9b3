import type { CommitWith, Tx } from "../db/client.js";
import { changeReservationLots, insertMovementLots, type LotWrite, writeLots } from "../db/lot.queries.js";
import { deleteReservations, insertLines } from "../db/reservation.queries.js";
import {
  type AlertRow,
  applyLevelDeltas,
  insertAlerts,
  insertMovements,
  type LevelDelta,
  type LevelOutcome,
  type LevelRow,
  type LevelSet,
  type NewAlertOf,
  type NewMovement,
  setLevels,
} from "../db/stock.queries.js";
import { crossing } from "./alerts.js";
import { planUnderLock } from "./ledger-plan.js";
import type { LotPlan } from "./lot-plan.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, LevelChanged } from "./types.js";

/** What one all-or-nothing write did: per change, in the order given, and the alerts it raised. */
export interface Applied {
  changed: LevelChanged[];
  alerts: AlertRow[];
}

/** A change that was applied, with the level as it left it. */
export interface AppliedChange {
  change: Change;
  after: LevelRow;
  /** The level's threshold before this change (differs from after's only for a THRESHOLD change). */
  thresholdBefore: number;
  /** What it did to the level's lots (lot-tracked products). */
  lots?: LotPlan | null;
}

/** The writes of a lot-aware plan (ledger-plan.ts) that go out before the ledger rows. */
interface PlannedWrites {
  levels: LevelSet[];
  lots: LotWrite[];
}

/** Levels updated by `applyEach`, waiting for their ledger rows. */
export interface EachApplied {
  /** How many levels the changes touched. */
  levels: number;
  /** Writes the ledger side (see `apply`); per change, what it did or why it was refused. */
  record(opts: WriteOptions): Promise<Array<LevelChanged | StockRefusal>>;
}

/** The level after one change of a group, and its threshold before. */
type Step = Omit<AppliedChange, "change">;

/**
 * Something that belongs in the transaction of every stock change: written
 * with the movement rows, after the levels were updated. `record` must issue
 * all its statements at once (no await between them): they go out with the
 * movement rows, and COMMIT may follow right behind them.
 */
export interface LedgerHook {
  record(tx: Tx, applied: readonly AppliedChange[], refused: readonly Change[]): Promise<unknown>;
}

export interface WriteOptions {
  actor: Actor;
  /**
   * The transaction's commitWith (UnitOfWork.run): the ledger rows then go
   * out together with COMMIT, and the caller may issue nothing after.
   */
  commit?: CommitWith;
}

export interface LedgerStats {
  /** Greedy takes of a level whose version moved on before the second statement (read again). */
  versionMisses: number;
  /** Levels that gave up on one statement per group and were updated once per change. */
  perChangeUpdates: number;
}

/** How often `applyEach` recomputes a level's greedy take after its version moved, before going one change at a time. */
const VERSION_TRIES = 3;

/**
 * The one write path of stock: every change of a level's quantities or
 * threshold, whatever the operation, goes through here. In the caller's
 * transaction it
 *
 * 1. applies all changes with ONE guarded statement (applyLevelDeltas): the
 *    levels locked in ascending id order, each level's changes summed, each
 *    level's version moving by its number of changes;
 * 2. refuses with the figures that statement saw (never a later read);
 * 3. writes one movement row per change with the versions in between (so
 *    per level the ledger counts 1, 2, 3, … whatever the batching), the
 *    low-stock alerts of the crossings, the reservation lines of RESERVE
 *    changes, and whatever the hooks add, all at once and, given `commit`,
 *    together with COMMIT.
 *
 * `apply` is all-or-nothing (one request); `applyEach` lets every change win
 * or lose on its own, earliest first per level (coalesced requests).
 */
export class Ledger {
  private readonly counters: LedgerStats = { versionMisses: 0, perChangeUpdates: 0 };

  constructor(
    private readonly hooks: readonly LedgerHook[] = [],
    private readonly versionTries = VERSION_TRIES,
    /** Today (YYYY-MM-DD, UTC): what is past its sellBy. */
    private readonly today: () => string = () => new Date().toISOString().slice(0, 10),
  ) {}

  stats(): LedgerStats {
    return { ...this.counters };
  }

  /**
   * All changes or none: the first level whose guard says no throws its
   * refusal (rolling back the caller's transaction). Results come in the
   * order the changes were given.
   */
  async apply(tx: Tx, changes: readonly Change[], opts: WriteOptions): Promise<Applied> {
    if (changes.some((c) => c.lots)) {
      const planned = await planUnderLock(tx, changes, false, this.today());
      const applied = changes.map((change, i) => ({ change, ...(planned.results[i] as Exclude<(typeof planned.results)[number], StockRefusal>) }));
      return this.record(tx, applied, [], opts, planned);
    }
    const groups = byLevel(changes);
    // All or none in the statement too: a refused write leaves every level as
    // it was (and locked), so the caller may try again in this transaction.
    const outcomes = await applyLevelDeltas(
      tx,
      groups.map((g) => deltaOf(g.changes)),
      { all: true },
    );
    const stepped: Step[] = new Array(changes.length);
    const outcomeOf = (g: LevelGroup) => outcomes.find((x) => x.row.id === g.levelId);
    for (const g of groups) {
      const o = outcomeOf(g);
      if (!o) throw refuse.insufficient(g.changes[0]!.sku, g.changes[0]!.warehouseCode, sum(g.changes.map((c) => c.requested)), 0);
      if (!o.held) throw refusalOf(g.changes, o);
    }
    for (const g of groups) steps(outcomeOf(g)!, g.changes).forEach((step, j) => (stepped[g.indexes[j]!] = step));
    return this.record(tx, changes.map((change, i) => ({ change, ...stepped[i]! })), [], opts);
  }

  /**
   * Every change stands alone: per level, in the order given, each change
   * that still fits is applied and each that does not is refused (with the
   * figures after those before it). One statement for all levels when every
   * level's whole sum fits; where one does not, its greedy take is worked out
   * on the row as locked and applied with a second statement guarded by that
   * version. When it resolves the levels are updated and locked; the caller
   * then writes the ledger side with `record` (coalesced batches let the
   * level's next batch queue for the lock in between).
   */
  async applyEach(tx: Tx, changes: readonly Change[]): Promise<EachApplied> {
    if (changes.some((c) => c.lots)) {
      const planned = await planUnderLock(tx, changes, true, this.today());
      return {
        levels: planned.levels.length,
        record: async (opts) => {
          const applied: AppliedChange[] = [];
          const refused: Change[] = [];
          changes.forEach((change, i) => {
            const r = planned.results[i]!;
            if (r instanceof StockRefusal) refused.push(change);
            else applied.push({ change, ...r });
          });
          const recorded = await this.record(tx, applied, refused, opts, planned);
          let k = 0;
          return planned.results.map((r) => (r instanceof StockRefusal ? r : recorded.changed[k++]!));
        },
      };
    }
    const groups = byLevel(changes);
    const outcomes = await applyLevelDeltas(tx, groups.map((g) => deltaOf(g.changes)));
    const results: Array<Step | StockRefusal> = new Array(changes.length);
    for (const g of groups) {
      const o = outcomes.find((x) => x.row.id === g.levelId) ?? null;
      const rows = o?.applied ? steps(o, g.changes) : await this.greedy(tx, g.changes, o);
      rows.forEach((r, j) => (results[g.indexes[j]!] = r));
    }
    return {
      levels: groups.length,
      record: async (opts) => {
        const applied: AppliedChange[] = [];
        const refused: Change[] = [];
        changes.forEach((change, i) => {
          const r = results[i]!;
          if (r instanceof StockRefusal) refused.push(change);
          else applied.push({ change, ...r });
        });
        const recorded = await this.record(tx, applied, refused, opts);
        let k = 0;
        return results.map((r) => (r instanceof StockRefusal ? r : recorded.changed[k++]!));
      },
    };
  }

  /**
   * One level whose whole sum did not fit (the statement holds its row lock):
   * the earliest changes that fit, taken with one statement guarded by the
   * version locked (a bounded number of times, then one change at a time).
   */
  private async greedy(tx: Tx, changes: readonly Change[], locked: LevelOutcome | null): Promise<Array<Step | StockRefusal>> {
    let level = locked;
    for (let tries = this.versionTries; tries > 0 && level; tries--) {
      const fits = greedyFit(changes, level.row);
      const chosen = changes.filter((_, k) => fits[k]);
      if (chosen.length === 0) break;
      const [taken] = await applyLevelDeltas(tx, [{ ...deltaOf(chosen), expectedVersion: level.row.version }]);
      if (taken?.applied) {
        const rows = steps(taken, chosen);
        let j = 0;
        // The losers are refused with what the winners left.
        return changes.map((c, k) => (fits[k] ? rows[j++]! : refusalOf([c], { ...taken, applied: false })));
      }
      this.counters.versionMisses++;
      level = taken ?? null;
    }
    if (!level) return changes.map((c) => refuse.insufficient(c.sku, c.warehouseCode, c.requested, 0));
    if (!greedyFit(changes, level.row).includes(true)) return changes.map((c) => refusalOf([c], level));
    // The level keeps moving under us: one guarded statement per change, in order.
    this.counters.perChangeUpdates++;
    const out: Array<Step | StockRefusal> = [];
    for (const c of changes) {
      const [o] = await applyLevelDeltas(tx, [deltaOf([c])]);
      out.push(!o ? refuse.insufficient(c.sku, c.warehouseCode, c.requested, 0) : o.applied ? steps(o, [c])[0]! : refusalOf([c], o));
    }
    return out;
  }

  /**
   * The ledger side of changes already applied to their levels: movement rows
   * (ids taken in ascending level order, then the given order), alerts of the
   * crossings, reservation lines, hooks; all issued at once.
   */
  private async record(
    tx: Tx,
    applied: readonly AppliedChange[],
    refused: readonly Change[],
    opts: WriteOptions,
    planned?: PlannedWrites,
  ): Promise<Applied> {
    const order = applied.map((_, i) => i).sort((a, b) => applied[a]!.after.id - applied[b]!.after.id || a - b);
    const rows: NewMovement[] = order.map((i) => movementRow(applied[i]!, opts.actor));
    const alerts: NewAlertOf[] = order.flatMap((i) => {
      const crossed = alertOf(applied[i]!);
      return [...(crossed ? [crossed] : []), ...lotAlertsOf(applied[i]!)];
    });
    // Statements run in the order issued: the levels and lots first, then what names them.
    const writes = () =>
      Promise.all([
        planned ? setLevels(tx, planned.levels) : undefined,
        planned ? writeLots(tx, planned.lots) : undefined,
        insertMovements(tx, rows),
        insertAlerts(tx, alerts),
        planned ? insertMovementLots(tx, movementLotsOf(applied)) : undefined,
        reservationWrites(tx, applied, refused),
        ...this.hooks.map((h) => h.record(tx, applied, refused)),
      ]).then(([, , inserted, alertRows]) => [inserted, alertRows] as const);
    const [inserted, alertRows] = await (opts.commit ? opts.commit(writes) : writes());
    const movements = new Array<(typeof inserted)[number]>(applied.length);
    order.forEach((i, k) => (movements[i] = inserted[k]!));
    return { changed: applied.map((a, i) => ({ level: a.after, movement: movements[i]! })), alerts: alertRows };
  }
}

/**
 * Changes made for a reservation: a RESERVE applied writes its line and the
 * lots it holds, a refused one's reservation is dropped (applyEach).
 */
function reservationWrites(tx: Tx, applied: readonly AppliedChange[], refused: readonly Change[]): Promise<unknown> {
  const lines = applied.flatMap(({ change: c }) =>
    c.type === "RESERVE" && c.reservationId != null ? [{ reservationId: c.reservationId, levelId: c.levelId, quantity: c.reservedDelta }] : [],
  );
  // What a reservation held of each lot stays recorded once it ends (what it sold, what it gave back).
  const lots = applied.flatMap(({ change: c, lots: plan }) =>
    c.type === "RESERVE" && c.reservationId != null && plan
      ? plan.takes.map((t) => ({ reservationId: c.reservationId!, levelId: c.levelId, code: t.code, quantity: t.reservedDelta }))
      : [],
  );
  const dropped = refused.flatMap((c) => (c.type === "RESERVE" && c.reservationId != null ? [c.reservationId] : []));
  // The lines first: a reservation's lots follow them.
  return Promise.all([insertLines(tx, lines), changeReservationLots(tx, lots), deleteReservations(tx, dropped)]);
}

/** Which lots each applied change touched, as movement-lot rows. */
function movementLotsOf(applied: readonly AppliedChange[]) {
  return applied.flatMap(({ change: c, after, lots }) =>
    (lots?.takes ?? []).map((t) => ({ levelId: c.levelId, version: after.version, code: t.code, onHandDelta: t.onHandDelta, reservedDelta: t.reservedDelta })),
  );
}

/** LOT_EXPIRED alerts of the lots a change expired. */
function lotAlertsOf({ change: c, after, lots }: AppliedChange): NewAlertOf[] {
  const available = after.onHand - after.reserved - after.unsellable;
  return (lots?.alerts ?? []).map((a) => ({
    levelId: c.levelId,
    warehouseId: c.warehouseId,
    kind: a.kind,
    threshold: after.lowStockThreshold,
    availableBefore: available + (lots?.unsellableDelta ?? 0),
    availableAfter: available,
    movementVersion: after.version,
    lotId: a.lotId,
  }));
}

interface LevelGroup {
  levelId: number;
  /** The changes of this level in the order given, and their indexes in the request. */
  changes: Change[];
  indexes: number[];
}

/** Changes grouped by level, levels in ascending id order (the lock order). */
function byLevel(changes: readonly Change[]): LevelGroup[] {
  const groups = new Map<number, LevelGroup>();
  changes.forEach((c, i) => {
    const g = groups.get(c.levelId);
    if (g) {
      g.changes.push(c);
      g.indexes.push(i);
    } else groups.set(c.levelId, { levelId: c.levelId, changes: [c], indexes: [i] });
  });
  for (const g of groups.values()) {
    if (g.changes.length > 1 && g.changes.some((c) => c.threshold != null)) {
      throw new Error("a threshold change must be the only change of its level in one write");
    }
  }
  return [...groups.values()].sort((a, b) => a.levelId - b.levelId);
}

/** One level's changes as one guarded delta: the sums, each change one version. */
function deltaOf(changes: readonly Change[]): LevelDelta {
  const versions = changes.flatMap((c) => (c.expectedVersion != null ? [c.expectedVersion] : []));
  return {
    levelId: changes[0]!.levelId,
    onHandDelta: sum(changes.map((c) => c.onHandDelta)),
    reservedDelta: sum(changes.map((c) => c.reservedDelta)),
    movements: changes.length,
    minAvailable: groupGuard(changes),
    expectedVersion: versions.length > 0 ? versions[0]! : null,
    threshold: changes.find((c) => c.threshold != null)?.threshold ?? null,
  };
}

/**
 * The availability guard of a group applied at once, equivalent to each
 * change's own guard applied in order: change k needs its minAvailable on
 * top of what the changes before it consumed.
 */
function groupGuard(changes: readonly Change[]): number | null {
  let consumed = 0;
  let need: number | null = null;
  for (const c of changes) {
    if (c.minAvailable != null) need = Math.max(need ?? -Infinity, consumed + c.minAvailable);
    consumed += c.reservedDelta - c.onHandDelta;
  }
  return need;
}

/** The refusal of changes whose level said no, worded from the row the statement judged. */
function refusalOf(changes: readonly Change[], o: LevelOutcome): StockRefusal {
  const c = changes[0]!;
  const requested = sum(changes.map((x) => x.requested));
  if (o.overflow) {
    return new StockRefusal("INVALID_QUANTITY", `stock of "${c.sku}" in ${c.warehouseCode} would exceed 2147483647`, {
      sku: c.sku,
      warehouse: c.warehouseCode,
      requested,
    });
  }
  const expected = changes.find((x) => x.expectedVersion != null)?.expectedVersion;
  if (expected != null && o.row.version !== expected) return refuse.versionConflict(c.sku, c.warehouseCode, o.row.version);
  return refuse.insufficient(c.sku, c.warehouseCode, requested, o.row.onHand - o.row.reserved - o.row.unsellable);
}

/** Which changes fit, in order, into the level as locked, skipping those that no longer do. */
function greedyFit(changes: readonly Change[], row: LevelRow): boolean[] {
  return greedy(
    changes.map((c) => c.minAvailable ?? 0),
    row.onHand - row.reserved - row.unsellable,
    changes.map((c) => c.reservedDelta - c.onHandDelta),
  );
}

/**
 * Which asks fit into `available`, taking them in order and skipping those
 * that no longer fit: ask k needs `asks[k]` available and takes `takes[k]`.
 */
export function greedy(asks: readonly number[], available: number, takes: readonly number[] = asks): boolean[] {
  let left = available;
  return asks.map((need, k) => {
    if (need > left) return false;
    left -= takes[k]!;
    return true;
  });
}

/**
 * The level after each change of a group, from the row after the one
 * statement that applied them all: versions v-n+1..v, quantities stepping by
 * each change's deltas.
 */
function steps(o: LevelOutcome, changes: readonly Change[]): Step[] {
  const row = o.row;
  let version = row.version - changes.length;
  let onHand = row.onHand - sum(changes.map((c) => c.onHandDelta));
  let reserved = row.reserved - sum(changes.map((c) => c.reservedDelta));
  let threshold = o.thresholdBefore;
  return changes.map((c) => {
    const thresholdBefore = threshold;
    version += 1;
    onHand += c.onHandDelta;
    reserved += c.reservedDelta;
    if (c.threshold != null) threshold = c.threshold;
    return { after: { ...row, version, onHand, reserved, lowStockThreshold: threshold }, thresholdBefore };
  });
}

function movementRow({ change: c, after }: AppliedChange, actor: Actor): NewMovement {
  return {
    levelId: c.levelId,
    productId: c.productId,
    warehouseId: c.warehouseId,
    type: c.type,
    onHandDelta: c.onHandDelta,
    reservedDelta: c.reservedDelta,
    onHandAfter: after.onHand,
    reservedAfter: after.reserved,
    version: after.version,
    thresholdAfter: after.lowStockThreshold,
    unsellableAfter: after.unsellable,
    channel: c.channel ?? actor.channel,
    orderId: c.orderId ?? null,
    reason: c.reason ?? null,
    actor: actor.name,
    transferId: c.transferId ?? null,
  };
}

/** The low-stock crossing (if any) of one applied change, judged from that change alone. */
function alertOf({ change: c, after, thresholdBefore, lots }: AppliedChange): NewAlertOf | null {
  const availableAfter = after.onHand - after.reserved - after.unsellable;
  const availableBefore = availableAfter - (c.onHandDelta - c.reservedDelta - (lots?.unsellableDelta ?? 0));
  const kind = crossing(availableBefore, availableAfter, thresholdBefore, after.lowStockThreshold);
  // A level's first stock (a new product's initial stock, a first receipt in a
  // warehouse) is not "back" in stock: it was never in stock before.
  if (!kind || (kind === "BACK_IN_STOCK" && after.version === 1)) return null;
  return {
    levelId: c.levelId,
    warehouseId: c.warehouseId,
    kind,
    threshold: after.lowStockThreshold,
    availableBefore,
    availableAfter,
    movementVersion: after.version,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
