import {
  expireDue,
  extendReservation,
  type LineRow,
  linesOf,
  linesOfOrder,
  type OrderKey,
  reservationByOrder,
  type ReservationRow,
  transition,
} from "../db/reservation.queries.js";
import type { Tx } from "../db/client.js";
import { lotsOfOrder, lotsOfReservations } from "../db/lot.queries.js";
import type { Catalog } from "./catalog.js";
import type { Ledger } from "./ledger.js";
import * as limit from "./limits.js";
import { reserveAlone } from "./reserve.js";
import type { ReserveCoalescer } from "./reserve-batch.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, MovementType, ResolvedReserve } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

export type { ResolvedReserve } from "./types.js";

export interface ReserveInput {
  orderId: string;
  items: limit.LineInput[];
  ttlSeconds?: number | null;
  allocation?: limit.AllocationInput | null;
}
export interface OrderRef {
  orderId: string;
  reason?: string | null;
}

const EXPIRY_BATCH = 100;

/**
 * Holds for unpaid orders: reserve → ACTIVE → CONFIRMED | RELEASED | EXPIRED.
 * Repeating a transition that already happened returns the reservation as it
 * is; the status UPDATE is the guard that lets only one transition of an order win.
 */
export class ReservationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: Catalog,
    private readonly ledger: Ledger,
    private readonly defaultTtlSeconds: number,
    /** Set when single-line reserves are coalesced (config COALESCE_RESERVES). */
    readonly coalescer: ReserveCoalescer | null = null,
  ) {}

  /** Validates and resolves a reserve request (no writes). */
  async resolve(input: ReserveInput, actor: Actor): Promise<ResolvedReserve> {
    const orderId = limit.orderId(input.orderId);
    const lines = limit.lines(input.items);
    const ttlSeconds = limit.ttlSeconds(input.ttlSeconds) ?? this.defaultTtlSeconds;
    const policy = limit.allocation(input.allocation);
    const resolved = await this.catalog.requestLines(lines);
    const only = resolved.length === 1 ? resolved[0]! : null;
    if (this.coalescer && only && !only.place) {
      // A product in one active warehouse only: every policy chooses it, so
      // the line can take the coalesced path like one that names it.
      const sole = await this.catalog.soleLevel(only.productId);
      if (sole) only.place = { ...sole, sku: only.sku, chosen: true };
    }
    return { channel: actor.channel, orderId, ttlSeconds, policy, lines: resolved };
  }

  /**
   * All lines or none. The orderId is claimed first, so a concurrent duplicate
   * waits on the unique key and then finds this reservation instead of
   * touching a level itself.
   */
  async reserve(input: ReserveInput, actor: Actor): Promise<ReservationRow> {
    const req = await this.resolve(input, actor);
    return this.reserveResolved(req, actor);
  }

  /**
   * Single-line reserves of one level share batched transactions when
   * coalescing is on (reserve-batch.ts): a line naming its warehouse, or one
   * whose product is in one active warehouse only (see resolve).
   */
  async reserveResolved(req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
    const only = req.lines.length === 1 ? req.lines[0]! : null;
    if (!this.coalescer || only?.place?.levelId == null) return reserveAlone(this.uow, this.ledger, req, actor);
    if (!only.place.chosen) return this.coalescer.reserve(req, actor);
    try {
      return await this.coalescer.reserve(req, actor);
    } catch (err) {
      // The product's one warehouse was out. If the product has a level in
      // another warehouse by now (made on another instance: asked of the
      // database again), allocate it as asked; otherwise the refusal, with
      // the figures of the statement that made it, stands.
      if (!(err instanceof StockRefusal) || err.code !== "INSUFFICIENT_STOCK") throw err;
      const now = await this.catalog.soleLevelNow(only.productId);
      if (now?.levelId === only.place.levelId) throw err;
      return reserveAlone(this.uow, this.ledger, { ...req, lines: [{ ...only, place: null }] }, actor);
    }
  }

  confirm(input: OrderRef, actor: Actor): Promise<ReservationRow> {
    return this.finish(input, "CONFIRMED", actor);
  }

  release(input: OrderRef, actor: Actor): Promise<ReservationRow> {
    return this.finish(input, "RELEASED", actor);
  }

  private async finish(input: OrderRef, to: "CONFIRMED" | "RELEASED", actor: Actor): Promise<ReservationRow> {
    const order = { channel: actor.channel, orderId: limit.orderId(input.orderId) };
    const orderId = order.orderId;
    const reason = limit.reason(input.reason);
    return this.uow.run(async (tx, commit) => {
      // A hold whose time is up can no longer be paid for, even before the sweeper gets to it.
      // One round trip: the lines and lots are read by the order, right behind
      // the transition (in the same transaction, they are the reservation's
      // whichever way the transition went), and used only if it went through.
      const [row, lines, lots] = await Promise.all([transition(tx, order, to, to === "CONFIRMED"), linesOfOrder(tx, order), lotsOfOrder(tx, order)]);
      if (!row) return this.explainFinish(tx, order, to);
      const type = to === "CONFIRMED" ? "CONFIRM" : "RELEASE";
      await this.ledger.apply(tx, finishChanges(lines, lots, type, () => row, reason), { actor, commit });
      return row;
    });
  }

  private async explainFinish(tx: Tx, order: OrderKey, to: "CONFIRMED" | "RELEASED"): Promise<ReservationRow> {
    const orderId = order.orderId;
    const row = await reservationByOrder(tx, order);
    if (!row) throw refuse.reservationNotFound(orderId);
    if (row.status === to) return row;
    if (to === "CONFIRMED" && (row.status === "EXPIRED" || row.status === "ACTIVE")) {
      throw new StockRefusal("RESERVATION_EXPIRED", `the reservation of order "${orderId}" expired at ${row.expiresAt.toISOString()}`);
    }
    throw new StockRefusal("INVALID_STATE", `the reservation of order "${orderId}" is ${row.status}; it cannot become ${to}`);
  }

  /** Gives an ACTIVE reservation a new deadline, e.g. while a payment is still running. */
  async extend(input: { orderId: string; ttlSeconds: number }, actor: Actor): Promise<ReservationRow> {
    const orderId = limit.orderId(input.orderId);
    const order = { channel: actor.channel, orderId };
    const ttl = limit.ttlSeconds(input.ttlSeconds)!;
    return this.uow.run(
      async (tx) => {
        const row = await extendReservation(tx, order, ttl);
        if (row) return row;
        const now = await reservationByOrder(tx, order);
        if (!now) throw refuse.reservationNotFound(orderId);
        if (now.status === "ACTIVE" || now.status === "EXPIRED") {
          throw new StockRefusal("RESERVATION_EXPIRED", `the reservation of order "${orderId}" has expired`);
        }
        throw new StockRefusal("INVALID_STATE", `the reservation of order "${orderId}" is ${now.status}`);
      },
      { writes: false },
    );
  }

  /**
   * Expires every overdue ACTIVE reservation, in batches; safe to run on any
   * number of instances at once (each batch skips rows another one holds).
   * Returns how many it expired.
   */
  async expireOverdue(actor: Actor): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.uow.run(async (tx, commit) => {
        const due = await expireDue(tx, EXPIRY_BATCH);
        if (due.length === 0) return 0;
        const ids = due.map((r) => r.id);
        const [lines, lots] = await Promise.all([linesOf(tx, ids), lotsOfReservations(tx, ids)]);
        const orderOf = new Map(due.map((r) => [r.id, r]));
        const changes = finishChanges(lines, lots, "EXPIRE", (id) => orderOf.get(id)!, "reservation expired unpaid");
        await this.ledger.apply(tx, changes, { actor, commit });
        return due.length;
      });
      total += n;
      if (n < EXPIRY_BATCH) return total;
    }
  }

  async lines(reservationIds: readonly number[]): Promise<LineRow[]> {
    return linesOf(this.uow.database.db, reservationIds);
  }
}

