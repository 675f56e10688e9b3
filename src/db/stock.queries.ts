import { and, asc, eq, type Placeholder, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { preparedStatement } from "./prepared.js";
import { anyOf, fieldsOf, mapRows } from "./rows.js";
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

/** A level's new figures, worked out under its lock (lot-tracked writes): set only while it is at `lockedVersion`. */
export interface LevelSet {
  id: number;
  lockedVersion: number;
  onHand: number;
  reserved: number;
  unsellable: number;
  version: number;
  lowStockThreshold: number;
}

/** Sets levels to figures worked out under their locks, in one statement. */
export async function setLevels(ex: Executor, rows: readonly LevelSet[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: LevelSet) => T) => sql.param(rows.map(pick));
  await ex.execute(sql`
    update stock_levels l
       set on_hand = u.on_hand, reserved = u.reserved, unsellable = u.unsellable, version = u.version,
           low_stock_threshold = u.threshold, updated_at = now()
      from unnest(${col((r) => r.id)}::int[], ${col((r) => r.lockedVersion)}::int[], ${col((r) => r.onHand)}::int[],
                  ${col((r) => r.reserved)}::int[], ${col((r) => r.unsellable)}::int[], ${col((r) => r.version)}::int[],
                  ${col((r) => r.lowStockThreshold)}::int[])
           as u(id, locked_version, on_hand, reserved, unsellable, version, threshold)
     where l.id = u.id and l.version = u.locked_version`);
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
  /** Whether this level's own guards held (false only where a guard said no; with `all`, a level may hold and still be unchanged). */
  held: boolean;
}

const INT4_MAX = 2147483647;

/** The levels' changes as unnest's columns (one array parameter each, whatever the number of levels). */
type DeltaColumns = {
  id: number[];
  onHandDelta: number[];
  reservedDelta: number[];
  movements: number[];
  minAvailable: (number | null)[];
  expectedVersion: (number | null)[];
  threshold: (number | null)[];
};

const holds = (l: string, w: string) =>
  sql.raw(`(${w}.min_available is null or ${l}.on_hand - ${l}.reserved - ${l}.unsellable >= ${w}.min_available)
         and (${w}.expected_version is null or ${l}.version = ${w}.expected_version)
         and ${l}.on_hand::bigint + ${w}.on_hand_delta <= ${INT4_MAX}`);
const wanted = (p: (name: keyof DeltaColumns & string) => Placeholder) => sql`
    select * from unnest(${p("id")}::int[], ${p("onHandDelta")}::int[], ${p("reservedDelta")}::int[],
                         ${p("movements")}::int[], ${p("minAvailable")}::int[],
                         ${p("expectedVersion")}::int[], ${p("threshold")}::int[])
      as w(id, on_hand_delta, reserved_delta, movements, min_available, expected_version, threshold)`;

const lockLevels = preparedStatement<DeltaColumns>(
  (p) => sql`
      with wanted as (${wanted(p)})
      select ${holds("l", "w")} as "held", l.on_hand::bigint + w.on_hand_delta > ${INT4_MAX} as "overflow", ${fieldsOf(stockLevels, "l")}
        from stock_levels l join wanted w on w.id = l.id
       order by l.id
         for update of l`,
);

/** Each wanted level's deltas, its version moved on by its number of changes. */
const applyWanted = sql.raw(`on_hand = l.on_hand + w.on_hand_delta, reserved = l.reserved + w.reserved_delta,
             version = l.version + w.movements, low_stock_threshold = coalesce(w.threshold, l.low_stock_threshold), updated_at = now()`);

/** Each level whose guards hold is changed (coalesced reserves: each change wins or loses on its own). */
const updateHeld = preparedStatement<DeltaColumns>(
  (p) => sql`
      with wanted as (${wanted(p)})
      update stock_levels l set ${applyWanted}
        from wanted w
       where l.id = w.id and ${holds("l", "w")}
      returning ${fieldsOf(stockLevels, "l")}`,
);

