import { Repeater } from "@repeaterjs/repeater";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { relayState } from "../db/schema.js";
import { FailureStreak, type Repeating, repeatEvery } from "../background.js";
import { flatten } from "./streams.js";
import { type EventBus, listen } from "./bus.js";
import { type LedgerBatch, type LedgerEvent, LEDGER_TOPIC, loadBatch, reviveBatch } from "./ledger-events.js";

export interface HubOptions {
  /** How often to compare with relay_state, in case a batch never arrived. */
  catchUpMs: number;
  /** Events a subscriber may have waiting before it is cut off as too slow. */
  maxBuffered: number;
  log: (msg: string) => void;
}

export class SlowSubscriberError extends Error {
  constructor(readonly lastSequence: number) {
    super(`subscriber fell more than the buffer behind; resume with after: "${lastSequence}"`);
    this.name = "SlowSubscriberError";
  }
}

interface Subscriber {
  accepts(e: LedgerEvent): boolean;
  /** Hands over one batch's worth of events at once. */
  push(events: LedgerEvent[]): void;
  /** Live events held back while the subscriber replays the ledger. */
  parked: LedgerEvent[] | null;
}

/**
 * One per instance: turns relay batches into a gap-free stream of ledger
 * events (filling any gap from the ledger itself) and fans it out to this
 * instance's subscribers, each with its own bounded buffer.
 */
export class LedgerHub {
  private upTo = 0;
  /** Subscribers to some products only, by product id (a product page watches one): an event is offered to its product's. */
  private readonly byProduct = new Map<number, Set<Subscriber>>();
  /** Subscribers to every product (dashboards): offered every event. */
  private readonly everywhere = new Set<Subscriber>();
  private queue: Promise<void> = Promise.resolve();
  private catchUps: Repeating | null = null;
  private stopIncoming: (() => void) | null = null;
  /** Reading the ledger failed (the database is unavailable): logged once per outage. */
  private readonly failures: FailureStreak;
  private waiters: Array<{ sequence: number; resolve: () => void }> = [];

  constructor(
    private readonly database: Database,
    private readonly bus: EventBus,
    private readonly opts: HubOptions,
  ) {
    this.failures = new FailureStreak("hub: reading the ledger", opts.log);
  }

  /** Everything at or below this sequence has been delivered here (and is settled). */
  get settledUpTo(): number {
    return this.upTo;
  }

  async start(): Promise<void> {
    this.upTo = await this.publishedUpTo();
    this.stopIncoming = listen(
      this.bus,
      LEDGER_TOPIC,
      (message) => {
        const batch = reviveBatch(message as LedgerBatch);
        this.serially(() => this.accept(batch)).catch((err) => this.failures.failed(err));
      },
      (err) => this.opts.log(`hub: incoming stream ended: ${err.message}; subscribing again`),
    );
    // A batch that failed to fill is caught up with here, from the ledger:
    // subscribers see no gap once the database is back.
    this.catchUps = repeatEvery("hub: catching up from the ledger", this.opts.catchUpMs, () => this.serially(() => this.catchUp()), this.opts.log, 2000);
    this.bus.onReconnect(() => this.catchUps?.now());
  }

  async stop(): Promise<void> {
    await this.catchUps?.stop();
    this.stopIncoming?.();
    await this.queue.catch(() => {});
  }

  /** Subscriptions now open on this hub. */
  get subscriberCount(): number {
    const perProduct = new Set<Subscriber>();
    for (const subs of this.byProduct.values()) for (const sub of subs) perProduct.add(sub);
    return perProduct.size + this.everywhere.size;
  }

