import { and, asc, eq, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { fieldsOf, mapRows } from "./rows.js";
import { products, stockAlerts, stockLevels, stockMovements, warehouses } from "./schema.js";

export type LevelRow = typeof stockLevels.$inferSelect;
export type MovementRow = typeof stockMovements.$inferSelect;
export type NewMovement = typeof stockMovements.$inferInsert;
export type AlertRow = typeof stockAlerts.$inferSelect;
export type NewAlert = typeof stockAlerts.$inferInsert;

export interface LevelDelta {
  levelId: number;
  onHandDelta: number;
  reservedDelta: number;
  /** How many changes this statement stands for: version grows by this much. */
  movements: number;
  /** Guard: only while on_hand - reserved >= this. */
  minAvailable?: number | null;
  /** Guard: only while the level is still at this version. */
  expectedVersion?: number | null;
  /** Sets the low-stock threshold too. */
  threshold?: number | null;
}

/** What the guarded statement did to one level. */
export interface LevelOutcome {
  /** false: a guard said no and nothing changed. */
  applied: boolean;
  /** Applied: the row after the change. Refused: the row as the statement locked it (what the guard saw). */
  row: LevelRow;
  /** The threshold before the change. */
  thresholdBefore: number;
  /** Refused because on_hand would leave the int range (not a guard's no). */
  overflow: boolean;
}

const INT4_MAX = 2147483647;

/**
 * The one guarded UPDATE of docs/design.md, for any number of levels in one
 * statement. The levels are locked first, in ascending id order (so two such
 * statements never wait on each other in a cycle), then each is changed only
 * while its guards hold, judged on the row as locked: the locking read returns
 * the newest version, whereas the UPDATE's own scan sees the statement's
 * snapshot and would drop, without re-checking it, a row that a receipt
 * committed to just before the lock (refusing stock that is there). READ
 * COMMITTED is enough and no read precedes the write. Returns one
 * outcome per level found, in ascending id order: the row after the change,
 * or, where a guard said no, the row as locked: the very figures the guard
 * judged, which nobody can change before this transaction ends.
 */
export async function applyLevelDeltas(ex: Executor, deltas: readonly LevelDelta[]): Promise<LevelOutcome[]> {
  if (deltas.length === 0) return [];
  const col = <T>(pick: (d: LevelDelta) => T) => sql.param(deltas.map(pick));
  // The locking read returns the newest version of each row (not the
  // statement's snapshot), so the guards judge it and refused rows are read from it.
  const result = await ex.execute(sql`
    with wanted as (
      select * from unnest(${col((d) => d.levelId)}::int[], ${col((d) => d.onHandDelta)}::int[], ${col((d) => d.reservedDelta)}::int[],
                           ${col((d) => d.movements)}::int[], ${col((d) => d.minAvailable ?? null)}::int[],
                           ${col((d) => d.expectedVersion ?? null)}::int[], ${col((d) => d.threshold ?? null)}::int[])
        as w(id, on_hand_delta, reserved_delta, movements, min_available, expected_version, threshold)),
    locked as materialized (select l.* from stock_levels l where l.id in (select id from wanted) order by l.id for update),
    changed as (
      update stock_levels l
         set on_hand = k.on_hand + w.on_hand_delta, reserved = k.reserved + w.reserved_delta,
             version = k.version + w.movements, low_stock_threshold = coalesce(w.threshold, k.low_stock_threshold), updated_at = now()
        from wanted w, locked k
       where l.id = w.id and k.id = w.id
         and (w.min_available is null or k.on_hand - k.reserved >= w.min_available)
         and (w.expected_version is null or k.version = w.expected_version)
         and k.on_hand::bigint + w.on_hand_delta <= ${INT4_MAX}
      returning ${fieldsOf(stockLevels, "l")}, k.low_stock_threshold as "thresholdBefore")
    select true as "applied", false as "overflow", c.* from changed c
    union all
    select false, k.on_hand::bigint + w.on_hand_delta > ${INT4_MAX}, ${fieldsOf(stockLevels, "k")}, k.low_stock_threshold
      from locked k join wanted w on w.id = k.id
     where k.id not in (select id from changed)
    order by "id"`);
  const rows = rowsOf<Record<string, unknown>>(result);
  const mapped = mapRows<LevelRow>(stockLevels, rows);
  return mapped.map((row, i) => ({
    applied: rows[i]!.applied === true,
    overflow: rows[i]!.overflow === true,
    row,
    thresholdBefore: Number(rows[i]!.thresholdBefore),
  }));
}

export async function findLevel(ex: Executor, levelId: number): Promise<LevelRow | null> {
  const rows = await ex.select().from(stockLevels).where(eq(stockLevels.id, levelId));
  return rows[0] ?? null;
}

export async function findLevelId(ex: Executor, productId: number, warehouseId: number): Promise<number | null> {
  const rows = await ex
    .select({ id: stockLevels.id })
    .from(stockLevels)
    .where(and(eq(stockLevels.productId, productId), eq(stockLevels.warehouseId, warehouseId)));
  return rows[0]?.id ?? null;
}

/** The level of (product, warehouse), created empty if it does not exist yet. */
export async function ensureLevel(ex: Executor, productId: number, warehouseId: number, threshold = 0): Promise<number> {
  const inserted = await ex
    .insert(stockLevels)
    .values({ productId, warehouseId, lowStockThreshold: threshold })
    .onConflictDoNothing()
    .returning({ id: stockLevels.id });
  if (inserted[0]) return inserted[0].id;
  const id = await findLevelId(ex, productId, warehouseId);
  if (id === null) throw new Error(`stock level ${productId}/${warehouseId} vanished`);
  return id;
}

/**
 * Movement rows in one statement, their ids (the ledger sequence) taken in
 * the given order. One parameter per column whatever the number of rows, so
 * the statement stays prepared and costs the same to build for 1 row or 200.
 */
export async function insertMovements(ex: Executor, rows: NewMovement[]): Promise<MovementRow[]> {
  if (rows.length === 0) return [];
  const col = <T>(pick: (r: NewMovement) => T) => sql.param(rows.map(pick));
  const result = await ex.execute(sql`
    insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, version, threshold_after, channel, order_id, reason, actor, transfer_id)
    select level_id, product_id, warehouse_id, type::movement_type, on_hand_delta, reserved_delta,
           on_hand_after, reserved_after, version, threshold_after, channel, order_id, reason, actor, transfer_id
      from unnest(${col((r) => r.levelId)}::int[], ${col((r) => r.productId)}::int[], ${col((r) => r.warehouseId)}::int[],
                  ${col((r) => r.type)}::text[], ${col((r) => r.onHandDelta)}::int[], ${col((r) => r.reservedDelta)}::int[],
                  ${col((r) => r.onHandAfter)}::int[], ${col((r) => r.reservedAfter)}::int[], ${col((r) => r.version)}::int[],
                  ${col((r) => r.thresholdAfter ?? null)}::int[], ${col((r) => r.channel ?? "default")}::text[],
                  ${col((r) => r.orderId ?? null)}::text[], ${col((r) => r.reason ?? null)}::text[], ${col((r) => r.actor)}::text[],
                  ${col((r) => r.transferId ?? null)}::bigint[])
           with ordinality as u(level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                on_hand_after, reserved_after, version, threshold_after, channel, order_id, reason, actor, transfer_id, n)
     order by n
    returning ${fieldsOf(stockMovements)}`);
  return mapRows<MovementRow>(stockMovements, rowsOf(result));
}

/** An alert and the movement that caused it, named by its level and version (its id is not known yet). */
export type NewAlertOf = Omit<NewAlert, "movementId" | "id" | "createdAt"> & { movementVersion: number };

/**
 * Alert rows in one statement, each naming its movement by (level, version),
 * so it can be sent right behind the movement rows, in the same round trip,
 * without waiting for their ids.
 */
export async function insertAlerts(ex: Executor, rows: NewAlertOf[]): Promise<AlertRow[]> {
  if (rows.length === 0) return [];
  const col = <T>(pick: (r: NewAlertOf) => T) => sql.param(rows.map(pick));
  const result = await ex.execute(sql`
    insert into stock_alerts (level_id, warehouse_id, kind, threshold, available_before, available_after, movement_id)
    select u.level_id, u.warehouse_id, u.kind::stock_alert_kind, u.threshold, u.available_before, u.available_after,
           (select m.id from stock_movements m where m.level_id = u.level_id and m.version = u.version)
      from unnest(${col((r) => r.levelId)}::int[], ${col((r) => r.warehouseId)}::int[], ${col((r) => r.kind)}::text[],
                  ${col((r) => r.threshold)}::int[], ${col((r) => r.availableBefore)}::int[], ${col((r) => r.availableAfter)}::int[],
                  ${col((r) => r.movementVersion)}::int[])
           with ordinality as u(level_id, warehouse_id, kind, threshold, available_before, available_after, version, n)
     order by n
    returning ${fieldsOf(stockAlerts)}`);
  return mapRows<AlertRow>(stockAlerts, rowsOf(result));
}

export async function movementsByOrder(ex: Executor, order: { channel: string; orderId: string }, type: MovementRow["type"]): Promise<MovementRow[]> {
  return ex
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, order.orderId), eq(stockMovements.channel, order.channel), eq(stockMovements.type, type)))
    .orderBy(asc(stockMovements.id));
}

