import { and, asc, desc, eq, gt, ilike, lt, lte, or, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { preparedStatement } from "./prepared.js";
import { anyOf, fieldsOf, mapRows } from "./rows.js";
import { products, reservations, stockAlerts, stockLevels, stockMovements, transferEvents, transfers, warehouses } from "./schema.js";
import type { AlertRow, LevelRow, MovementRow } from "./stock.queries.js";
import type { ReservationRow } from "./reservation.queries.js";
import type { TransferEventRow } from "./transfer.queries.js";

const available = sql`(${stockLevels.onHand} - ${stockLevels.reserved} - ${stockLevels.unsellable})`;
const activeLevelOf = (productId: SQL | typeof products.id) => sql`
  select 1 from ${stockLevels} join ${warehouses} on ${warehouses.id} = ${stockLevels.warehouseId}
  where ${stockLevels.productId} = ${productId} and ${warehouses.active}`;

export interface ProductFilter {
  search?: string | null;
  lowStock?: boolean | null;
  outOfStock?: boolean | null;
}

function productConditions(filter: ProductFilter | undefined): SQL[] {
  const where: SQL[] = [];
  if (filter?.search) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(products.sku, pattern), ilike(products.name, pattern))!);
  }
  // A product is low when any of its active levels is; out of stock when nothing is available anywhere.
  const low = sql`exists (${activeLevelOf(products.id)} and ${available} <= ${stockLevels.lowStockThreshold})`;
  const out = sql`not exists (${activeLevelOf(products.id)} and ${available} > 0)`;
  if (filter?.lowStock != null) where.push(filter.lowStock ? low : sql`not ${low}`);
  if (filter?.outOfStock != null) where.push(filter.outOfStock ? out : sql`not ${out}`);
  return where;
}

export async function productPage(ex: Executor, first: number, afterId: number | null, filter?: ProductFilter) {
  const where = productConditions(filter);
  const page = [...where];
  if (afterId !== null) page.push(gt(products.id, afterId));
  const [rows, count] = await Promise.all([
    ex.select().from(products).where(and(...page)).orderBy(asc(products.id)).limit(first + 1),
    ex.select({ n: sql<string>`count(*)` }).from(products).where(and(...where)),
  ]);
  return { rows, totalCount: Number(count[0]?.n ?? 0) };
}

export async function productsByIds(ex: Executor, ids: readonly number[]) {
  if (ids.length === 0) return [];
  return ex.select().from(products).where(anyOf(products.id, ids));
}

export async function warehousesByIds(ex: Executor, ids: readonly number[]) {
  if (ids.length === 0) return [];
  return ex.select().from(warehouses).where(anyOf(warehouses.id, ids));
}

export async function levelsByProductIds(ex: Executor, productIds: readonly number[]): Promise<LevelRow[]> {
  if (productIds.length === 0) return [];
  return ex
    .select()
    .from(stockLevels)
    .where(anyOf(stockLevels.productId, productIds))
    .orderBy(asc(stockLevels.id));
}

export async function levelsByIds(ex: Executor, ids: readonly number[]): Promise<LevelRow[]> {
  if (ids.length === 0) return [];
  return mapRows<LevelRow>(stockLevels, rowsOf(await levelsByIdsStatement(ex, { ids: [...ids] })));
}

const levelsByIdsStatement = preparedStatement<{ ids: number[] }>(
  (p) => sql`select ${fieldsOf(stockLevels)} from stock_levels where id = any(${p("ids")}::int[])`,
);

/** Active-warehouse levels of each product, for summaries. */
export async function activeLevelsByProductIds(ex: Executor, productIds: readonly number[]): Promise<LevelRow[]> {
  if (productIds.length === 0) return [];
  const rows = await ex
    .select({ level: stockLevels })
    .from(stockLevels)
    .innerJoin(warehouses, eq(warehouses.id, stockLevels.warehouseId))
    .where(and(anyOf(stockLevels.productId, productIds), eq(warehouses.active, true)));
  return rows.map((r) => r.level);
}

/** Levels at or below their threshold, lowest available first, keyset-paged by (available, id). */
export async function lowStockPage(ex: Executor, first: number, warehouseId: number | null, after: { available: number; id: number } | null) {
  const where: SQL[] = [sql`${available} <= ${stockLevels.lowStockThreshold}`, eq(warehouses.active, true)];
  if (warehouseId !== null) where.push(eq(stockLevels.warehouseId, warehouseId));
  if (after) where.push(sql`(${available}, ${stockLevels.id}) > (${after.available}, ${after.id})`);
  const rows = await ex
    .select({ level: stockLevels })
    .from(stockLevels)
    .innerJoin(warehouses, eq(warehouses.id, stockLevels.warehouseId))
    .where(and(...where))
    .orderBy(asc(available), asc(stockLevels.id))
    .limit(first);
  return rows.map((r) => r.level);
}

