import { SQLSTATE, sqlState } from "../db/errors.js";
import {
  type AlertRow,
  findLevel,
  insertAlerts,
  insertMovements,
  type LevelRow,
  type NewAlert,
  type NewMovement,
  updateLevel,
} from "../db/stock.queries.js";
import type { CommitWith, Tx } from "../db/client.js";
import { crossing } from "./alerts.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, LevelChanged } from "./types.js";

export interface Applied {
  changed: LevelChanged[];
  alerts: AlertRow[];
}

/**
 * Applies changes inside the caller's transaction: one guarded UPDATE per
 * change, in ascending level id order (so two multi-line requests never wait
 * on each other in a cycle), then one INSERT for all movement rows and one for
 * any alerts. The first refusal throws, which rolls the whole transaction back.
 * Returns the results in the order the changes were given. `alongside`
 * issues the caller's own last writes, sent with the ledger rows. Given the
 * transaction's `commitWith`, it ends the transaction (the caller may issue
 * nothing after it).
 */
export async function applyChanges(
  tx: Tx,
  changes: readonly Change[],
  actor: Actor,
  commitWith?: CommitWith,
  alongside?: () => Promise<unknown>,
): Promise<Applied> {
  const order = levelOrder(changes);
  const after: LevelRow[] = new Array(changes.length);
  for (const i of order) {
    const c = changes[i]!;
    after[i] = await guardedUpdate(tx, c);
  }
  return recordLast(tx, changes, after, actor, commitWith, alongside);
}

/**
 * recordChanges as a transaction's last writes: sent together with the
 * caller's own (`alongside`, issued at once), and, given the transaction's
 * `commitWith`, with COMMIT too, unless alerts must follow (they name their
 * movements' ids, a round trip later). The caller may issue nothing after it.
 */
export async function recordLast(
  tx: Tx,
  changes: readonly Change[],
  after: readonly LevelRow[],
  actor: Actor,
  commitWith?: CommitWith,
  alongside?: () => Promise<unknown>,
): Promise<Applied> {
  const writes = async () => (await Promise.all([recordChanges(tx, changes, after, actor), alongside?.()]))[0];
  return commitWith && !crossesThreshold(changes, after) ? commitWith(writes) : writes();
}

/**
 * Writes the ledger side of changes already applied to their levels: one
 * movement row per change (`after[i]` is the level as change i left it) and
 * the alerts of any threshold crossings, each judged from that one change.
 * Rows go in ascending level order, and in the given order within a level.
 */
export async function recordChanges(tx: Tx, changes: readonly Change[], after: readonly LevelRow[], actor: Actor): Promise<Applied> {
  const order = levelOrder(changes);
  const movementRows: NewMovement[] = changes.map((c, i) => ({
    levelId: c.levelId,
    productId: c.productId,
    warehouseId: c.warehouseId,
    type: c.type,
    onHandDelta: c.onHandDelta,
    reservedDelta: c.reservedDelta,
    onHandAfter: after[i]!.onHand,
    reservedAfter: after[i]!.reserved,
    version: after[i]!.version,
    orderId: c.orderId ?? null,
    reason: c.reason ?? null,
    actor: actor.name,
  }));
  // Rows go in ascending level order too, so ledger ids follow versions per level.
  const inserted = await insertMovements(tx, order.map((i) => movementRows[i]!));
  const movements = new Array<(typeof inserted)[number]>(changes.length);
  order.forEach((i, k) => (movements[i] = inserted[k]!));

  const alertRows: NewAlert[] = [];
  for (const i of order) {
    const level = after[i]!;
    const { kind, availableBefore, availableAfter } = crossingOf(changes[i]!, level);
    if (kind) {
      alertRows.push({
        levelId: level.id,
        warehouseId: level.warehouseId,
        kind,
        threshold: level.lowStockThreshold,
        availableBefore,
        availableAfter,
        movementId: movements[i]!.id,
      });
    }
  }
  const alerts = await insertAlerts(tx, alertRows);
  return { changed: changes.map((_, i) => ({ level: after[i]!, movement: movements[i]! })), alerts };
}

/** The low-stock crossing (if any) of one change that left its level as `level`. */
function crossingOf(c: Change, level: LevelRow) {
  const availableAfter = level.onHand - level.reserved;
  const availableBefore = availableAfter - (c.onHandDelta - c.reservedDelta);
  return { kind: crossing(availableBefore, availableAfter, level.lowStockThreshold), availableBefore, availableAfter };
}

/** Whether recording these changes writes alerts. */
function crossesThreshold(changes: readonly Change[], after: readonly LevelRow[]): boolean {
  return changes.some((c, i) => crossingOf(c, after[i]!).kind !== null);
}

/** Indexes of the changes in ascending level id order, keeping the given order within a level. */
function levelOrder(changes: readonly Change[]): number[] {
  return changes.map((_, i) => i).sort((a, b) => changes[a]!.levelId - changes[b]!.levelId || a - b);
}

async function guardedUpdate(tx: Tx, c: Change): Promise<LevelRow> {
  let row: LevelRow | null;
  try {
    row = await updateLevel(tx, {
      levelId: c.levelId,
      onHandDelta: c.onHandDelta,
      reservedDelta: c.reservedDelta,
      minAvailable: c.minAvailable,
      expectedVersion: c.expectedVersion,
    });
  } catch (err) {
    if (sqlState(err) === SQLSTATE.numericOutOfRange) {
      throw new StockRefusal("INVALID_QUANTITY", `stock of "${c.sku}" in ${c.warehouseCode} would exceed 2147483647`, {
        sku: c.sku,
        warehouse: c.warehouseCode,
        requested: c.requested,
      });
    }
    throw err;
  }
  if (row) return row;
  throw await explainRefusal(tx, c);
}

/** Why a guarded update matched no row: read only to word the refusal. */
async function explainRefusal(tx: Tx, c: Change): Promise<StockRefusal> {
  const now = await findLevel(tx, c.levelId);
  if (!now) return refuse.insufficient(c.sku, c.warehouseCode, c.requested, 0);
  if (c.expectedVersion !== undefined && now.version !== c.expectedVersion) {
    return refuse.versionConflict(c.sku, c.warehouseCode, now.version);
  }
  return refuse.insufficient(c.sku, c.warehouseCode, c.requested, now.onHand - now.reserved);
}
