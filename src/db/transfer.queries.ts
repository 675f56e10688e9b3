import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { type Executor, rowsOf } from "./client.js";
import { anyOf } from "./rows.js";
import { products, stockMovements, transferEvents, transferLines, transfers } from "./schema.js";

export type TransferRow = typeof transfers.$inferSelect;
export type TransferStatus = TransferRow["status"];
export type TransferEventRow = typeof transferEvents.$inferSelect;
export type TransferChangeKind = TransferEventRow["kind"];

export interface TransferLineRow {
  transferId: number;
  productId: number;
  sku: string;
  quantity: number;
  received: number;
  lost: number;
}

/** Statuses in which shipped stock may still be on its way. */
export const OPEN_STATUSES = ["IN_TRANSIT", "PARTIALLY_RECEIVED"] as const satisfies readonly TransferStatus[];

/**
 * Claims a reference: inserts the DRAFT transfer or, if the reference is
 * taken, returns null. A concurrent create of the same reference waits here
 * on the unique key until the first one commits or rolls back.
 */
export async function claimTransfer(
  ex: Executor,
  t: { reference: string; fromWarehouseId: number; toWarehouseId: number; reason: string | null; actor: string },
): Promise<TransferRow | null> {
  const rows = await ex.insert(transfers).values(t).onConflictDoNothing({ target: transfers.reference }).returning();
  return rows[0] ?? null;
}

/** A transfer's lines in one statement (one parameter per column, whatever the number of lines). */
export async function insertTransferLines(ex: Executor, transferId: number, lines: { productId: number; quantity: number }[]): Promise<void> {
  await ex.execute(sql`
    insert into transfer_lines (transfer_id, product_id, quantity)
    select ${transferId}, product_id, quantity
      from unnest(${sql.param(lines.map((l) => l.productId))}::int[], ${sql.param(lines.map((l) => l.quantity))}::int[])
           with ordinality as u(product_id, quantity, n)
     order by n`);
}

export async function transferByReference(ex: Executor, reference: string): Promise<TransferRow | null> {
  const rows = await ex.select().from(transfers).where(eq(transfers.reference, reference));
  return rows[0] ?? null;
}

export async function transfersByIds(ex: Executor, ids: readonly number[]): Promise<TransferRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(transfers).where(anyOf(transfers.id, ids));
}

/** Lines of the given transfers with their sku, in line order. */
export async function transferLinesOf(ex: Executor, transferIds: readonly number[]): Promise<TransferLineRow[]> {
  if (transferIds.length === 0) return [];
  return ex
    .select({
      transferId: transferLines.transferId,
      productId: transferLines.productId,
      sku: products.sku,
      quantity: transferLines.quantity,
      received: transferLines.received,
      lost: transferLines.lost,
    })
    .from(transferLines)
    .innerJoin(products, eq(products.id, transferLines.productId))
    .where(anyOf(transferLines.transferId, transferIds))
    .orderBy(asc(transferLines.id));
}

/**
 * Moves a transfer from one of `from` to `to` (stamping when it shipped or
 * ended, and why it ended); the status check is the guard, so of two
 * concurrent transitions (ship and cancel, close and receive) only one wins,
 * and the loser waits for the winner's commit and then finds no row. The
 * returned row stays locked until the transaction ends.
 */
export async function transitionTransfer(
  ex: Executor,
  reference: string,
  from: readonly TransferStatus[],
  to: TransferStatus,
  stamp: { shipped?: boolean; closed?: boolean; closeReason?: string | null } = {},
): Promise<TransferRow | null> {
  const rows = await ex
    .update(transfers)
    .set({
      status: to,
      version: sql`${transfers.version} + 1`,
      updatedAt: sql`now()`,
      ...(stamp.shipped ? { shippedAt: sql`now()` } : {}),
      ...(stamp.closed ? { closedAt: sql`now()`, closeReason: stamp.closeReason ?? null } : {}),
    })
    .where(and(eq(transfers.reference, reference), inArray(transfers.status, [...from])))
    .returning();
  return rows[0] ?? null;
}

/**
 * Adds a receipt to the lines of a transfer the caller holds locked, each
 * only while it stays within what is outstanding (quantity - received -
 * lost). Returns the products whose line took its part; a line missing from
 * the answer was refused (or is not on the transfer).
 */
