import { and, asc, eq, gt, isNull, lte, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { preparedStatement } from "./prepared.js";
import { anyOf, fieldsOf, mapRows } from "./rows.js";
import { stockLevels, stockLots, warehouses } from "./schema.js";
import type { LevelRow } from "./stock.queries.js";

export type LotRow = typeof stockLots.$inferSelect;

/**
 * Locks levels (ascending id) and reads them as locked, with the lots of
 * those that track lots: two statements sent together, the second run under
 * the locks the first took, so the lots cannot change until this transaction
 * ends (every change of a lot changes its level too).
 */
export async function lockLevelsWithLots(ex: Executor, levelIds: readonly number[]): Promise<{ levels: LevelRow[]; lots: LotRow[] }> {
  const ids = sql.param([...levelIds]);
  const [levels, lots] = await Promise.all([
    ex.execute(sql`select ${fieldsOf(stockLevels)} from stock_levels where id = any(${ids}) order by id for update`),
    ex.execute(sql`select ${fieldsOf(stockLots)} from stock_lots where level_id = any(${ids}) order by level_id, id`),
  ]);
  return { levels: mapRows<LevelRow>(stockLevels, rowsOf(levels)), lots: mapRows<LotRow>(stockLots, rowsOf(lots)) };
}

/** A lot's change: a new lot (with its code and dates) or deltas of an existing one (by level and code). */
export interface LotWrite {
  levelId: number;
  productId: number;
  warehouseId: number;
  code: string;
  expiresOn: string | null;
  sellBy: string | null;
  onHandDelta: number;
  reservedDelta: number;
  /** Mark it expired (the sweeper). */
  expire: boolean;
  /** Raise its LOT_EXPIRING flag. */
  expiringAlerted: boolean;
  /** Made by this write (else it exists already). */
  isNew: boolean;
}

/**
 * Every lot change of a write in one statement: new lots are inserted,
 * existing ones (same level and code) change by their deltas. The caller
 * holds the levels' locks and worked out the deltas under them.
 */
export async function writeLots(ex: Executor, writes: readonly LotWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const col = <T>(pick: (w: LotWrite) => T) => sql.param(writes.map(pick));
  // Existing lots change by their deltas, new ones are inserted (their
  // deltas are what they start with): two parts of one statement, on distinct rows.
  await ex.execute(sql`
    with u as (
      select * from unnest(${col((w) => w.levelId)}::int[], ${col((w) => w.productId)}::int[], ${col((w) => w.warehouseId)}::int[],
                           -- Dates travel as text: postgres.js does not serialize arrays of dates given as strings.
                           ${col((w) => w.code)}::text[], ${col((w) => w.expiresOn)}::text[], ${col((w) => w.sellBy)}::text[],
                           ${col((w) => w.onHandDelta)}::int[], ${col((w) => w.reservedDelta)}::int[],
                           -- Flags travel as 0/1: postgres.js sends an array of booleans as one boolean.
                           ${col((w) => Number(w.expire))}::int[], ${col((w) => Number(w.expiringAlerted))}::int[], ${col((w) => Number(w.isNew))}::int[])
        as f(level_id, product_id, warehouse_id, code, expires_on, sell_by, on_hand, reserved, expire_flag, alerted_flag, new_flag)
      cross join lateral (select f.expire_flag = 1 as expire, f.alerted_flag = 1 as expiring_alerted, f.new_flag = 1 as is_new) b),
    changed as (
      update stock_lots s
         set on_hand = s.on_hand + u.on_hand, reserved = s.reserved + u.reserved,
             expired_at = case when u.expire then coalesce(s.expired_at, now()) else s.expired_at end,
             expiring_alerted = s.expiring_alerted or u.expiring_alerted
        from u where not u.is_new and s.level_id = u.level_id and s.code = u.code
      returning s.id)
    insert into stock_lots (level_id, product_id, warehouse_id, code, expires_on, sell_by, on_hand, reserved, expired_at, expiring_alerted)
    select level_id, product_id, warehouse_id, code, expires_on::date, sell_by::date, on_hand, reserved, case when expire then now() end, expiring_alerted
      from u where u.is_new`);
}

/** Which lots each movement (level, version) touched; lots named by level and code (a new lot's id is not known yet). */
export async function insertMovementLots(
  ex: Executor,
  rows: ReadonlyArray<{ levelId: number; version: number; code: string; onHandDelta: number; reservedDelta: number }>,
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: (typeof rows)[number]) => T) => sql.param(rows.map(pick));
  await ex.execute(sql`
    insert into stock_movement_lots (level_id, version, lot_id, on_hand_delta, reserved_delta)
    select u.level_id, u.version, l.id, u.on_hand_delta, u.reserved_delta
      from unnest(${col((r) => r.levelId)}::int[], ${col((r) => r.version)}::int[], ${col((r) => r.code)}::text[],
                  ${col((r) => r.onHandDelta)}::int[], ${col((r) => r.reservedDelta)}::int[])
           as u(level_id, version, code, on_hand_delta, reserved_delta)
      join stock_lots l on l.level_id = u.level_id and l.code = u.code`);
}