/** Units of a level sold to an order (confirmed or deducted) minus those already returned. */
export async function returnableForOrder(
  ex: Executor,
  order: { channel: string; orderId: string },
  levelId: number,
): Promise<{ sold: number; returnable: number }> {
  const rows = await ex
    .select({
      sold: sql<string>`coalesce(sum(-${stockMovements.onHandDelta}) filter (where ${stockMovements.type} in ('CONFIRM','DEDUCT')), 0)`,
      returned: sql<string>`coalesce(sum(${stockMovements.onHandDelta}) filter (where ${stockMovements.type} = 'RETURN'), 0)`,
    })
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, order.orderId), eq(stockMovements.channel, order.channel), eq(stockMovements.levelId, levelId)));
  const sold = Number(rows[0]?.sold ?? 0);
  return { sold, returnable: sold - Number(rows[0]?.returned ?? 0) };
}

/** Serialises work on one key inside the current transaction (released at commit). */
export async function lockKey(ex: Executor, key: string): Promise<void> {
  await ex.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

export async function productBySku(ex: Executor, sku: string) {
  const rows = await ex.select().from(products).where(eq(products.sku, sku));
  return rows[0] ?? null;
}

export async function allWarehouses(ex: Executor) {
  return ex.select().from(warehouses).orderBy(asc(warehouses.priority), asc(warehouses.code));
}