  /** Resolves once this hub has delivered everything up to `sequence` (tests, read-your-writes). */
  reached(sequence: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.upTo >= sequence) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push({ sequence, resolve: () => (clearTimeout(t), resolve(true)) });
    });
  }

  /**
   * Events for which `accepts` is true, from `after` (replayed from the ledger)
   * or from now, then live, with no gap and no duplicate at the seam; given
   * `products`, only events of those products are offered to `accepts`. A
   * subscriber that lets more than maxBuffered events pile up ends with
   * SlowSubscriberError, saying where to resume.
   */
  subscribe(accepts: (e: LedgerEvent) => boolean, after?: number, products?: ReadonlySet<number> | null): AsyncIterableIterator<LedgerEvent> {
    // Events travel in arrays (one per batch), so a large batch never looks
    // like a slow consumer: what counts is how much is still untaken when the
    // next batch comes.
    const batches = new Repeater<LedgerEvent[]>(async (push, stop) => {
      let buffered = 0;
      let last = after ?? this.upTo;
      const fresh = (events: LedgerEvent[]) => {
        const out = events.filter((e) => e.sequence > last);
        if (out.length > 0) last = out[out.length - 1]!.sequence;
        return out;
      };
      const sub: Subscriber = {
        accepts,
        // Live events wait here until the starting point is known.
        parked: [],
        push: (events) => {
          if (buffered >= this.opts.maxBuffered) {
            stop(new SlowSubscriberError(last));
            return;
          }
          const out = fresh(events);
          if (out.length === 0) return;
          buffered += out.length;
          void push(out).then(() => (buffered -= out.length));
        },
      };
      this.enrol(sub, products);
      try {
        if (after === undefined) {
          // "From now": skip everything already written, even if not yet delivered here.
          last = Math.max(last, await this.lastWritten());
        } else {
          // Paced by the consumer: each replayed page waits until it was taken.
          let cursor = after;
          while (cursor < this.upTo) {
            const batch = await loadBatch(this.database, cursor, this.upTo, 500);
            const out = fresh(batch.events.filter(accepts));
            if (out.length > 0) await push(out);
            cursor = batch.to;
          }
        }
        // Synchronous from here on: live delivery resumes exactly where the start ended.
        const parked = sub.parked ?? [];
        sub.parked = null;
        if (parked.length > 0) sub.push(parked);
      } catch (err) {
        stop(err as Error);
      }
      await stop;
      this.withdraw(sub, products);
    });
    return flatten(batches);
  }

  private enrol(sub: Subscriber, products: ReadonlySet<number> | null | undefined): void {
    if (!products) return void this.everywhere.add(sub);
    for (const p of products) {
      const subs = this.byProduct.get(p);
      if (subs) subs.add(sub);
      else this.byProduct.set(p, new Set([sub]));
    }
  }

  private withdraw(sub: Subscriber, products: ReadonlySet<number> | null | undefined): void {
    if (!products) return void this.everywhere.delete(sub);
    for (const p of products) {
      const subs = this.byProduct.get(p);
      subs?.delete(sub);
      if (subs?.size === 0) this.byProduct.delete(p);
    }
  }

  private async lastWritten(): Promise<number> {
    const rows = await this.database.rows<{ s: string | null }>(sql`select pg_sequence_last_value('ledger_seq') as s`);
    return Number(rows[0]?.s ?? 0);
  }

  /** Runs `work` after whatever the hub is doing; the result is `work`'s (the queue goes on either way). */
  private serially(work: () => Promise<void>): Promise<void> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => {});
    return done;
  }

  private async accept(batch: LedgerBatch): Promise<void> {
    if (batch.to <= this.upTo) return;
    if (batch.from > this.upTo) await this.fill(batch.from);
    this.deliver(batch.events.filter((e) => e.sequence > this.upTo), batch.to);
  }

  private async catchUp(): Promise<void> {
    const published = await this.publishedUpTo();
    if (published > this.upTo) await this.fill(published);
    this.failures.succeeded();
  }

  /** Loads (upTo, to] from the ledger and delivers it. */
  private async fill(to: number): Promise<void> {
    while (this.upTo < to) {
      const batch = await loadBatch(this.database, this.upTo, to);
      this.deliver(batch.events, batch.to);
    }
  }

  private deliver(events: LedgerEvent[], to: number): void {
    const mine = new Map<Subscriber, LedgerEvent[]>();
    const offer = (sub: Subscriber, e: LedgerEvent) => {
      if (!sub.accepts(e)) return;
      const list = mine.get(sub);
      if (list) list.push(e);
      else mine.set(sub, [e]);
    };
    for (const e of events) {
      // Transfer changes belong to no one product: only subscribers to everything see them.
      if (e.kind !== "transfer") for (const sub of this.byProduct.get(e.level.productId) ?? []) offer(sub, e);
      for (const sub of this.everywhere) offer(sub, e);
    }
    for (const [sub, list] of mine) {
      if (sub.parked) sub.parked.push(...list);
      else sub.push(list);
    }
    this.upTo = Math.max(this.upTo, to);
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.sequence <= this.upTo);
      this.waiters = this.waiters.filter((w) => w.sequence > this.upTo);
      for (const w of due) w.resolve();
    }
  }

  private async publishedUpTo(): Promise<number> {
    const rows = await this.database.db
      .select({ p: relayState.publishedUpTo })
      .from(relayState)
      .where(eq(relayState.id, 1));
    return Number(rows[0]?.p ?? 0);
  }
}
