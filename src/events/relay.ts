import { eq, sql } from "drizzle-orm";
import type { Database, Session } from "../db/client.js";
import { relayState } from "../db/schema.js";
import { FailureStreak } from "../background.js";
import { type EventBus, listen } from "./bus.js";
import { KICK_TOPIC, LEDGER_TOPIC, loadBatch } from "./ledger-events.js";
import { parseSnapshot, Watermark } from "./watermark.js";

const LEADER_LOCK = 7_411_002;

export interface RelayOptions {
  /** How often the leader looks at the ledger when nothing woke it. */
  pollMs: number;
  /** How often a follower tries to become the leader. */
  electionMs: number;
  /** Pause between back-to-back cycles under load (adds at most this to delivery latency). */
  minCycleMs: number;
  /**
   * How often, at most, the leader records in relay_state how far it has
   * published (each record is a commit). It is what hubs compare with to find
   * a batch that never arrived, and where a new leader starts (republishing
   * what the old one published since its last record: hubs drop duplicates).
   */
  recordEveryMs: number;
  /** Test-only: stop right before publishing, as if the process died there. */
  haltBeforePublish: boolean;
  log: (msg: string) => void;
  debug?: (msg: string) => void;
}

/**
 * The outbox relay. The ledger is the source of truth; the relay turns it
 * into a stream. One leader at a time (a session advisory lock on PostgreSQL;
 * the only process on PGlite) advances the commit-safe watermark (see
 * watermark.ts), publishes each new range of the ledger as one batch and
 * records how far it got in `relay_state`. Hubs on every instance catch up
 * from the ledger whenever a batch is missing, so a lost publish (Redis down,
 * a crash between commit and publish) delays an event but never loses it.
 *
 * Commits wake it at once: locally through kick(), from other instances
 * through a kick message on the bus.
 *
 * When the database goes away, the leader's session goes with it (and the
 * lock): the leader resigns, and every instance tries to become the leader
 * again every electionMs until one succeeds, starting from relay_state, so
 * nothing committed is skipped (what was published twice, hubs drop).
 */
export class LedgerRelay {
  private session: Session | null = null;
  private watermark: Watermark | null = null;
  private published = 0;
  /** How far relay_state says, and when it was last written. */
  private recorded = 0;
  private recordedAt = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private kickSent = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private electing = false;
  private unsubscribe: (() => void) | null = null;
  private readonly elections: FailureStreak;

  constructor(
    private readonly database: Database,
    private readonly bus: EventBus,
    private readonly opts: RelayOptions,
  ) {
    this.elections = new FailureStreak("relay: election", opts.log);
  }

  get isLeader(): boolean {
    return this.session !== null;
  }

  async start(): Promise<void> {
    await this.elect();
    this.timers.push(setInterval(() => void this.elect(), this.opts.electionMs).unref());
    this.timers.push(setInterval(() => this.kick(), this.opts.pollMs).unref());
    // A kick from another instance; after stop() kick() does nothing.
    this.unsubscribe = listen(this.bus, KICK_TOPIC, () => {
      if (this.isLeader) this.kick();
    });
  }