// All levels or none. The verdict is MATERIALIZED: inlined, the planner puts
// its aggregate on the inner side of the join with the levels and works it
// out again for every level (quadratic: 60 levels cost 3,600 index probes).
const updateAllOrNone = preparedStatement<DeltaColumns>(
  (p) => sql`
      with wanted as (${wanted(p)}),
      verdict as materialized (select coalesce(bool_and(${holds("l", "w")}), true) as "all" from stock_levels l join wanted w on w.id = l.id)
      update stock_levels l set ${applyWanted}
        from wanted w, verdict v
       where l.id = w.id and ${holds("l", "w")} and v."all"
      returning ${fieldsOf(stockLevels, "l")}`,
);

/**
 * The one guarded UPDATE of docs/design.md, for any number of levels at once.
 * Two statements sent together (one round trip): the first locks the levels
 * in ascending id order (so two writers never wait on each other in a cycle)
 * and reads them as locked; the second, whose snapshot is taken once the
 * first holds the locks, changes each level only while its guards hold on
 * those very rows, which nobody else can change before this transaction
 * ends. (One statement cannot do both: an UPDATE that meets a row its own
 * statement locked after a concurrent commit skips the row.) With `all`,
 * nothing changes unless every level's guards hold. Returns one outcome per
 * level found, in ascending id order: the row after the change, or, where
 * nothing changed, the row as locked: the very figures the guard judged.
 */
export async function applyLevelDeltas(ex: Executor, deltas: readonly LevelDelta[], opts: { all?: boolean } = {}): Promise<LevelOutcome[]> {
  if (deltas.length === 0) return [];
  const columns: DeltaColumns = {
    id: deltas.map((d) => d.levelId),
    onHandDelta: deltas.map((d) => d.onHandDelta),
    reservedDelta: deltas.map((d) => d.reservedDelta),
    movements: deltas.map((d) => d.movements),
    minAvailable: deltas.map((d) => d.minAvailable ?? null),
    expectedVersion: deltas.map((d) => d.expectedVersion ?? null),
    threshold: deltas.map((d) => d.threshold ?? null),
  };
  const [lockedResult, changedResult] = await Promise.all([lockLevels(ex, columns), (opts.all ? updateAllOrNone : updateHeld)(ex, columns)]);
  const locked = rowsOf<Record<string, unknown>>(lockedResult);
  const lockedRows = mapRows<LevelRow>(stockLevels, locked);
  const changed = new Map(mapRows<LevelRow>(stockLevels, rowsOf(changedResult)).map((r) => [r.id, r]));
  return lockedRows.map((row, i) => {
    const after = changed.get(row.id);
    return {
      applied: after !== undefined,
      overflow: locked[i]!.overflow === true,
      held: after !== undefined || locked[i]!.held === true,
      row: after ?? row,
      thresholdBefore: row.lowStockThreshold,
    };
  });
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
    .values({ productId, warehouseId, lowStockThreshold: threshold, tracksLots: sql`(select tracks_lots from products where id = ${productId})` })
    .onConflictDoNothing()
    .returning({ id: stockLevels.id });
  if (inserted[0]) return inserted[0].id;
  const id = await findLevelId(ex, productId, warehouseId);
  if (id === null) throw new Error(`stock level ${productId}/${warehouseId} vanished`);
  return id;
}

const movementColumns = {
  levelId: "int",
  productId: "int",
  warehouseId: "int",
  type: "text",
  onHandDelta: "int",
  reservedDelta: "int",
  onHandAfter: "int",
  reservedAfter: "int",
  version: "int",
  thresholdAfter: "int",
  unsellableAfter: "int",
  channel: "text",
  orderId: "text",
  reason: "text",
  actor: "text",
  transferId: "bigint",
} as const;
type MovementColumns = { [K in keyof typeof movementColumns]: unknown[] };

