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
  movements?: number;
  /** Guard: only while on_hand - reserved >= this. */
  minAvailable?: number;
  /** Guard: only while the level is still at this version. */
  expectedVersion?: number;
}

/**
 * The one guarded UPDATE of DESIGN.md. Returns the row after the change, or
 * null when a guard said no (nothing changed). Postgres re-checks the WHERE
 * on the newest row version after waiting for a concurrent writer, so READ
 * COMMITTED is enough and no read precedes the write.
 */
export async function updateLevel(ex: Executor, d: LevelDelta): Promise<LevelRow | null> {
  const guards = [eq(stockLevels.id, d.levelId)];
  if (d.minAvailable !== undefined) {
    guards.push(sql`${stockLevels.onHand} - ${stockLevels.reserved} >= ${d.minAvailable}`);
  }
  if (d.expectedVersion !== undefined) guards.push(eq(stockLevels.version, d.expectedVersion));
  const rows = await ex
    .update(stockLevels)
    .set({
      onHand: sql`${stockLevels.onHand} + ${d.onHandDelta}`,
      reserved: sql`${stockLevels.reserved} + ${d.reservedDelta}`,
      version: sql`${stockLevels.version} + ${d.movements ?? 1}`,
      updatedAt: sql`now()`,
    })
    .where(and(...guards))
    .returning();
  return rows[0] ?? null;
}

/**
 * Coalesced reserves (stock/reserve-coalescer.ts): adds each quantity to its
 * level's `reserved`, and `movements` to its version, in one statement, each
 * level guarded like `updateLevel` (only while on_hand - reserved >= the
 * quantity). The levels are locked first, in ascending id order, whether
 * their guard then says yes or no, and stay locked to the end of the
 * transaction: two such statements (or one and a multi-line reserve) never
 * wait on each other in a cycle, and the caller may work out what fits of a
 * level that said no without it moving. Returns every level found: `applied`
 * with the row after the change, or `refused` with the row as locked (its
 * newest version, which nobody else can change before this transaction ends).
 */
export async function addReservedToLevels(
  ex: Executor,
  deltas: { levelId: number; quantity: number; movements: number }[],
): Promise<{ applied: LevelRow[]; refused: LevelRow[] }> {
  if (deltas.length === 0) return { applied: [], refused: [] };
  const ids = sql.param(deltas.map((d) => d.levelId));
  const quantities = sql.param(deltas.map((d) => d.quantity));
  const movements = sql.param(deltas.map((d) => d.movements));
  // The locking read returns the newest version of each row (not the
  // statement's snapshot), so the refused rows are read from it.
  const result = await ex.execute(sql`
    with wanted as (select * from unnest(${ids}::int[], ${quantities}::int[], ${movements}::int[]) as w(id, quantity, movements)),
    locked as materialized (select l.* from stock_levels l where l.id in (select id from wanted) order by l.id for update),
    changed as (
      update stock_levels l
         set reserved = l.reserved + w.quantity, version = l.version + w.movements, updated_at = now()
        from wanted w, locked k
       where l.id = w.id and k.id = w.id and l.on_hand - l.reserved >= w.quantity
      returning ${fieldsOf(stockLevels, "l")})
    select true as "applied", c.* from changed c
    union all
    select false, ${fieldsOf(stockLevels, "k")} from locked k where k.id not in (select id from changed)`);
  const rows = rowsOf<Record<string, unknown>>(result);
  const mapped = mapRows<LevelRow>(stockLevels, rows);
  return {
    applied: mapped.filter((_, i) => rows[i]!.applied === true),
    refused: mapped.filter((_, i) => rows[i]!.applied !== true),
  };
}

/** Sets a level to a counted quantity, only while it is still at `version` (stocktake). */
export async function setOnHandAtVersion(ex: Executor, levelId: number, version: number, onHand: number): Promise<LevelRow | null> {
  const rows = await ex
    .update(stockLevels)
    .set({ onHand, version: sql`${stockLevels.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(stockLevels.id, levelId), eq(stockLevels.version, version), sql`${stockLevels.reserved} <= ${onHand}`))
    .returning();
  return rows[0] ?? null;
}

/**
 * Changes the threshold (not a movement, so the version stays). The old value
 * is read under the row lock the update then uses, for the crossing check.
 */
export async function updateThreshold(
  ex: Executor,
  levelId: number,
  threshold: number,
  expectedVersion?: number,
): Promise<{ level: LevelRow; oldThreshold: number } | null> {
  const locked = await ex
    .select({ threshold: stockLevels.lowStockThreshold, version: stockLevels.version })
    .from(stockLevels)
    .where(eq(stockLevels.id, levelId))
    .for("update");
  const old = locked[0];
  if (!old || (expectedVersion !== undefined && old.version !== expectedVersion)) return null;
  const rows = await ex
    .update(stockLevels)
    .set({ lowStockThreshold: threshold, updatedAt: sql`now()` })
    .where(eq(stockLevels.id, levelId))
    .returning();
  return rows[0] ? { level: rows[0], oldThreshold: old.threshold } : null;
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
                                 on_hand_after, reserved_after, version, order_id, reason, actor)
    select level_id, product_id, warehouse_id, type::movement_type, on_hand_delta, reserved_delta,
           on_hand_after, reserved_after, version, order_id, reason, actor
      from unnest(${col((r) => r.levelId)}::int[], ${col((r) => r.productId)}::int[], ${col((r) => r.warehouseId)}::int[],
                  ${col((r) => r.type)}::text[], ${col((r) => r.onHandDelta)}::int[], ${col((r) => r.reservedDelta)}::int[],
                  ${col((r) => r.onHandAfter)}::int[], ${col((r) => r.reservedAfter)}::int[], ${col((r) => r.version)}::int[],
                  ${col((r) => r.orderId ?? null)}::text[], ${col((r) => r.reason ?? null)}::text[], ${col((r) => r.actor)}::text[])
           with ordinality as u(level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                on_hand_after, reserved_after, version, order_id, reason, actor, n)
     order by n
    returning ${fieldsOf(stockMovements)}`);
  return mapRows<MovementRow>(stockMovements, rowsOf(result));
}

export async function insertAlerts(ex: Executor, rows: NewAlert[]): Promise<AlertRow[]> {
  if (rows.length === 0) return [];
  return ex.insert(stockAlerts).values(rows).returning();
}

export async function movementsByOrder(ex: Executor, orderId: string, type: MovementRow["type"]): Promise<MovementRow[]> {
  return ex
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, orderId), eq(stockMovements.type, type)))
    .orderBy(asc(stockMovements.id));
}

/** Units of a level sold to an order (confirmed or deducted) minus those already returned. */
export async function returnableForOrder(ex: Executor, orderId: string, levelId: number): Promise<{ sold: number; returnable: number }> {
  const rows = await ex
    .select({
      sold: sql<string>`coalesce(sum(-${stockMovements.onHandDelta}) filter (where ${stockMovements.type} in ('CONFIRM','DEDUCT')), 0)`,
      returned: sql<string>`coalesce(sum(${stockMovements.onHandDelta}) filter (where ${stockMovements.type} = 'RETURN'), 0)`,
    })
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, orderId), eq(stockMovements.levelId, levelId)));
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
