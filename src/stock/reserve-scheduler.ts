/**
 * When coalesced reserves run, and with whom: the in-memory half of the
 * coalescer, with no database in it (reserve-batch.ts is the other half).
 *
 * Jobs are grouped by lane (one per actor: the ledger names one actor per
 * batch). Per lane, up to `maxConcurrent` batches run at once, and a stock
 * level is in at most BATCHES_PER_LEVEL of them. A job arriving while a slot
 * is free starts a batch at once (no waiting when idle); the others wait and
 * join the next batch that starts when one finishes, up to `maxBatch` jobs,
 * in arrival order. Per level, a batch may lock the level only once the batch
 * before it holds the lock (`Turn`), so a level's batches take it in the
 * order they started, each queueing in the database behind the one before.
 * A job for a level already in two batches waits for a later one, as does a
 * job whose orderId is already in a forming or running batch. Batches thus
 * form by themselves under load.
 */

/**
 * Batches of one level in flight at once: the running one, and the next,
 * which does its first statements meanwhile and queues for the level's row
 * lock (in PostgreSQL, behind the running one) so it takes over the moment
 * that one commits, without a round trip through the service in between.
 */
export const BATCHES_PER_LEVEL = 2;

export interface Job {
  /** Jobs of one lane may share a batch (the actor). */
  lane: string;
  levelId: number;
  orderId: string;
}

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What a batch waits for before it locks its levels, and says once it holds them (or will not). */
export interface Turn {
  /** Resolves once every earlier batch on these levels holds its lock. */
  predecessorsLocked: Promise<unknown>;
  /** Call once the batch holds its levels' locks, or knows it never will (idempotent). */
  locked(): void;
}

/** Runs one batch (one transaction): an outcome per job, in the batch's order. */
export interface BatchRunner<J extends Job, R> {
  run(batch: readonly J[], turn: Turn): Promise<Array<Outcome<R>>>;
}

export interface SchedulerOptions {
  /** Most jobs in one batch. */
  maxBatch: number;
  /** Most batches of one lane in flight at once (each holds a database connection). */
  maxConcurrent: number;
}

export interface SchedulerStats {
  /** Batches started, and the jobs they carried. */
  batches: number;
  requests: number;
  largestBatch: number;
}

interface Waiting<J, R> {
  job: J;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** A level's batches in flight: how many, and when the newest of them holds the level's lock. */
interface LevelTurn {
  batches: number;
  locked: Promise<void>;
}

interface Lane<J, R> {
  waiting: Array<Waiting<J, R>>;
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

export class ReserveScheduler<J extends Job, R> {
  private readonly lanes = new Map<string, Lane<J, R>>();
  private readonly counters: SchedulerStats = { batches: 0, requests: 0, largestBatch: 0 };

  constructor(
    private readonly runner: BatchRunner<J, R>,
    private readonly opts: SchedulerOptions,
  ) {
    if (!(opts.maxBatch >= 1)) throw new Error("ReserveScheduler: maxBatch must be at least 1");
    if (!(opts.maxConcurrent >= 1)) throw new Error("ReserveScheduler: maxConcurrent must be at least 1");
  }

  /** Runs `job` as part of a batch; settles once that batch is done. */
  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let lane = this.lanes.get(job.lane);
      if (!lane) this.lanes.set(job.lane, (lane = { waiting: [], running: 0, levels: new Map(), orderIds: new Set() }));
      lane.waiting.push({ job, resolve, reject });
      // Nothing that waited before could start (each pump starts all it can),
      // so only this job might: if it cannot either, there is nothing to scan.
      if (lane.running < this.opts.maxConcurrent && this.mayStart(lane, job)) this.pump(job.lane, lane);
    });
  }

  /** Whether the job's level can take another batch and its orderId is in none in flight. */
  private mayStart(lane: Lane<J, R>, job: J): boolean {
    return (lane.levels.get(job.levelId)?.batches ?? 0) < BATCHES_PER_LEVEL && !lane.orderIds.has(job.orderId);
  }

  stats(): SchedulerStats {
    return { ...this.counters };
  }

  /** Starts batches while a slot is free and some waiting job can go. */
  private pump(key: string, lane: Lane<J, R>): void {
    while (lane.running < this.opts.maxConcurrent && lane.waiting.length > 0) {
      const batch = this.nextBatch(lane);
      if (batch.length === 0) return;
      const levels = new Set(batch.map((w) => w.job.levelId));
      for (const w of batch) lane.orderIds.add(w.job.orderId);
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
        for (const w of batch) lane.orderIds.delete(w.job.orderId);
        for (const l of levels) {
          const turn = lane.levels.get(l)!;
          if (--turn.batches === 0) lane.levels.delete(l);
        }
        if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(key);
        else this.pump(key, lane);
      });
    }
  }

  /** The earliest waiting jobs whose level can take another batch, up to maxBatch, at most one per orderId in flight. */
  private nextBatch(lane: Lane<J, R>): Array<Waiting<J, R>> {
    const batch: Array<Waiting<J, R>> = [];
    const later: Array<Waiting<J, R>> = [];
    const orderIds = new Set<string>();
    for (const w of lane.waiting) {
      if (batch.length < this.opts.maxBatch && !orderIds.has(w.job.orderId) && this.mayStart(lane, w.job)) {
        batch.push(w);
        orderIds.add(w.job.orderId);
      } else {
        later.push(w);
      }
    }
    lane.waiting = later;
    return batch;
  }

  /** Runs one batch and settles every job in it; never throws. */
  private async run(batch: Array<Waiting<J, R>>, turn: Turn): Promise<void> {
    this.counters.batches++;
    this.counters.requests += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    let outcomes: Array<Outcome<R>>;
    try {
      outcomes = await this.runner.run(
        batch.map((w) => w.job),
        turn,
      );
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    } finally {
      turn.locked(); // whatever happened, later batches of these levels need not wait for this one
    }
    batch.forEach((w, i) => {
      const o = outcomes[i] ?? { ok: false, error: new Error("the batch gave this job no answer") };
      if (o.ok) w.resolve(o.value);
      else w.reject(o.error);
    });
  }
}