const insertMovementRows = preparedStatement<MovementColumns>(
  (p) => sql`
    insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, version, threshold_after, unsellable_after, channel, order_id, reason, actor, transfer_id)
    select level_id, product_id, warehouse_id, type::movement_type, on_hand_delta, reserved_delta,
           on_hand_after, reserved_after, version, threshold_after, unsellable_after, channel, order_id, reason, actor, transfer_id
      from unnest(${sql.join(
        Object.entries(movementColumns).map(([name, type]) => sql`${p(name as keyof MovementColumns)}::${sql.raw(type)}[]`),
        sql`, `,
      )})
           with ordinality as u(level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                on_hand_after, reserved_after, version, threshold_after, unsellable_after, channel, order_id, reason, actor, transfer_id, n)
     order by n
    returning ${fieldsOf(stockMovements)}`,
);

/**
 * Movement rows in one statement, their ids (the ledger sequence) taken in
 * the given order. One parameter per column whatever the number of rows, so
 * the statement stays prepared, and its text is built once.
 */
export async function insertMovements(ex: Executor, rows: NewMovement[]): Promise<MovementRow[]> {
  if (rows.length === 0) return [];
  const result = await insertMovementRows(ex, {
    levelId: rows.map((r) => r.levelId),
    productId: rows.map((r) => r.productId),
    warehouseId: rows.map((r) => r.warehouseId),
    type: rows.map((r) => r.type),
    onHandDelta: rows.map((r) => r.onHandDelta),
    reservedDelta: rows.map((r) => r.reservedDelta),
    onHandAfter: rows.map((r) => r.onHandAfter),
    reservedAfter: rows.map((r) => r.reservedAfter),
    version: rows.map((r) => r.version),
    thresholdAfter: rows.map((r) => r.thresholdAfter ?? null),
    unsellableAfter: rows.map((r) => r.unsellableAfter ?? 0),
    channel: rows.map((r) => r.channel ?? "default"),
    orderId: rows.map((r) => r.orderId ?? null),
    reason: rows.map((r) => r.reason ?? null),
    actor: rows.map((r) => r.actor),
    transferId: rows.map((r) => r.transferId ?? null),
  });
  return mapRows<MovementRow>(stockMovements, rowsOf(result));
}

/** An alert and the movement that caused it, named by its level and version (its id is not known yet). */
export type NewAlertOf = Omit<NewAlert, "movementId" | "id" | "createdAt"> & { movementVersion: number | null };

/**
 * Alert rows in one statement, each naming its movement by (level, version),
 * so it can be sent right behind the movement rows, in the same round trip,
 * without waiting for their ids.
 */
export async function insertAlerts(ex: Executor, rows: NewAlertOf[]): Promise<AlertRow[]> {
  if (rows.length === 0) return [];
  const result = await insertAlertRows(ex, {
    levelId: rows.map((r) => r.levelId),
    warehouseId: rows.map((r) => r.warehouseId),
    kind: rows.map((r) => r.kind),
    threshold: rows.map((r) => r.threshold),
    availableBefore: rows.map((r) => r.availableBefore),
    availableAfter: rows.map((r) => r.availableAfter),
    movementVersion: rows.map((r) => r.movementVersion),
    lotId: rows.map((r) => r.lotId ?? null),
  });
  return mapRows<AlertRow>(stockAlerts, rowsOf(result));
}

const insertAlertRows = preparedStatement<Record<"levelId" | "warehouseId" | "kind" | "threshold" | "availableBefore" | "availableAfter" | "movementVersion" | "lotId", unknown[]>>(
  (p) => sql`
    insert into stock_alerts (level_id, warehouse_id, kind, threshold, available_before, available_after, movement_id, lot_id)
    select u.level_id, u.warehouse_id, u.kind::stock_alert_kind, u.threshold, u.available_before, u.available_after,
           (select m.id from stock_movements m where m.level_id = u.level_id and m.version = u.version), u.lot_id
      from unnest(${p("levelId")}::int[], ${p("warehouseId")}::int[], ${p("kind")}::text[],
                  ${p("threshold")}::int[], ${p("availableBefore")}::int[], ${p("availableAfter")}::int[],
                  ${p("movementVersion")}::int[], ${p("lotId")}::int[])
           with ordinality as u(level_id, warehouse_id, kind, threshold, available_before, available_after, version, lot_id, n)
     order by n
    returning ${fieldsOf(stockAlerts)}`,
);