/** Adds to (or, negative, takes from) what reservations hold of lots; rows reaching zero are removed. */
export async function changeReservationLots(
  ex: Executor,
  rows: ReadonlyArray<{ reservationId: number; levelId: number; code: string; quantity: number }>,
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: (typeof rows)[number]) => T) => sql.param(rows.map(pick));
  await ex.execute(sql`
    with u as (
      select u.reservation_id, l.id as lot_id, u.level_id, u.quantity
        from unnest(${col((r) => r.reservationId)}::bigint[], ${col((r) => r.levelId)}::int[], ${col((r) => r.code)}::text[],
                    ${col((r) => r.quantity)}::int[]) as u(reservation_id, level_id, code, quantity)
        join stock_lots l on l.level_id = u.level_id and l.code = u.code),
    changed as (
      insert into reservation_lots as r (reservation_id, lot_id, level_id, quantity)
      select reservation_id, lot_id, level_id, quantity from u where quantity > 0
      on conflict (reservation_id, lot_id) do update set quantity = r.quantity + excluded.quantity
      returning 1),
    taken as (
      update reservation_lots r set quantity = r.quantity + u.quantity
        from u where u.quantity < 0 and r.reservation_id = u.reservation_id and r.lot_id = u.lot_id and r.quantity + u.quantity > 0
      returning 1)
    delete from reservation_lots r using u
     where u.quantity < 0 and r.reservation_id = u.reservation_id and r.lot_id = u.lot_id and r.quantity + u.quantity <= 0`);
}

/** What reservations hold of lots, by reservation. */
/** A lot an ACTIVE (or finished) reservation holds, with its code. */
export interface ReservationLot {
  reservationId: number;
  levelId: number;
  lotId: number;
  code: string;
  quantity: number;
}

export async function lotsOfReservations(ex: Executor, reservationIds: readonly number[]): Promise<ReservationLot[]> {
  if (reservationIds.length === 0) return [];
  return rowsOf<Record<string, unknown>>(await lotsOfIds(ex, { ids: [...reservationIds] })).map(lotRow);
}

/** The lots of an order's reservation, as lotsOfReservations; named by the order (see linesOfOrder). */
export async function lotsOfOrder(ex: Executor, order: { channel: string; orderId: string }): Promise<ReservationLot[]> {
  return rowsOf<Record<string, unknown>>(await lotsByOrder(ex, order)).map(lotRow);
}

/** Reservation lots with their code, of the reservations `rl.reservation_id` matches. */
const lotsWhere = (reservation: SQL) => sql`
    select rl.reservation_id as "reservationId", rl.level_id as "levelId", rl.lot_id as "lotId", s.code as "code", rl.quantity as "quantity"
      from reservation_lots rl
      join stock_lots s on s.id = rl.lot_id
     where rl.reservation_id ${reservation}
     order by s.id`;
const lotsOfIds = preparedStatement<{ ids: number[] }>((p) => lotsWhere(sql`= any(${p("ids")}::bigint[])`));
const lotsByOrder = preparedStatement<{ channel: string; orderId: string }>((p) =>
  lotsWhere(sql`= (select r.id from reservations r where r.channel = ${p("channel")} and r.order_id = ${p("orderId")})`),
);

const lotRow = (r: Record<string, unknown>): ReservationLot => ({
  reservationId: Number(r.reservationId),
  levelId: r.levelId as number,
  lotId: r.lotId as number,
  code: r.code as string,
  quantity: r.quantity as number,
});

/** The lots each movement touched, by (level, version). */
export async function lotsOfMovements(
  ex: Executor,
  keys: ReadonlyArray<{ levelId: number; version: number }>,
): Promise<Array<{ levelId: number; version: number; lotId: number; onHandDelta: number; reservedDelta: number }>> {
  if (keys.length === 0) return [];
  const rows = await ex.execute(sql`
    select m.level_id as "levelId", m.version, m.lot_id as "lotId", m.on_hand_delta as "onHandDelta", m.reserved_delta as "reservedDelta"
      from stock_movement_lots m
      join unnest(${sql.param(keys.map((k) => k.levelId))}::int[], ${sql.param(keys.map((k) => k.version))}::int[]) as k(level_id, version)
        on k.level_id = m.level_id and k.version = m.version
     order by m.lot_id`);
  return rowsOf(rows);
}

/** Lots by id. */
export async function lotsByIds(ex: Executor, ids: readonly number[]): Promise<LotRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(stockLots).where(anyOf(stockLots.id, ids));
}

/** Lots of levels, FEFO order (sellBy, received, id), optionally without the empty ones. */
export async function lotsOfLevels(ex: Executor, levelIds: readonly number[], includeEmpty: boolean): Promise<LotRow[]> {
  if (levelIds.length === 0) return [];
  const where = [anyOf(stockLots.levelId, levelIds)];
  if (!includeEmpty) where.push(gt(stockLots.onHand, 0));
  return ex
    .select()
    .from(stockLots)
    .where(and(...where))
    .orderBy(sql`${stockLots.sellBy} asc nulls last`, asc(stockLots.receivedAt), asc(stockLots.id));
}

