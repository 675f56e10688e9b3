import type { Tx } from "../db/client.js";
import { claimReservations, deleteClaims, insertLines, type ReservationRow } from "../db/reservation.queries.js";
import { findLevel, type LevelRow, updateLevel } from "../db/stock.queries.js";
import { recordChanges } from "./ledger.js";
import type { ResolvedReserve } from "./reservation.service.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

/** How often a batch reads the level again after its version moved on, before updating once per request. */
const VERSION_TRIES = 3;

export interface CoalescerOptions {
  /** Most requests in one batch (one transaction). */
  maxBatch: number;
  /** The orderId is taken: that reservation if its lines are the same, else a DUPLICATE refusal. */
  sameAsBefore(tx: Tx, req: ResolvedReserve): Promise<ReservationRow>;
  /** One request in a transaction of its own: how the requests of a failed batch get their answers. */
  alone(req: ResolvedReserve, actor: Actor): Promise<ReservationRow>;
  /** Reads of the level's version a batch tries when not all of it fits (default 3). */
  versionTries?: number;
  /** Test hook: runs inside each batch's transaction just before it commits; throwing fails the batch. */
  beforeCommit?(orderIds: readonly string[]): void | Promise<void>;
}

export interface CoalescerStats {
  /** Batch transactions started, and the requests they carried. */
  batches: number;
  requests: number;
  largestBatch: number;
  /** Batches whose transaction failed; their requests were then run one by one. */
  failedBatches: number;
  /** Greedy takes that missed the level's version and read it again. */
  versionMisses: number;
  /** Batches that gave up on one UPDATE and updated the level once per request. */
  perRequestUpdates: number;
}

/** A single-line reserve waiting for its level's next batch. */
interface Pending {
  req: ResolvedReserve;
  /** The RESERVE change of its one line. */
  change: Change;
  actor: Actor;
  resolve(row: ReservationRow): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; row: ReservationRow } | { ok: false; error: unknown };

interface Queue {
  running: boolean;
  waiting: Pending[];
}

/**
 * Coalesces concurrent single-line reserves of one stock level into shared
 * transactions, so a hot SKU costs one row lock per batch instead of one per
 * request.
 *
 * Per (level, actor) one batch runs at a time. A request arriving while none
 * runs starts one at once, alone (no waiting when idle); requests arriving
 * while one runs join the next, which starts when it finishes, up to
 * `maxBatch`. Batches thus form by themselves under load. A second request
 * with an orderId already in the forming batch waits for the batch after it.
 *
 * A batch claims its orderIds in one INSERT, takes the sum of the claimed
 * quantities with one guarded UPDATE (version + n), and writes n movements
 * (the versions in between) and n reservation lines in multi-row INSERTs.
 * When the sum does not fit, the earliest requests that fit win, greedily in
 * arrival order (see `take`); the others are refused with INSUFFICIENT_STOCK
 * and their claims deleted in the same transaction. Every request is answered
 * after the commit; if the batch transaction fails as a whole, its requests
 * are retried one by one, each in its own transaction, in arrival order.
 *
 * Coalescing is per instance: several instances each coalesce their own
 * requests and meet only at the guarded UPDATE.
 */