export async function movementsByOrder(ex: Executor, order: { channel: string; orderId: string }, type: MovementRow["type"]): Promise<MovementRow[]> {
  return ex
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.orderId, order.orderId), eq(stockMovements.channel, order.channel), eq(stockMovements.type, type)))
    .orderBy(asc(stockMovements.id));
}

/**
 * Where an order's units of a product came from (its CONFIRM and DEDUCT
 * movements), per level in the order they were first sold there, with how
 * many of them can still come back (sold minus returned).
 */
export async function soldToOrder(
  ex: Executor,
  order: { channel: string; orderId: string },
  productId: number,
): Promise<Array<{ levelId: number; warehouseId: number; warehouseCode: string; returnable: number }>> {
  const rows = await ex
    .select({
      levelId: stockMovements.levelId,
      warehouseId: stockMovements.warehouseId,
      warehouseCode: warehouses.code,
      sold: sql<string>`coalesce(sum(-${stockMovements.onHandDelta}) filter (where ${stockMovements.type} in ('CONFIRM','DEDUCT')), 0)`,
      returned: sql<string>`coalesce(sum(${stockMovements.onHandDelta}) filter (where ${stockMovements.type} = 'RETURN'), 0)`,
    })
    .from(stockMovements)
    .innerJoin(warehouses, eq(warehouses.id, stockMovements.warehouseId))
    .where(and(eq(stockMovements.orderId, order.orderId), eq(stockMovements.channel, order.channel), eq(stockMovements.productId, productId)))
    .groupBy(stockMovements.levelId, stockMovements.warehouseId, warehouses.code)
    .orderBy(sql`min(${stockMovements.id})`);
  return rows
    .filter((r) => Number(r.sold) > 0)
    .map((r) => ({ levelId: r.levelId, warehouseId: r.warehouseId, warehouseCode: r.warehouseCode, returnable: Number(r.sold) - Number(r.returned) }));
}

/** Serialises work on one key inside the current transaction (released at commit). */
export async function lockKey(ex: Executor, key: string): Promise<void> {
  await ex.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** One warehouse's stock of a product, as allocation sees it: active warehouses only. */
export interface SourceRow {
  levelId: number;
  productId: number;
  warehouseId: number;
  warehouseCode: string;
  priority: number;
  latitude: number | null;
  longitude: number | null;
  available: number;
}

/** The levels of these products in active warehouses, with what each has available now. */
export async function sourcesOf(ex: Executor, productIds: readonly number[]): Promise<SourceRow[]> {
  if (productIds.length === 0) return [];
  return rowsOf<SourceRow>(await sourcesStatement(ex, { productIds: [...productIds] }));
}

const sourcesStatement = preparedStatement<{ productIds: number[] }>(
  (p) => sql`
    select l.id as "levelId", l.product_id as "productId", w.id as "warehouseId", w.code as "warehouseCode",
           w.priority as "priority", w.latitude as "latitude", w.longitude as "longitude",
           (l.on_hand - l.reserved - l.unsellable)::int as "available"
      from stock_levels l
      join warehouses w on w.id = l.warehouse_id
     where l.product_id = any(${p("productIds")}::int[]) and w.active
     order by l.id`,
);

export async function productBySku(ex: Executor, sku: string) {
  const rows = await ex.select().from(products).where(eq(products.sku, sku));
  return rows[0] ?? null;
}

export async function allWarehouses(ex: Executor) {
  return ex.select().from(warehouses).orderBy(asc(warehouses.priority), asc(warehouses.code));
}