/**
 * Ending reservations' holds, a change per line, each acting on exactly the
 * lots its reservation holds in that level (lot-tracked products).
 */
function finishChanges(
  lines: readonly LineRow[],
  lots: ReadonlyArray<{ reservationId: number; levelId: number; code: string; quantity: number }>,
  type: Extract<MovementType, "CONFIRM" | "RELEASE" | "EXPIRE">,
  orderOf: (reservationId: number) => OrderKey,
  reason: string | null | undefined,
): Change[] {
  // What each reservation holds of each lot, handed out to its lines of that level.
  const left = lots.map((l) => ({ ...l }));
  return lines.map((l) => {
    const change = finishChange(l, type, orderOf(l.reservationId), reason);
    const held = left.filter((x) => x.reservationId === l.reservationId && x.levelId === l.levelId && x.quantity > 0);
    if (held.length === 0) return change;
    const taken: Array<{ code: string; quantity: number }> = [];
    let need = l.quantity;
    for (const x of held) {
      const q = Math.min(need, x.quantity);
      if (q === 0) break;
      taken.push({ code: x.code, quantity: q });
      x.quantity -= q;
      need -= q;
    }
    return { ...change, lots: { kind: "exact", lots: taken } };
  });
}

/** Ending a line's hold; the movement belongs to the reservation's order and channel. */
function finishChange(l: LineRow, type: Extract<MovementType, "CONFIRM" | "RELEASE" | "EXPIRE">, order: OrderKey, reason?: string | null): Change {
  return {
    productId: l.productId,
    sku: l.sku,
    warehouseId: l.warehouseId,
    warehouseCode: l.warehouseCode,
    levelId: l.levelId,
    type,
    onHandDelta: type === "CONFIRM" ? -l.quantity : 0,
    reservedDelta: -l.quantity,
    requested: l.quantity,
    orderId: order.orderId,
    channel: order.channel,
    reason: reason ?? null,
  };
}