/** The expiry date of a product's lot code, wherever it lies (one date per product and code). */
export async function expiryOfCode(ex: Executor, productId: number, code: string): Promise<{ expiresOn: string | null } | null> {
  const rows = await ex
    .select({ expiresOn: stockLots.expiresOn })
    .from(stockLots)
    .where(and(eq(stockLots.productId, productId), eq(stockLots.code, code)))
    .limit(1);
  return rows[0] ?? null;
}

/** Lots still in stock and not yet expired whose sellBy is on or before `until`, soonest first, keyset-paged. */
export async function expiringLotsPage(
  ex: Executor,
  until: string,
  warehouseId: number | null,
  first: number,
  afterId: number | null,
): Promise<LotRow[]> {
  const where = [isNull(stockLots.expiredAt), gt(stockLots.onHand, 0), lte(stockLots.sellBy, until)];
  if (warehouseId !== null) where.push(eq(stockLots.warehouseId, warehouseId));
  if (afterId !== null) where.push(sql`(${stockLots.sellBy}, ${stockLots.id}) > (select s.sell_by, s.id from stock_lots s where s.id = ${afterId})`);
  return ex
    .select()
    .from(stockLots)
    .where(and(...where))
    .orderBy(asc(stockLots.sellBy), asc(stockLots.id))
    .limit(first + 1);
}

/**
 * Lots past their sellBy not yet marked expired, or entering the warning
 * window not yet warned, with stock: what the sweeper acts on, a level at a time.
 */
export async function lotsDue(ex: Executor, today: string, warnUntil: string, limit: number): Promise<Array<LotRow & { warehouseCode: string }>> {
  const rows = await ex
    .select({ lot: stockLots, warehouseCode: warehouses.code })
    .from(stockLots)
    .innerJoin(warehouses, eq(warehouses.id, stockLots.warehouseId))
    .where(
      and(
        isNull(stockLots.expiredAt),
        gt(stockLots.onHand, 0),
        sql`(${stockLots.sellBy} < ${today}::date or (${stockLots.sellBy} <= ${warnUntil}::date and not ${stockLots.expiringAlerted}))`,
      ),
    )
    .orderBy(asc(stockLots.levelId), asc(stockLots.id))
    .limit(limit);
  return rows.map((r) => ({ ...r.lot, warehouseCode: r.warehouseCode }));
}


export async function lotOfLevel(ex: Executor, levelId: number, code: string): Promise<LotRow | null> {
  const rows = await ex.select().from(stockLots).where(and(eq(stockLots.levelId, levelId), eq(stockLots.code, code)));
  return rows[0] ?? null;
}

/**
 * The lots an order's units of a product came from (its CONFIRM and DEDUCT
 * movements), per level and lot, with how many can still come back (sold
 * minus what was returned into them), in the order they were sold.
 */
export async function lotsSoldToOrder(
  ex: Executor,
  order: { channel: string; orderId: string },
  productId: number,
): Promise<Array<{ levelId: number; code: string; returnable: number }>> {
  const rows = await ex.execute(sql`
    select m.level_id as "levelId", l.code,
           (coalesce(sum(-ml.on_hand_delta) filter (where m.type in ('CONFIRM', 'DEDUCT')), 0)
            - coalesce(sum(ml.on_hand_delta) filter (where m.type = 'RETURN'), 0))::int as "returnable"
      from stock_movements m
      join stock_movement_lots ml on ml.level_id = m.level_id and ml.version = m.version
      join stock_lots l on l.id = ml.lot_id
     where m.order_id = ${order.orderId} and m.channel = ${order.channel} and m.product_id = ${productId}
     group by m.level_id, l.code
     order by min(m.id), min(l.id)`);
  return rowsOf<{ levelId: number; code: string; returnable: number }>(rows).filter((r) => r.returnable > 0);
}

/**
 * What a transfer has shipped of a product per lot and not yet received at
 * its destination, first-expiry-first-out: where a receipt's units go.
 */
export async function lotsInTransit(
  ex: Executor,
  transferId: number,
  productId: number,
): Promise<Array<{ code: string; expiresOn: string | null; sellBy: string | null; outstanding: number }>> {
  const rows = await ex.execute(sql`
    select l.code, l.expires_on::text as "expiresOn", l.sell_by::text as "sellBy",
           (coalesce(sum(-ml.on_hand_delta) filter (where m.type = 'TRANSFER_OUT'), 0)
            - coalesce(sum(ml.on_hand_delta) filter (where m.type = 'TRANSFER_IN'), 0))::int as "outstanding"
      from stock_movements m
      join stock_movement_lots ml on ml.level_id = m.level_id and ml.version = m.version
      join stock_lots l on l.id = ml.lot_id
     where m.transfer_id = ${transferId} and m.product_id = ${productId}
     group by l.code, l.expires_on, l.sell_by
     order by l.sell_by asc nulls last, min(l.received_at), l.code`);
  return rowsOf<{ code: string; expiresOn: string | null; sellBy: string | null; outstanding: number }>(rows).filter((r) => r.outstanding > 0);
}