  /** Something was committed: publish it soon (the leader) or wake the leader (a follower). */
  kick(): void {
    if (this.stopped) return;
    if (!this.isLeader) {
      if (this.kickSent) return;
      this.kickSent = true;
      setImmediate(() => {
        this.kickSent = false;
        void Promise.resolve(this.bus.publish(KICK_TOPIC, {})).catch(() => {});
      });
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Publishes everything committed so far (for shutdown); gives up after `timeoutMs`. */
  async flush(timeoutMs = 5000): Promise<void> {
    if (!this.isLeader) return;
    const deadline = Date.now() + timeoutMs;
    const target = await this.lastValue().catch((err: Error) => {
      this.opts.log(`relay: cannot flush: ${err.message}`);
      return 0;
    });
    while (Date.now() < deadline && this.published < target && this.isLeader) {
      this.kick();
      await (this.running ?? new Promise((r) => setTimeout(r, 5)));
    }
    await this.recordNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    await this.running?.catch(() => {});
    await this.recordNow();
    await this.resign();
  }

  private async loop(): Promise<void> {
    let waits = 0;
    do {
      this.again = false;
      try {
        await this.iterate();
      } catch (err) {
        this.opts.log(`relay: ${(err as Error).message}; no longer leading`);
        await this.resign();
        return;
      }
      // Transactions were still running at the last probe: look again soon,
      // backing off while they stay open (a slow transaction must not make us spin).
      if (!this.again && this.watermark?.pending && !this.stopped) {
        await new Promise((r) => setTimeout(r, Math.min(1 << waits++, 50)));
        this.again = true;
      } else {
        waits = 0;
        // Under load commits keep kicking: gather them for a moment so one
        // cycle (a probe, one read, one publish) serves many commits.
        if (this.again && this.opts.minCycleMs > 0) await new Promise((r) => setTimeout(r, this.opts.minCycleMs));
      }
    } while (this.again && !this.stopped && this.isLeader);
  }

  private async lastValue(): Promise<number> {
    const [row] = await this.session!.query<{ s: string | null }>("select pg_sequence_last_value('ledger_seq') as s");
    return Number(row?.s ?? 0);
  }

  private async iterate(): Promise<void> {
    const session = this.session;
    if (!session || !this.watermark) return;
    const wm = this.watermark;
    // One round trip: the sequence's last value S, then (only if S is beyond
    // what is settled or already probed, as each probe uses up a transaction
    // id) a fresh transaction id Y, taken after S was read (see watermark.ts):
    // the fenced subquery (offset 0) is read before the outer row is built.
    // The snapshot settles earlier probes.
    const [row] = await session.query<{ s: string | null; y: string | null; snap: string }>(
      `select q.s::text as s,
              case when q.s > $1 then pg_current_xact_id()::text end as y,
              pg_current_snapshot()::text as snap
         from (select pg_sequence_last_value('ledger_seq') as s offset 0) q`,
      [wm.probedUpTo],
    );
    const lastValue = Number(row?.s ?? 0);
    if (row!.y !== null) wm.probe(lastValue, BigInt(row!.y));
    wm.observe(parseSnapshot(row!.snap));
    if (row!.y !== null || wm.pending) {
      this.opts.debug?.(`relay: last ${lastValue} xid ${row!.y} snapshot ${row!.snap} settled ${wm.value} published ${this.published}`);
    }
    const settled = wm.value;
    while (this.published < settled && !this.stopped) {
      const batch = await loadBatch(this.database, this.published, settled);
      this.opts.debug?.(`relay: batch (${batch.from}, ${batch.to}] ${batch.events.map((e) => e.sequence).join(",")}`);
      if (this.opts.haltBeforePublish && batch.events.length > 0) {
        this.opts.log("relay: halting before publish (fault injection)");
        await new Promise(() => {});
      }
      try {
        await this.bus.publish(LEDGER_TOPIC, batch);
      } catch {
        // Hubs catch up from the ledger through relay_state; nothing is lost.
      }
      this.published = batch.to;
    }
    await this.record(false);
  }

  /** Writes how far it has published to relay_state, if recordEveryMs has passed since the last time (or `now`). */
  private async record(now: boolean): Promise<void> {
    if (this.published <= this.recorded) return;
    if (!now && performance.now() - this.recordedAt < this.opts.recordEveryMs) return;
    const upTo = this.published;
    await this.database.db
      .update(relayState)
      .set({ publishedUpTo: sql`greatest(${relayState.publishedUpTo}, ${upTo})`, updatedAt: sql`now()` })
      .where(eq(relayState.id, 1));
    this.recorded = upTo;
    this.recordedAt = performance.now();
  }

  /** On the way out: relay_state says all that was published. */
  private async recordNow(): Promise<void> {
    if (!this.isLeader) return;
    await this.record(true).catch((err: Error) => this.opts.log(`relay: ${err.message}`));
  }

  private async elect(): Promise<void> {
    if (this.isLeader || this.stopped || this.electing) return;
    this.electing = true;
    let session: Session | null = null;
    let locked = false;
    try {
      session = await this.database.session();
      if (this.database.kind === "postgres") {
        const [row] = await session.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [LEADER_LOCK]);
        if (!row?.ok) {
          this.elections.succeeded();
          return;
        }
        locked = true;
      }
      const [state] = await session.query<{ p: string }>("select published_up_to as p from relay_state where id = 1");
      this.published = Number(state?.p ?? 0);
      this.recorded = this.published;
      this.watermark = new Watermark(this.published);
      this.session = session;
      session = null;
      this.elections.succeeded();
      this.opts.log(`relay: leading from sequence ${this.published}`);
      this.kick();
    } catch (err) {
      this.elections.failed(err);
    } finally {
      this.electing = false;
      // Not the leader after all: the session goes back to the pool, so the lock must not go with it.
      if (session && locked) await session.query("select pg_advisory_unlock($1)", [LEADER_LOCK]).catch(() => {});
      await session?.release().catch(() => {});
    }
  }

  private async resign(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.watermark = null;
    if (!session) return;
    try {
      if (this.database.kind === "postgres") await session.query("select pg_advisory_unlock($1)", [LEADER_LOCK]);
    } catch {
      // the connection is gone, and the lock with it
    }
    await session.release().catch(() => {});
  }
}
