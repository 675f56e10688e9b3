import type { CommitWith, Tx } from "../db/client.js";
import { claimReservations, type ReservationRow } from "../db/reservation.queries.js";
import type { Ledger } from "./ledger.js";
import { reserveAlone, reserveChange, sameAsBefore } from "./reserve.js";
import { type BatchRunner, type Job, type Outcome, ReserveScheduler, type SchedulerStats, type Turn } from "./reserve-scheduler.js";
import { StockRefusal } from "./stock.errors.js";
import type { Actor, ResolvedReserve } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

/** A single-line reserve of an existing level, waiting for a batch. */
export interface ReserveJob extends Job {
  req: ResolvedReserve;
  actor: Actor;
}

export interface BatchStats {
  /** Most stock levels one batch touched. */
  mostLevels: number;
  /** Batches whose transaction failed; their requests were then run one by one. */
  failedBatches: number;
}

/**
 * The coalescer's transaction: one batch of single-line reserves.
 *
 * It claims the batch's orderIds in one INSERT (sorted, so two batches
 * sharing orderIds take the unique-key locks in one order); then, once the
 * batches ahead of it on its levels hold their locks, takes every level's
 * whole sum with one guarded statement (Ledger.applyEach: where a level's sum
 * does not fit, the earliest requests that fit win, in arrival order); the
 * refused requests' claims are dropped in the same transaction. Every request
 * is answered after the commit. If the transaction fails as a whole, each
 * request is retried by itself, in arrival order.
 */
export class ReserveBatchRunner implements BatchRunner<ReserveJob, ReservationRow> {
  private readonly counters: BatchStats = { mostLevels: 0, failedBatches: 0 };

  constructor(
    private readonly uow: UnitOfWork,
    readonly ledger: Ledger,
  ) {}

  stats(): BatchStats {
    return { ...this.counters };
  }

  async run(batch: readonly ReserveJob[], turn: Turn): Promise<Array<Outcome<ReservationRow>>> {
    try {
      return await this.uow.run((tx, commit) => this.inTransaction(tx, batch, turn, commit));
    } catch (error) {
      turn.locked(); // rolled back: the next batch of these levels need not wait
      this.counters.failedBatches++;
      // Nothing of the batch was committed. A lone request's error is its own;
      // in a bigger batch it may be a neighbour's, so each one tries by itself.
      if (batch.length === 1) return [{ ok: false, error }];
      const outcomes: Array<Outcome<ReservationRow>> = [];
      for (const j of batch) outcomes.push(await attempt(() => reserveAlone(this.uow, this.ledger, j.req, j.actor), true));
      return outcomes;
    }
  }

  private async inTransaction(
    tx: Tx,
    batch: readonly ReserveJob[],
    turn: Turn,
    commit: CommitWith,
  ): Promise<Array<Outcome<ReservationRow>>> {
    const outcomes = new Array<Outcome<ReservationRow>>(batch.length);
    const actor = batch[0]!.actor;
    const byOrderId = [...batch].sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
    const claims = await claimReservations(
      tx,
      byOrderId.map((j) => ({ orderId: j.orderId, ttlSeconds: j.req.ttlSeconds })),
      actor,
    );
    const claimOf = new Map(claims.map((r) => [r.orderId, r]));

    const claimed: number[] = [];
    for (const [i, j] of batch.entries()) {
      if (claimOf.has(j.orderId)) claimed.push(i);
      // Taken: answered like a repeated request (its reservation may be on another level).
      else outcomes[i] = await attempt(() => sameAsBefore(tx, j.req), false);
    }
    if (claimed.length === 0) {
      turn.locked(); // locks no level: the next batches need not wait for it
      return outcomes;
    }
    const changes = claimed.map((i) => {
      const j = batch[i]!;
      const line = j.req.lines[0]!;
      return reserveChange(line, line.place!, line.place!.levelId!, line.quantity, j.orderId, claimOf.get(j.orderId)!.id);
    });
    // Not before the batches ahead on these levels hold their locks: then this
    // one queues behind them in the database, in the order they started.
    await turn.predecessorsLocked;
    const applied = await this.ledger.applyEach(tx, changes);
    turn.locked();
    this.counters.mostLevels = Math.max(this.counters.mostLevels, applied.levels);
    // COMMIT goes with the ledger rows, so the levels' locks pass to the next
    // batch one round trip sooner.
    const results = await applied.record({ actor, commit });
    claimed.forEach((i, k) => {
      const r = results[k]!;
      outcomes[i] = r instanceof StockRefusal ? { ok: false, error: r } : { ok: true, value: claimOf.get(batch[i]!.orderId)! };
    });
    return outcomes;
  }
}

export interface CoalescerOptions {
  /** Most requests in one batch (one transaction). */
  maxBatch: number;
  /** Most batches of one actor in flight at once (each holds a database connection); default 4. */
  maxConcurrent?: number;
}

export type CoalescerStats = SchedulerStats & BatchStats & { versionMisses: number; perRequestUpdates: number };

/**
 * Coalesces concurrent single-line reserves into shared transactions, so a
 * hot SKU costs one row lock per batch instead of one per request, and a
 * burst over many SKUs one commit per batch instead of one per request: the
 * scheduler (reserve-scheduler.ts) decides who goes together, the runner
 * (by default ReserveBatchRunner) runs each batch. Coalescing is per
 * instance: several instances each coalesce their own requests and meet only
 * at the guarded UPDATE.
 */
export class ReserveCoalescer {
  private readonly scheduler: ReserveScheduler<ReserveJob, ReservationRow>;

  constructor(
    private readonly runner: BatchRunner<ReserveJob, ReservationRow> & { stats?(): BatchStats; ledger?: Ledger },
    opts: CoalescerOptions,
  ) {
    this.scheduler = new ReserveScheduler(runner, { maxBatch: opts.maxBatch, maxConcurrent: opts.maxConcurrent ?? 4 });
  }

  /** Reserves the one line of `req`, which names its level, as part of a batch; settles once that batch has committed. */
  reserve(req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
    return this.scheduler.submit({ lane: actor.name, levelId: req.lines[0]!.place!.levelId!, orderId: req.orderId, req, actor });
  }

  stats(): CoalescerStats {
    const ledger = this.runner.ledger?.stats();
    return {
      ...this.scheduler.stats(),
      ...(this.runner.stats?.() ?? { mostLevels: 0, failedBatches: 0 }),
      versionMisses: ledger?.versionMisses ?? 0,
      perRequestUpdates: ledger?.perChangeUpdates ?? 0,
    };
  }
}

/** Runs one request's own work; a StockRefusal (or, with `anyError`, any error) becomes its outcome. */
async function attempt(work: () => Promise<ReservationRow>, anyError: boolean): Promise<Outcome<ReservationRow>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    // Any other error inside the batch transaction has aborted it: let it fail the batch.
    if (anyError || error instanceof StockRefusal) return { ok: false, error };
    throw error;
  }
}
