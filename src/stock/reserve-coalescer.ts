import type { CommitWith, Tx } from "../db/client.js";
import { claimReservations, deleteClaims, insertLines, type ReservationRow } from "../db/reservation.queries.js";
import { addReservedToLevels, findLevel, type LevelRow, updateLevel } from "../db/stock.queries.js";
import { recordLast } from "./ledger.js";
import type { ResolvedReserve } from "./reservation.service.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

/** How often a batch reads the level again after its version moved on, before updating once per request. */
const VERSION_TRIES = 3;

/**
 * Batches of one level in flight at once: the running one, and the next,
 * which does its first statements meanwhile and queues for the level's row
 * lock (in PostgreSQL, behind the running one) so it takes over the moment
 * that one commits, without a round trip through the service in between.
 */
const BATCHES_PER_LEVEL = 2;

export interface CoalescerOptions {
  /** Most requests in one batch (one transaction). */
  maxBatch: number;
  /** Most batches of one actor in flight at once (each holds a database connection); default 4. */
  maxConcurrent?: number;
  /** The orderId is taken: that reservation if its lines are the same, else a DUPLICATE refusal. */
  sameAsBefore(tx: Tx, req: ResolvedReserve): Promise<ReservationRow>;
  /** One request in a transaction of its own: how the requests of a failed batch get their answers. */
  alone(req: ResolvedReserve, actor: Actor): Promise<ReservationRow>;
  /** Reads of the level's version a batch tries when not all of it fits (default 3). */
  versionTries?: number;
  /** Test hook: runs inside each batch's transaction just before its last writes and COMMIT; throwing fails the batch. */
  beforeCommit?(orderIds: readonly string[]): void | Promise<void>;
  /** Test hook: runs inside each batch's transaction just before it locks its levels. */
  beforeLock?(orderIds: readonly string[]): void | Promise<void>;
}

export interface CoalescerStats {
  /** Batch transactions started, and the requests they carried. */
  batches: number;
  requests: number;
  largestBatch: number;
  /** Most stock levels one batch touched. */
  mostLevels: number;
  /** Batches whose transaction failed; their requests were then run one by one. */
  failedBatches: number;
  /** Greedy takes that missed the level's version and read it again. */
  versionMisses: number;
  /** Levels of a batch that gave up on one UPDATE and were updated once per request. */
  perRequestUpdates: number;
}

/** A single-line reserve waiting for a batch. */
interface Pending {
  req: ResolvedReserve;
  /** The RESERVE change of its one line. */
  change: Change;
  actor: Actor;
  resolve(row: ReservationRow): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; row: ReservationRow } | { ok: false; error: unknown };

/** A level's batches in flight: how many, and when the newest of them holds the level's lock. */
interface LevelTurn {
  batches: number;
  locked: Promise<void>;
}

/** One actor's requests: those waiting, and the levels of the batches in flight. */
interface Lane {
  waiting: Pending[];
  running: number;
  levels: Map<number, LevelTurn>;
  /**
   * The orderIds of the batches in flight. A batch waits in the service for
   * the lock of the batch ahead of it; were the two to share an orderId, the
   * one ahead could wait in the database on the other's claim: a cycle no
   * deadlock detector sees. So a repeated orderId waits for a later batch.
   */
  orderIds: Set<string>;
}

/** What a batch waits for before it locks its levels, and says once it holds them (or gave up). */
interface Turn {
  predecessorsLocked: Promise<unknown>;
  locked(): void;
}

/**
 * Coalesces concurrent single-line reserves into shared transactions, so a
 * hot SKU costs one row lock per batch instead of one per request, and a
 * burst over many SKUs one commit per batch instead of one per request.
 *
 * Per actor (the ledger names one actor per batch), up to `maxConcurrent`
 * batches run at once, and a stock level is in at most two of them. A request
 * arriving while a slot is free starts a batch at once (no waiting when idle);
 * the others wait and join the next batch that starts when one finishes, up
 * to `maxBatch` requests, in arrival order. Per level, a batch locks the
 * level only once the batch before it holds the lock, so the level's batches
 * take it in the order they started, each queueing in the database behind the
 * one before; requests for a level already in two batches wait for a later
 * one, as does a second request with an orderId already in the forming batch.
 * Batches thus form by themselves under load.
 *
 * A batch claims its orderIds in one INSERT, locks its levels in ascending id
 * order and takes each level's sum with one guarded UPDATE for all of them
 * (version + n per level), and writes the movements (the versions in
 * between) and reservation lines in multi-row INSERTs. Where a level's sum
 * does not fit, the earliest of its requests that fit win, greedily in
 * arrival order (see `take`); the others are refused with INSUFFICIENT_STOCK
 * and their claims deleted in the same transaction, and the other levels of
 * the batch are not affected. Every request is answered after the commit; if
 * the batch transaction fails as a whole, its requests are retried one by
 * one, each in its own transaction, in arrival order.
 *
 * Coalescing is per instance: several instances each coalesce their own
 * requests and meet only at the guarded UPDATE.
 */