export async function receiveLines(ex: Executor, transferId: number, lines: { productId: number; quantity: number }[]): Promise<number[]> {
  const result = await ex.execute(sql`
    update transfer_lines l set received = l.received + u.quantity
      from unnest(${sql.param(lines.map((x) => x.productId))}::int[], ${sql.param(lines.map((x) => x.quantity))}::int[]) as u(product_id, quantity)
     where l.transfer_id = ${transferId} and l.product_id = u.product_id and l.quantity - l.received - l.lost >= u.quantity
    returning l.product_id as "productId"`);
  return rowsOf<{ productId: number | string }>(result).map((r) => Number(r.productId));
}

/** After a receipt: RECEIVED (and closed) when nothing is outstanding any more, else PARTIALLY_RECEIVED. */
export async function settleReceipt(ex: Executor, transferId: number): Promise<TransferRow> {
  const outstanding = sql`exists (select 1 from transfer_lines l where l.transfer_id = ${transfers.id} and l.quantity > l.received + l.lost)`;
  const rows = await ex
    .update(transfers)
    .set({
      status: sql`case when ${outstanding} then 'PARTIALLY_RECEIVED' else 'RECEIVED' end::transfer_status`,
      closedAt: sql`case when ${outstanding} then null else now() end`,
    })
    .where(eq(transfers.id, transferId))
    .returning();
  return rows[0]!;
}

/** Closing short: every line's outstanding part becomes lost. */
export async function writeOffOutstanding(ex: Executor, transferId: number): Promise<void> {
  await ex
    .update(transferLines)
    .set({ lost: sql`${transferLines.quantity} - ${transferLines.received}` })
    .where(and(eq(transferLines.transferId, transferId), sql`${transferLines.quantity} > ${transferLines.received} + ${transferLines.lost}`));
}

/**
 * The ledger entry of one change of a transfer, with the status and version
 * the transfer row has now. It takes an id from the ledger sequence, so it
 * must come after this transaction's first write (the transfer row's): the
 * relay's watermark counts on every ledger id being taken by a transaction
 * that already holds its transaction id (see events/watermark.ts).
 */
export async function recordTransferChange(
  ex: Executor,
  transferId: number,
  kind: TransferChangeKind,
  actor: string,
  reason: string | null,
): Promise<void> {
  await ex.execute(sql`
    insert into transfer_events (transfer_id, kind, status, version, reason, actor)
    select id, ${kind}::transfer_change_kind, status, version, ${reason}, ${actor} from transfers where id = ${transferId}`);
}

/** The movements of a transfer of one type, oldest first. */
export async function movementsOfTransfer(ex: Executor, transferId: number, type: "TRANSFER_OUT" | "TRANSFER_IN") {
  return ex
    .select()
    .from(stockMovements)
    .where(and(eq(stockMovements.transferId, transferId), eq(stockMovements.type, type)))
    .orderBy(asc(stockMovements.id));
}

/** Transfers newest first, keyset-paged by id; `warehouseId` matches either end. */
export async function transferPage(
  ex: Executor,
  first: number,
  beforeId: number | null,
  filter: { status?: TransferStatus | null; warehouseId?: number | null },
): Promise<TransferRow[]> {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(transfers.status, filter.status));
  if (filter.warehouseId != null) where.push(or(eq(transfers.fromWarehouseId, filter.warehouseId), eq(transfers.toWarehouseId, filter.warehouseId))!);
  if (beforeId !== null) where.push(lt(transfers.id, beforeId));
  return ex
    .select()
    .from(transfers)
    .where(and(...where))
    .orderBy(desc(transfers.id))
    .limit(first + 1);
}

/**
 * What open transfers still carry to each (product, destination warehouse)
 * asked for: one statement for all pairs. Pairs with nothing in transit are
 * left out.
 */
export async function inTransitTo(
  ex: Executor,
  places: readonly { productId: number; warehouseId: number }[],
): Promise<{ productId: number; warehouseId: number; quantity: number }[]> {
  if (places.length === 0) return [];
  const result = await ex.execute(sql`
    select l.product_id as "productId", t.to_warehouse_id as "warehouseId", sum(l.quantity - l.received - l.lost)::int as "quantity"
      from unnest(${sql.param(places.map((p) => p.productId))}::int[], ${sql.param(places.map((p) => p.warehouseId))}::int[]) as w(product_id, warehouse_id)
      join transfer_lines l on l.product_id = w.product_id
      join transfers t on t.id = l.transfer_id and t.to_warehouse_id = w.warehouse_id
     where t.status in ('IN_TRANSIT', 'PARTIALLY_RECEIVED')
     group by l.product_id, t.to_warehouse_id`);
  return rowsOf<{ productId: number; warehouseId: number; quantity: number }>(result).map((r) => ({
    productId: Number(r.productId),
    warehouseId: Number(r.warehouseId),
    quantity: Number(r.quantity),
  }));
}
