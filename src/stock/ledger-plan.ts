import type { Tx } from "../db/client.js";
import { lockLevelsWithLots, type LotWrite } from "../db/lot.queries.js";
import type { LevelRow, LevelSet } from "../db/stock.queries.js";
import { type LotPlan, lotStateOf, type LotState, NothingToExpire, planLots } from "./lot-plan.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Change } from "./types.js";

const INT4_MAX = 2 ** 31 - 1;

/** The level after one change, its threshold before, and what the change did to its lots. */
export interface PlannedStep {
  after: LevelRow;
  thresholdBefore: number;
  lots: LotPlan | null;
}

export interface Planned {
  /** Per change, in the order given: what it does, or why it is refused. */
  results: Array<PlannedStep | StockRefusal>;
  /** The levels' new figures, to set while they are still at the versions locked. */
  levels: LevelSet[];
  /** The lots' changes (new lots included). */
  lots: LotWrite[];
}

/**
 * The write path for changes that may touch lots (ledger.ts, when any change
 * carries a lot intent): lock the levels (ascending id) and read their lots
 * in one round trip, then decide every change in order on those figures,
 * which nobody else can change before this transaction ends. The level's
 * guards (available, which leaves out unsellable stock; expectedVersion;
 * the int range) and the lots' (FEFO, shelf life, what each lot holds) are
 * judged together. `each`: a refused change leaves the others going;
 * otherwise the first refusal is thrown and nothing is written.
 * `today` (YYYY-MM-DD, UTC) decides what is past its sellBy.
 */
export async function planUnderLock(tx: Tx, changes: readonly Change[], each: boolean, today: string): Promise<Planned> {
  const levelIds = [...new Set(changes.map((c) => c.levelId))].sort((a, b) => a - b);
  const { levels, lots } = await lockLevelsWithLots(tx, levelIds);
  const state = new Map(
    levels.map((row) => [
      row.id,
      { locked: row, row: { ...row }, lots: lots.filter((l) => l.levelId === row.id).map(lotStateOf) as LotState[], created: [] as LotState[] },
    ]),
  );
  const results: Array<PlannedStep | StockRefusal> = [];
  for (const c of changes) {
    const s = state.get(c.levelId);
    const decided = s ? decide(c, s, today) : refuse.insufficient(c.sku, c.warehouseCode, c.requested, 0);
    // Another sweeper expired these lots first: nothing to do, which callers hear as INVALID_STATE.
    const outcome = decided instanceof NothingToExpire ? new StockRefusal("INVALID_STATE", decided.message) : decided;
    if (outcome instanceof StockRefusal) {
      if (!each) throw outcome;
      results.push(outcome);
      continue;
    }
    results.push(outcome);
  }
  const writes: Planned = { results, levels: [], lots: [] };
  for (const s of state.values()) {
    if (s.row.version === s.locked.version) continue;
    writes.levels.push({
      id: s.row.id,
      lockedVersion: s.locked.version,
      onHand: s.row.onHand,
      reserved: s.row.reserved,
      unsellable: s.row.unsellable,
      version: s.row.version,
      lowStockThreshold: s.row.lowStockThreshold,
    });
  }
  // One write per lot: the sum of what this write's changes did to it.
  const byLot = new Map<string, LotWrite>();
  changes.forEach((c, i) => {
    const r = results[i]!;
    if (r instanceof StockRefusal || !r.lots) return;
    const s = state.get(c.levelId)!;
    const lotOf = (code: string) => {
      const key = `${c.levelId}\u0000${code}`;
      let w = byLot.get(key);
      if (!w) {
        const lot = s.lots.find((l) => l.code === code)!;
        w = {
          levelId: c.levelId,
          productId: c.productId,
          warehouseId: c.warehouseId,
          code,
          expiresOn: lot.expiresOn,
          sellBy: lot.sellBy,
          onHandDelta: 0,
          reservedDelta: 0,
          expire: false,
          expiringAlerted: false,
          isNew: lot.id === null,
        };
        byLot.set(key, w);
      }
      return w;
    };
    for (const t of r.lots.takes) {
      const w = lotOf(t.code);
      w.onHandDelta += t.onHandDelta;
      w.reservedDelta += t.reservedDelta;
    }
    for (const created of r.lots.created) lotOf(created.code);
    for (const a of r.lots.alerts) if (a.kind === "LOT_EXPIRED") lotOf(a.code).expire = true;
  });
  writes.lots = [...byLot.values()];
  return writes;
}

/** One change on the level's current figures: the step it makes, or why not (nothing changed then). */
function decide(c: Change, s: { row: LevelRow; lots: LotState[] }, today: string): PlannedStep | StockRefusal | NothingToExpire {
  const row = s.row;
  if (c.expectedVersion != null && row.version !== c.expectedVersion) return refuse.versionConflict(c.sku, c.warehouseCode, row.version);
  const available = row.onHand - row.reserved - row.unsellable;
  if (c.minAvailable != null && available < c.minAvailable) return refuse.insufficient(c.sku, c.warehouseCode, c.requested, available);
  if (row.onHand + c.onHandDelta > INT4_MAX) {
    return new StockRefusal("INVALID_QUANTITY", `stock of "${c.sku}" in ${c.warehouseCode} would exceed 2147483647`, {
      sku: c.sku,
      warehouse: c.warehouseCode,
      requested: c.requested,
    });
  }
  let lots: LotPlan | null = null;
  if (row.tracksLots && (c.onHandDelta !== 0 || c.reservedDelta !== 0 || c.lots?.kind === "expire")) {
    // Work on copies: a refused change leaves the lots as they were.
    const copies = s.lots.map((l) => ({ ...l }));
    const plan = planLots(c, c.lots, copies, today);
    if (plan instanceof StockRefusal || plan instanceof NothingToExpire) return plan;
    s.lots.splice(0, s.lots.length, ...copies);
    lots = plan;
  }
  const thresholdBefore = row.lowStockThreshold;
  row.onHand += c.onHandDelta;
  row.reserved += c.reservedDelta;
  row.unsellable += lots?.unsellableDelta ?? 0;
  row.version += 1;
  if (c.threshold != null) row.lowStockThreshold = c.threshold;
  row.updatedAt = new Date();
  return { after: { ...row }, thresholdBefore, lots };
}