export async function reservationPage(ex: Executor, first: number, beforeId: number | null, status?: ReservationRow["status"] | null) {
  const where: SQL[] = [];
  if (status) where.push(eq(reservations.status, status));
  if (beforeId !== null) where.push(lt(reservations.id, beforeId));
  return ex
    .select()
    .from(reservations)
    .where(and(...where))
    .orderBy(desc(reservations.id))
    .limit(first + 1);
}

export interface MovementFilter {
  productId?: number;
  warehouseId?: number;
  type?: MovementRow["type"] | null;
  orderId?: string | null;
}

/**
 * Ledger rows in sequence order. Oldest first stops at `settledUpTo`, the
 * highest sequence below which nothing can still commit, so a cursor taken
 * from a page never skips a late commit. Newest first shows everything committed.
 */
export async function movementPage(
  ex: Executor,
  filter: MovementFilter,
  first: number,
  after: number | null,
  opts: { newestFirst: boolean; settledUpTo: number },
): Promise<MovementRow[]> {
  const where: SQL[] = [];
  if (filter.productId !== undefined) where.push(eq(stockMovements.productId, filter.productId));
  if (filter.warehouseId !== undefined) where.push(eq(stockMovements.warehouseId, filter.warehouseId));
  if (filter.type) where.push(eq(stockMovements.type, filter.type));
  if (filter.orderId) where.push(eq(stockMovements.orderId, filter.orderId));
  if (opts.newestFirst) {
    if (after !== null) where.push(lt(stockMovements.id, after));
  } else {
    if (after !== null) where.push(gt(stockMovements.id, after));
    where.push(lte(stockMovements.id, opts.settledUpTo));
  }
  return ex
    .select()
    .from(stockMovements)
    .where(and(...where))
    .orderBy(opts.newestFirst ? desc(stockMovements.id) : asc(stockMovements.id))
    .limit(first + 1);
}

/**
 * Ledger entries with from < id <= to, oldest first, at most `limit` of each
 * kind: each movement with its level's current low-stock threshold, each alert
 * with its level as it is now, each transfer change with its transfer's
 * reference. Movements and alerts in one round trip; transfer events in a
 * second one, only when the first two leave numbers of the range unaccounted for.
 */
export async function ledgerRange(
  ex: Executor,
  from: number,
  to: number,
  limit: number,
): Promise<{
  movements: { movement: MovementRow; threshold: number }[];
  /** Each alert with its level as it is now and the movement that raised it (null for an alert no movement raised). */
  alerts: { alert: AlertRow; level: LevelRow; movement: MovementRow | null }[];
  transfers: { change: TransferEventRow; reference: string }[];
}> {
  const [movements, alerts] = await Promise.all([
    ex
      .select({ movement: stockMovements, threshold: stockLevels.lowStockThreshold })
      .from(stockMovements)
      .innerJoin(stockLevels, eq(stockLevels.id, stockMovements.levelId))
      .where(and(gt(stockMovements.id, from), lte(stockMovements.id, to)))
      .orderBy(asc(stockMovements.id))
      .limit(limit),
    ex
      .select({ alert: stockAlerts, level: stockLevels, movement: stockMovements })
      .from(stockAlerts)
      .innerJoin(stockLevels, eq(stockLevels.id, stockAlerts.levelId))
      .leftJoin(stockMovements, eq(stockMovements.id, stockAlerts.movementId))
      .where(and(gt(stockAlerts.id, from), lte(stockAlerts.id, to)))
      .orderBy(asc(stockAlerts.id))
      .limit(limit),
  ]);
  // The three tables share one sequence: when movements and alerts take every
  // number of the range, no transfer event can be in it (the usual case under
  // load, spared a statement). Rolled-back transactions leave numbers unused.
  const complete = movements.length < limit && alerts.length < limit && movements.length + alerts.length === to - from;
  const transferChanges = complete
    ? []
    : await ex
        .select({ change: transferEvents, reference: transfers.reference })
        .from(transferEvents)
        .innerJoin(transfers, eq(transfers.id, transferEvents.transferId))
        .where(and(gt(transferEvents.id, from), lte(transferEvents.id, to)))
        .orderBy(asc(transferEvents.id))
        .limit(limit);
  return { movements, alerts, transfers: transferChanges };
}

export async function alertPage(ex: Executor, first: number, beforeId: number | null, warehouseId: number | null): Promise<AlertRow[]> {
  const where: SQL[] = [];
  if (warehouseId !== null) where.push(eq(stockAlerts.warehouseId, warehouseId));
  if (beforeId !== null) where.push(lt(stockAlerts.id, beforeId));
  return ex
    .select()
    .from(stockAlerts)
    .where(and(...where))
    .orderBy(desc(stockAlerts.id))
    .limit(first + 1);
}

export async function movementsByIds(ex: Executor, ids: readonly number[]): Promise<MovementRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(stockMovements).where(anyOf(stockMovements.id, ids));
}

export async function alertsByIds(ex: Executor, ids: readonly number[]): Promise<AlertRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(stockAlerts).where(anyOf(stockAlerts.id, ids));
}

export async function reservationsByIds(ex: Executor, ids: readonly number[]): Promise<ReservationRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(reservations).where(anyOf(reservations.id, ids));
}

