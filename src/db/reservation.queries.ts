import { and, asc, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { preparedStatement } from "./prepared.js";
import { anyOf, fieldsOf, mapRows } from "./rows.js";
import { deductions, reservations } from "./schema.js";

export type ReservationRow = typeof reservations.$inferSelect;
export type ReservationStatus = ReservationRow["status"];

/** An order as its channel knows it: orderIds are unique within a channel only. */
export interface OrderKey {
  channel: string;
  orderId: string;
}

const isOrder = (o: OrderKey) => and(eq(reservations.channel, o.channel), eq(reservations.orderId, o.orderId));

export interface LineRow {
  reservationId: number;
  levelId: number;
  quantity: number;
  productId: number;
  warehouseId: number;
  sku: string;
  warehouseCode: string;
}

/**
 * Claims an orderId: inserts the ACTIVE reservation or, if the orderId is
 * taken, returns null. A concurrent claim of the same orderId waits here on
 * the unique key until the first one commits or rolls back.
 */
export async function claimReservation(
  ex: Executor,
  order: OrderKey,
  ttlSeconds: number,
  actor: string,
): Promise<ReservationRow | null> {
  const rows = await ex
    .insert(reservations)
    .values({ channel: order.channel, orderId: order.orderId, actor, expiresAt: sql`now() + ${ttlSeconds} * interval '1 second'` })
    .onConflictDoNothing({ target: [reservations.channel, reservations.orderId] })
    .returning();
  return rows[0] ?? null;
}

/**
 * Many claims in one statement; returns those that were free (match them by
 * orderId). Rows are inserted in the given order, so callers that sort by
 * orderId take the unique-key locks in one order and cannot deadlock each other.
 */
export async function claimReservations(
  ex: Executor,
  claims: { orderId: string; ttlSeconds: number }[],
  actor: { name: string; channel: string },
): Promise<ReservationRow[]> {
  if (claims.length === 0) return [];
  const result = await claim(ex, {
    channel: actor.channel,
    actor: actor.name,
    orderIds: claims.map((c) => c.orderId),
    ttls: claims.map((c) => c.ttlSeconds),
  });
  return mapRows<ReservationRow>(reservations, rowsOf(result));
}

const claim = preparedStatement<{ channel: string; actor: string; orderIds: string[]; ttls: number[] }>(
  (p) => sql`
    insert into reservations (channel, order_id, actor, expires_at)
    select ${p("channel")}, order_id, ${p("actor")}, now() + ttl * interval '1 second'
      from unnest(${p("orderIds")}::text[], ${p("ttls")}::int[])
           with ordinality as u(order_id, ttl, n)
     order by n
    on conflict (channel, order_id) do nothing
    returning ${fieldsOf(reservations)}`,
);

/** Drops reservations claimed in this transaction whose stock could not be held (coalesced reserves that lost). */
export async function deleteReservations(ex: Executor, ids: number[]): Promise<void> {
  if (ids.length > 0) await ex.delete(reservations).where(anyOf(reservations.id, ids));
}

export async function reservationByOrder(ex: Executor, order: OrderKey): Promise<ReservationRow | null> {
  const rows = await ex.select().from(reservations).where(isOrder(order));
  return rows[0] ?? null;
}

/** Reservation lines in one statement (one parameter per column, whatever the number of rows). */
export async function insertLines(ex: Executor, rows: { reservationId: number; levelId: number; quantity: number }[]): Promise<void> {
  if (rows.length === 0) return;
  await insertLineRows(ex, {
    reservationIds: rows.map((r) => r.reservationId),
    levelIds: rows.map((r) => r.levelId),
    quantities: rows.map((r) => r.quantity),
  });
}

const insertLineRows = preparedStatement<{ reservationIds: number[]; levelIds: number[]; quantities: number[] }>(
  (p) => sql`
    insert into reservation_lines (reservation_id, level_id, quantity)
    select reservation_id, level_id, quantity
      from unnest(${p("reservationIds")}::bigint[], ${p("levelIds")}::int[], ${p("quantities")}::int[])
           with ordinality as u(reservation_id, level_id, quantity, n)
     order by n`,
);

/**
 * Moves an ACTIVE reservation to `to`; the status check is the guard, so two
 * concurrent transitions of one order cannot both win. `unexpiredOnly` refuses
 * reservations whose time is up even if the sweeper has not reached them yet.
 */
export async function transition(
  ex: Executor,
  order: OrderKey,
  to: Exclude<ReservationStatus, "ACTIVE">,
  unexpiredOnly: boolean,
): Promise<ReservationRow | null> {
  const rows = mapRows<ReservationRow>(reservations, rowsOf(await transitionOf(ex, { ...order, to, unexpiredOnly })));
  return rows[0] ?? null;
}

const transitionOf = preparedStatement<OrderKey & { to: string; unexpiredOnly: boolean }>(
  (p) => sql`
    update reservations set status = ${p("to")}::reservation_status, updated_at = now()
     where channel = ${p("channel")} and order_id = ${p("orderId")} and status = 'ACTIVE'
       and (not ${p("unexpiredOnly")}::boolean or expires_at > now())
    returning ${fieldsOf(reservations)}`,
);

/** Lines of the given reservations with their sku and warehouse, in line order. */
export async function linesOf(ex: Executor, reservationIds: readonly number[]): Promise<LineRow[]> {
  if (reservationIds.length === 0) return [];
  return rowsOf<Record<string, unknown>>(await linesByIds(ex, { ids: [...reservationIds] })).map(lineRow);
}

/**
 * The lines of an order's reservation, as linesOf. Named by the order, not
 * the reservation's id, so it can go out in the same round trip as the
 * statement that finds or changes the reservation.
 */
export async function linesOfOrder(ex: Executor, order: OrderKey): Promise<LineRow[]> {
  return rowsOf<Record<string, unknown>>(await linesByOrder(ex, order)).map(lineRow);
}

/** Reservation lines with their sku and warehouse, of the reservations `rl.reservation_id` matches. */
const linesWhere = (reservation: SQL) => sql`
    select rl.reservation_id as "reservationId", rl.level_id as "levelId", rl.quantity as "quantity",
           l.product_id as "productId", l.warehouse_id as "warehouseId", pr.sku as "sku", w.code as "warehouseCode"
      from reservation_lines rl
      join stock_levels l on l.id = rl.level_id
      join products pr on pr.id = l.product_id
      join warehouses w on w.id = l.warehouse_id
     where rl.reservation_id ${reservation}
     order by rl.id`;
const linesByIds = preparedStatement<{ ids: number[] }>((p) => linesWhere(sql`= any(${p("ids")}::bigint[])`));
const linesByOrder = preparedStatement<OrderKey>((p) =>
  linesWhere(sql`= (select r.id from reservations r where r.channel = ${p("channel")} and r.order_id = ${p("orderId")})`),
);

const lineRow = (r: Record<string, unknown>): LineRow => ({
  reservationId: Number(r.reservationId),
  levelId: r.levelId as number,
  quantity: r.quantity as number,
  productId: r.productId as number,
  warehouseId: r.warehouseId as number,
  sku: r.sku as string,
  warehouseCode: r.warehouseCode as string,
});


/** Gives an ACTIVE, unexpired reservation a new deadline `ttlSeconds` from now. */
export async function extendReservation(ex: Executor, order: OrderKey, ttlSeconds: number): Promise<ReservationRow | null> {
  const rows = await ex
    .update(reservations)
    .set({ expiresAt: sql`now() + ${ttlSeconds} * interval '1 second'`, updatedAt: sql`now()` })
    .where(and(isOrder(order), eq(reservations.status, "ACTIVE"), sql`${reservations.expiresAt} > now()`))
    .returning();
  return rows[0] ?? null;
}

/**
 * Marks up to `limit` overdue ACTIVE reservations EXPIRED. Rows another
 * transaction holds (a sweeper on another instance, a confirm in flight) are
 * skipped, so any number of sweepers can run.
 */
export async function expireDue(ex: Executor, limit: number): Promise<ReservationRow[]> {
  const due = ex
    .select({ id: reservations.id })
    .from(reservations)
    .where(and(eq(reservations.status, "ACTIVE"), lte(reservations.expiresAt, sql`now()`)))
    .orderBy(asc(reservations.expiresAt))
    .limit(limit)
    .for("update", { skipLocked: true });
  return ex
    .update(reservations)
    .set({ status: "EXPIRED", updatedAt: sql`now()` })
    .where(inArray(reservations.id, due))
    .returning();
}

/** Claims an orderId for a direct sale; false if it was already deducted (in that channel). */
export async function claimDeduction(ex: Executor, order: OrderKey): Promise<boolean> {
  const rows = await ex.insert(deductions).values(order).onConflictDoNothing().returning({ orderId: deductions.orderId });
  return rows.length > 0;
}