export class ReserveCoalescer {
  private readonly lanes = new Map<string, Lane>();
  private readonly maxConcurrent: number;
  private readonly counters: CoalescerStats = {
    batches: 0,
    requests: 0,
    largestBatch: 0,
    mostLevels: 0,
    failedBatches: 0,
    versionMisses: 0,
    perRequestUpdates: 0,
  };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly opts: CoalescerOptions,
  ) {
    if (!(opts.maxBatch >= 1)) throw new Error("ReserveCoalescer: maxBatch must be at least 1");
    this.maxConcurrent = opts.maxConcurrent ?? 4;
    if (!(this.maxConcurrent >= 1)) throw new Error("ReserveCoalescer: maxConcurrent must be at least 1");
  }

  /** Reserves `change` (the one line of `req`) as part of a batch; resolves or rejects once that batch has committed. */
  reserve(req: ResolvedReserve, change: Change, actor: Actor): Promise<ReservationRow> {
    return new Promise((resolve, reject) => {
      let lane = this.lanes.get(actor.name);
      if (!lane) this.lanes.set(actor.name, (lane = { waiting: [], running: 0, levels: new Map(), orderIds: new Set() }));
      lane.waiting.push({ req, change, actor, resolve, reject });
      this.pump(actor.name, lane);
    });
  }

  stats(): CoalescerStats {
    return { ...this.counters };
  }

  /** Starts batches while a slot is free and some waiting request can go. */
  private pump(key: string, lane: Lane): void {
    while (lane.running < this.maxConcurrent && lane.waiting.length > 0) {
      const batch = this.nextBatch(lane);
      if (batch.length === 0) return;
      const levels = new Set(batch.map((p) => p.change.levelId));
      for (const p of batch) lane.orderIds.add(p.req.orderId);
      let locked!: () => void;
      const holds = new Promise<void>((resolve) => (locked = resolve));
      const predecessors: Promise<void>[] = [];
      for (const l of levels) {
        const turn = lane.levels.get(l);
        if (turn) {
          predecessors.push(turn.locked);
          turn.batches++;
          turn.locked = holds;
        } else {
          lane.levels.set(l, { batches: 1, locked: holds });
        }
      }
      lane.running++;
      void this.run(batch, { predecessorsLocked: Promise.all(predecessors), locked }).finally(() => {
        locked();
        lane.running--;
        for (const p of batch) lane.orderIds.delete(p.req.orderId);
        for (const l of levels) {
          const turn = lane.levels.get(l)!;
          if (--turn.batches === 0) lane.levels.delete(l);
        }
        if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(key);
        else this.pump(key, lane);
      });
    }
  }

  /** The earliest waiting requests whose level can take another batch, up to maxBatch, at most one per orderId in flight. */
  private nextBatch(lane: Lane): Pending[] {
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const orderIds = new Set<string>();
    for (const p of lane.waiting) {
      const orderId = p.req.orderId;
      const levelFree = (lane.levels.get(p.change.levelId)?.batches ?? 0) < BATCHES_PER_LEVEL;
      if (batch.length < this.opts.maxBatch && levelFree && !orderIds.has(orderId) && !lane.orderIds.has(orderId)) {
        batch.push(p);
        orderIds.add(orderId);
      } else {
        later.push(p);
      }
    }
    lane.waiting = later;
    return batch;
  }

  /** Runs one batch and answers every request in it; never throws. */
  private async run(batch: Pending[], turn: Turn): Promise<void> {
    this.counters.batches++;
    this.counters.requests += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    let outcomes: Outcome[];
    try {
      outcomes = await this.uow.run((tx, commitWith) => this.inTransaction(tx, commitWith, batch, turn));
    } catch (error) {
      turn.locked(); // rolled back: the next batch of these levels need not wait
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

  private async inTransaction(tx: Tx, commitWith: CommitWith, batch: readonly Pending[], turn: Turn): Promise<Outcome[]> {
    const outcomes = new Array<Outcome>(batch.length);
    const actor = batch[0]!.actor;

    // Sorted, so two batches sharing orderIds take the unique-key locks in one order.
    const byOrderId = [...batch].sort((a, b) => (a.req.orderId < b.req.orderId ? -1 : a.req.orderId > b.req.orderId ? 1 : 0));
    const claims = await claimReservations(
      tx,
      byOrderId.map((p) => ({ orderId: p.req.orderId, ttlSeconds: p.req.ttlSeconds })),
      actor.name,
    );
    const claimOf = new Map(claims.map((r) => [r.orderId, r]));

    // The claimed requests per level, in arrival order.
    const byLevel = new Map<number, number[]>();
    for (const [i, p] of batch.entries()) {
      if (claimOf.has(p.req.orderId)) {
        const ofLevel = byLevel.get(p.change.levelId);
        if (ofLevel) ofLevel.push(i);
        else byLevel.set(p.change.levelId, [i]);
      }
      // Taken: answered like a repeated request (its reservation may be on another level).
      else outcomes[i] = await attempt(() => this.opts.sameAsBefore(tx, p.req), false);
    }
    this.counters.mostLevels = Math.max(this.counters.mostLevels, byLevel.size);
    if (byLevel.size === 0) turn.locked(); // locks no level: the next batches need not wait for it
    if (byLevel.size > 0) {
      const levelIds = [...byLevel.keys()].sort((a, b) => a - b);
      const askOf = (i: number) => batch[i]!.change.reservedDelta;
      // Every level's whole sum at once; the levels stay locked to the end of
      // the transaction. Not before the batches ahead on these levels hold
      // their locks: then this one queues behind them, in the order they started.
      await this.opts.beforeLock?.(batch.map((p) => p.req.orderId));
      await turn.predecessorsLocked;
      const whole = await addReservedToLevels(
        tx,
        levelIds.map((levelId) => {
          const asks = byLevel.get(levelId)!.map(askOf);
          return { levelId, quantity: sum(asks), movements: asks.length };
        }),
      );
      turn.locked();
      const wholeOf = new Map(whole.applied.map((row) => [row.id, row]));
      const lockedOf = new Map(whole.refused.map((row) => [row.id, row]));

      const winners: number[] = [];
      const afterOf = new Map<number, LevelRow>();
      const losers: number[] = [];
      for (const levelId of levelIds) {
        const members = byLevel.get(levelId)!;
        const asks = members.map(askOf);
        const row = wholeOf.get(levelId);
        const taken = row
          ? { after: steps(row, asks, asks.map(() => true)), availableAfter: row.onHand - row.reserved }
          : await this.take(tx, levelId, asks, lockedOf.get(levelId) ?? null);
        members.forEach((i, k) => {
          const after = taken.after[k];
          if (after) {
            winners.push(i);
            afterOf.set(i, after);
          } else {
            losers.push(i);
            const c = batch[i]!.change;
            outcomes[i] = { ok: false, error: refuse.insufficient(c.sku, c.warehouseCode, c.requested, taken.availableAfter) };
          }
        });
      }

      // The rest of the batch's writes depend on nothing but the above: sent
      // together, they cost one round trip (the driver pipelines them), and
      // COMMIT goes with them (see recordLast), so the levels' locks pass to
      // the next batch one round trip sooner.
      const claimIdOf = (i: number) => claimOf.get(batch[i]!.req.orderId)!.id;
      await this.opts.beforeCommit?.(batch.map((p) => p.req.orderId));
      await recordLast(
        tx,
        winners.map((i) => batch[i]!.change),
        winners.map((i) => afterOf.get(i)!),
        actor,
        commitWith,
        () =>
          Promise.all([
            deleteClaims(tx, losers.map(claimIdOf)),
            insertLines(
              tx,
              winners.map((i) => ({ reservationId: claimIdOf(i), levelId: batch[i]!.change.levelId, quantity: askOf(i) })),
            ),
          ]),
      );
      for (const i of winners) outcomes[i] = { ok: true, row: claimOf.get(batch[i]!.req.orderId)! };
      return outcomes;
    }
    await this.opts.beforeCommit?.(batch.map((p) => p.req.orderId));
    return outcomes;
  }

  /**
   * One level whose whole sum did not fit (the batch holds its row lock):
   * reserves as many of `asks` (quantities, in arrival order) as fit, the
   * earliest first. `locked` is the row as the batch locked it (null: no such
   * level). Returns, per ask, the level as that ask left it (the versions and
   * reserved counts stepping up one ask at a time) or null if it did not fit,
   * and what is available after all of them.
   */
  private async take(
    tx: Tx,
    levelId: number,
    asks: readonly number[],
    locked: LevelRow | null,
  ): Promise<{ after: Array<LevelRow | null>; availableAfter: number }> {
    // Which asks fit is computed from the row, so: update only while it is
    // still the version read (DESIGN.md), a bounded number of times. The lock
    // makes the first try stick; the guard keeps it right regardless.
    let level = locked;
    for (let tries = this.opts.versionTries ?? VERSION_TRIES; tries > 0; tries--) {
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
      level = await findLevel(tx, levelId);
    }

    // The level keeps moving under us: one guarded UPDATE per ask, still in
    // arrival order, in this transaction.
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