export class ReserveCoalescer {
  private readonly queues = new Map<string, Queue>();
  private readonly counters: CoalescerStats = {
    batches: 0,
    requests: 0,
    largestBatch: 0,
    failedBatches: 0,
    versionMisses: 0,
    perRequestUpdates: 0,
  };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly opts: CoalescerOptions,
  ) {
    if (!(opts.maxBatch >= 1)) throw new Error("ReserveCoalescer: maxBatch must be at least 1");
  }

  /** Reserves `change` (the one line of `req`) as part of a batch; resolves or rejects once that batch has committed. */
  reserve(req: ResolvedReserve, change: Change, actor: Actor): Promise<ReservationRow> {
    return new Promise((resolve, reject) => {
      // Per actor as well: the ledger names one actor per batch's movements.
      const key = `${change.levelId}\u0000${actor.name}`;
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = { running: false, waiting: [] }));
      queue.waiting.push({ req, change, actor, resolve, reject });
      if (!queue.running) void this.drain(key, queue);
    });
  }

  stats(): CoalescerStats {
    return { ...this.counters };
  }

  private async drain(key: string, queue: Queue): Promise<void> {
    queue.running = true;
    try {
      while (queue.waiting.length > 0) await this.run(this.nextBatch(queue));
    } finally {
      queue.running = false;
      if (queue.waiting.length === 0) this.queues.delete(key);
      else void this.drain(key, queue);
    }
  }

  /** The earliest waiting requests, up to maxBatch, at most one per orderId. */
  private nextBatch(queue: Queue): Pending[] {
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const orderIds = new Set<string>();
    for (const p of queue.waiting) {
      if (batch.length < this.opts.maxBatch && !orderIds.has(p.req.orderId)) {
        batch.push(p);
        orderIds.add(p.req.orderId);
      } else {
        later.push(p);
      }
    }
    queue.waiting = later;
    return batch;
  }

  /** Runs one batch and answers every request in it; never throws. */
  private async run(batch: Pending[]): Promise<void> {
    this.counters.batches++;
    this.counters.requests += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    let outcomes: Outcome[];
    try {
      outcomes = await this.uow.run((tx) => this.inTransaction(tx, batch));
    } catch (error) {
      this.counters.failedBatches++;
      // Nothing of the batch was committed. A lone request's error is its own;
      // in a bigger batch it may be a neighbour's, so each one tries by itself.
      outcomes = batch.length === 1 ? [{ ok: false, error }] : await this.oneByOne(batch);
    }
    batch.forEach((p, i) => {
      const o = outcomes[i] ?? { ok: false, error: new Error("reserve batch gave this request no answer") };
      if (o.ok) p.resolve(o.row);
      else p.reject(o.error);
    });
  }

  private async oneByOne(batch: readonly Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const p of batch) outcomes.push(await attempt(() => this.opts.alone(p.req, p.actor), true));
    return outcomes;
  }

  private async inTransaction(tx: Tx, batch: readonly Pending[]): Promise<Outcome[]> {
    const outcomes = new Array<Outcome>(batch.length);
    const { levelId } = batch[0]!.change;
    const actor = batch[0]!.actor;

    // Sorted, so two batches sharing orderIds take the unique-key locks in one order.
    const byOrderId = [...batch].sort((a, b) => (a.req.orderId < b.req.orderId ? -1 : a.req.orderId > b.req.orderId ? 1 : 0));
    const claims = await claimReservations(
      tx,
      byOrderId.map((p) => ({ orderId: p.req.orderId, ttlSeconds: p.req.ttlSeconds })),
      actor.name,
    );
    const claimOf = new Map(claims.map((r) => [r.orderId, r]));

    const contenders: number[] = [];
    for (const [i, p] of batch.entries()) {
      if (claimOf.has(p.req.orderId)) contenders.push(i);
      // Taken: answered like a repeated request (its reservation may be on another level).
      else outcomes[i] = await attempt(() => this.opts.sameAsBefore(tx, p.req), false);
    }
    if (contenders.length > 0) {
      const asks = contenders.map((i) => batch[i]!.change.reservedDelta);
      const taken = await this.take(tx, levelId, asks);

      const winners: number[] = [];
      const losers: number[] = [];
      contenders.forEach((i, k) => (taken.after[k] ? winners : losers).push(i));
      const claimIdOf = (i: number) => claimOf.get(batch[i]!.req.orderId)!.id;

      await deleteClaims(tx, losers.map(claimIdOf));
      for (const i of losers) {
        const c = batch[i]!.change;
        outcomes[i] = { ok: false, error: refuse.insufficient(c.sku, c.warehouseCode, c.requested, taken.availableAfter) };
      }
      await recordChanges(
        tx,
        winners.map((i) => batch[i]!.change),
        taken.after.filter((row): row is LevelRow => row !== null),
        actor,
      );
      await insertLines(
        tx,
        winners.map((i) => ({ reservationId: claimIdOf(i), levelId, quantity: batch[i]!.change.reservedDelta })),
      );
      for (const i of winners) outcomes[i] = { ok: true, row: claimOf.get(batch[i]!.req.orderId)! };
    }
    await this.opts.beforeCommit?.(batch.map((p) => p.req.orderId));
    return outcomes;
  }

  /**
   * Reserves as many of `asks` (quantities, in arrival order) as fit, the
   * earliest first. Returns, per ask, the level as that ask left it (the
   * versions and reserved counts stepping up one ask at a time) or null if it
   * did not fit, and what is available after all of them.
   */
  private async take(tx: Tx, levelId: number, asks: readonly number[]): Promise<{ after: Array<LevelRow | null>; availableAfter: number }> {
    const all = asks.map(() => true);
    const row = await updateLevel(tx, { levelId, onHandDelta: 0, reservedDelta: sum(asks), movements: asks.length, minAvailable: sum(asks) });
    if (row) return { after: steps(row, asks, all), availableAfter: row.onHand - row.reserved };

    // Not all fit. Which do is computed from the row, so: read the version,
    // update only while it is still that (DESIGN.md), a bounded number of times.
    for (let tries = this.opts.versionTries ?? VERSION_TRIES; tries > 0; tries--) {
      const level = await findLevel(tx, levelId);
      const available = level ? level.onHand - level.reserved : 0;
      const fits = greedy(asks, available);
      if (!level || !fits.includes(true)) return { after: asks.map(() => null), availableAfter: available };
      const chosen = asks.filter((_, k) => fits[k]);
      const taken = await updateLevel(tx, {
        levelId,
        onHandDelta: 0,
        reservedDelta: sum(chosen),
        movements: chosen.length,
        minAvailable: sum(chosen),
        expectedVersion: level.version,
      });
      if (taken) return { after: steps(taken, asks, fits), availableAfter: taken.onHand - taken.reserved };
      this.counters.versionMisses++;
    }

    // The level keeps moving under us (other instances, multi-line reserves):
    // one guarded UPDATE per ask, still in arrival order, in this transaction.
    this.counters.perRequestUpdates++;
    const after: Array<LevelRow | null> = [];
    for (const q of asks) after.push(await updateLevel(tx, { levelId, onHandDelta: 0, reservedDelta: q, minAvailable: q }));
    const last = await findLevel(tx, levelId);
    return { after, availableAfter: last ? last.onHand - last.reserved : 0 };
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Which asks fit into `available`, taking them in order and skipping those that no longer fit. */
export function greedy(asks: readonly number[], available: number): boolean[] {
  let left = available;
  return asks.map((q) => {
    if (q > left) return false;
    left -= q;
    return true;
  });
}

/**
 * The level after each chosen ask, from the row after one UPDATE that applied
 * all of them: versions v+1..v+n and reserved stepping up by each quantity.
 */
function steps(row: LevelRow, asks: readonly number[], chosen: readonly boolean[]): Array<LevelRow | null> {
  const n = chosen.filter(Boolean).length;
  const total = sum(asks.filter((_, k) => chosen[k]));
  let version = row.version - n;
  let reserved = row.reserved - total;
  return asks.map((q, k) => {
    if (!chosen[k]) return null;
    version += 1;
    reserved += q;
    return { ...row, version, reserved };
  });
}

/** Runs one request's own work; a StockRefusal (or, with `anyError`, any error) becomes its outcome. */
async function attempt(work: () => Promise<ReservationRow>, anyError: boolean): Promise<Outcome> {
  try {
    return { ok: true, row: await work() };
  } catch (error) {
    // Any other error inside the batch transaction has aborted it: let it fail the batch.
    if (anyError || error instanceof StockRefusal) return { ok: false, error };
    throw error;
  }
}
