import {
  claimReservation,
  expireDue,
  extendReservation,
  insertLines,
  type LineRow,
  linesOf,
  reservationByOrder,
  type ReservationRow,
  transition,
} from "../db/reservation.queries.js";
import type { Tx } from "../db/client.js";
import type { Catalog } from "./catalog.js";
import { applyChanges } from "./ledger.js";
import * as limit from "./limits.js";
import { type CoalescerOptions, ReserveCoalescer } from "./reserve-coalescer.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, MovementType, Place } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

export interface ReserveInput {
  orderId: string;
  items: limit.LineInput[];
  ttlSeconds?: number | null;
}
export interface OrderRef {
  orderId: string;
  reason?: string | null;
}

/** What a reserve asks for once validated and resolved: one line per level. */
export interface ResolvedReserve {
  orderId: string;
  ttlSeconds: number;
  lines: Array<Place & { levelId: number | null; quantity: number }>;
}

const EXPIRY_BATCH = 100;

/**
 * Holds for unpaid orders: reserve → ACTIVE → CONFIRMED | RELEASED | EXPIRED.
 * Repeating a transition that already happened returns the reservation as it
 * is; the status UPDATE is the guard that lets only one transition of an order win.
 */
export class ReservationService {
  /** Set when single-line reserves are coalesced per level (config COALESCE_RESERVES). */
  readonly coalescer: ReserveCoalescer | null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: Catalog,
    private readonly defaultTtlSeconds: number,
    coalesce?: Pick<CoalescerOptions, "maxBatch" | "maxConcurrent" | "versionTries" | "beforeCommit" | "beforeLock">,
  ) {
    this.coalescer = coalesce
      ? new ReserveCoalescer(uow, {
          ...coalesce,
          sameAsBefore: (tx, req) => this.sameAsBefore(tx, req),
          alone: (req, actor) => this.reserveAlone(req, actor),
        })
      : null;
  }

  /** Validates and resolves a reserve request (no writes). */
  async resolve(input: ReserveInput): Promise<ResolvedReserve> {
    const orderId = limit.orderId(input.orderId);
    const lines = limit.lines(input.items);
    const ttlSeconds = limit.ttlSeconds(input.ttlSeconds) ?? this.defaultTtlSeconds;
    const places = await this.catalog.places(lines);
    const resolved = await Promise.all(places.map(async (p) => ({ ...p, levelId: await this.catalog.existingLevelId(p) })));
    return { orderId, ttlSeconds, lines: resolved };
  }

  /**
   * All lines or none. The orderId is claimed first, so a concurrent duplicate
   * waits on the unique key and then finds this reservation instead of
   * touching a level itself.
   */
  async reserve(input: ReserveInput, actor: Actor): Promise<ReservationRow> {
    const req = await this.resolve(input);
    return this.reserveResolved(req, actor);
  }

  /** Single-line reserves of existing levels share batched transactions when coalescing is on (reserve-coalescer.ts). */
  async reserveResolved(req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
    const only = req.lines.length === 1 ? req.lines[0]! : null;
    if (this.coalescer && only && only.levelId !== null) {
      return this.coalescer.reserve(req, reserveChange(only, only.levelId, only.quantity, req.orderId), actor);
    }
    return this.reserveAlone(req, actor);
  }

  /** One request, one transaction: multi-line reserves, and every reserve when coalescing is off. */
  private async reserveAlone(req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
    return this.uow.run(async (tx, commitWith) => {
      const claimed = await claimReservation(tx, req.orderId, req.ttlSeconds, actor.name);
      if (!claimed) return this.sameAsBefore(tx, req);
      const changes = req.lines.map((l): Change => {
        if (l.levelId === null) throw refuse.insufficient(l.sku, l.warehouseCode, l.quantity, 0);
        return reserveChange(l, l.levelId, l.quantity, req.orderId);
      });
      await applyChanges(tx, changes, actor, commitWith, () =>
        insertLines(
          tx,
          req.lines.map((l) => ({ reservationId: claimed.id, levelId: l.levelId!, quantity: l.quantity })),
        ),
      );
      return claimed;
    });
  }

  /** The orderId is taken: the same lines return that reservation, other lines are a DUPLICATE. */
  async sameAsBefore(tx: Tx, req: ResolvedReserve): Promise<ReservationRow> {
    const existing = (await reservationByOrder(tx, req.orderId))!;
    const lines = await linesOf(tx, [existing.id]);
    const key = (levelId: number | null, q: number) => `${levelId}:${q}`;
    const had = lines.map((l) => key(l.levelId, l.quantity)).sort();
    const asked = req.lines.map((l) => key(l.levelId, l.quantity)).sort();
    if (had.join() !== asked.join()) {
      throw new StockRefusal("DUPLICATE", `order "${req.orderId}" already has a reservation with other lines`);
    }
    return existing;
  }

  confirm(input: OrderRef, actor: Actor): Promise<ReservationRow> {
    return this.finish(input, "CONFIRMED", actor);
  }

  release(input: OrderRef, actor: Actor): Promise<ReservationRow> {
    return this.finish(input, "RELEASED", actor);
  }

  private async finish(input: OrderRef, to: "CONFIRMED" | "RELEASED", actor: Actor): Promise<ReservationRow> {
    const orderId = limit.orderId(input.orderId);
    const reason = limit.reason(input.reason);
    const result = await this.uow.run(async (tx, commitWith) => {
      // A hold whose time is up can no longer be paid for, even before the sweeper gets to it.
      const row = await transition(tx, orderId, to, to === "CONFIRMED");
      if (!row) return this.explainFinish(tx, orderId, to);
      const lines = await linesOf(tx, [row.id]);
      await applyChanges(tx, lines.map((l) => finishChange(l, to === "CONFIRMED" ? "CONFIRM" : "RELEASE", orderId, reason)), actor, commitWith);
      return row;
    });
    return result;
  }

  private async explainFinish(tx: Tx, orderId: string, to: "CONFIRMED" | "RELEASED"): Promise<ReservationRow> {
    const row = await reservationByOrder(tx, orderId);
    if (!row) throw refuse.reservationNotFound(orderId);
    if (row.status === to) return row;
    if (to === "CONFIRMED" && (row.status === "EXPIRED" || row.status === "ACTIVE")) {
      throw new StockRefusal("RESERVATION_EXPIRED", `the reservation of order "${orderId}" expired at ${row.expiresAt.toISOString()}`);
    }
    throw new StockRefusal("INVALID_STATE", `the reservation of order "${orderId}" is ${row.status}; it cannot become ${to}`);
  }

  /** Gives an ACTIVE reservation a new deadline, e.g. while a payment is still running. */
  async extend(input: { orderId: string; ttlSeconds: number }): Promise<ReservationRow> {
    const orderId = limit.orderId(input.orderId);
    const ttl = limit.ttlSeconds(input.ttlSeconds)!;
    return this.uow.run(async (tx) => {
      const row = await extendReservation(tx, orderId, ttl);
      if (row) return row;
      const now = await reservationByOrder(tx, orderId);
      if (!now) throw refuse.reservationNotFound(orderId);
      if (now.status === "ACTIVE" || now.status === "EXPIRED") {
        throw new StockRefusal("RESERVATION_EXPIRED", `the reservation of order "${orderId}" has expired`);
      }
      throw new StockRefusal("INVALID_STATE", `the reservation of order "${orderId}" is ${now.status}`);
    }, { writes: false });
  }

  /**
   * Expires every overdue ACTIVE reservation, in batches; safe to run on any
   * number of instances at once (each batch skips rows another one holds).
   * Returns how many it expired.
   */
  async expireOverdue(actor: Actor): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.uow.run(async (tx) => {
        const due = await expireDue(tx, EXPIRY_BATCH);
        if (due.length === 0) return 0;
        const lines = await linesOf(tx, due.map((r) => r.id));
        const orderOf = new Map(due.map((r) => [r.id, r.orderId]));
        await applyChanges(tx, lines.map((l) => finishChange(l, "EXPIRE", orderOf.get(l.reservationId)!, "reservation expired unpaid")), actor);
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

export function reserveChange(place: Place, levelId: number, quantity: number, orderId: string): Change {
  return {
    ...place,
    levelId,
    type: "RESERVE",
    onHandDelta: 0,
    reservedDelta: quantity,
    requested: quantity,
    minAvailable: quantity,
    orderId,
  };
}

function finishChange(l: LineRow, type: Extract<MovementType, "CONFIRM" | "RELEASE" | "EXPIRE">, orderId: string, reason?: string | null): Change {
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
    orderId,
    reason: reason ?? null,
  };
}
