import type postgres from "postgres";
import { ConnectionLost, isConnectionError } from "./errors.js";
import { withUnsafe } from "./unsafe-proxy.js";

type Rows = postgres.RowList<postgres.Row[]>;

/** A statement as drizzle and our code use it: awaitable, and `.values()` for rows as arrays. */
export type Statement = Promise<Rows> & { values(): Promise<Rows> };

/** A postgres.js client of one connection, as PinnedConnections makes them. */
export interface OneConnectionClient {
  sql: postgres.Sql;
  /** Resolves when its connection has closed (or failed to open). */
  closed: Promise<void>;
}

/**
 * One database connection for one holder at a time: a transaction, or a
 * session holding an advisory lock. It is a postgres.js client of one
 * connection that may be opened once: when it closes, the connection counts
 * as lost, every later statement is refused with ConnectionLost before it
 * reaches the driver, those still waiting are settled with it, and the
 * client is ended. It never reconnects: statements postgres.js still held
 * for it would run on the new connection outside their transaction.
 *
 * (postgres.js's own reserve() is not used: once the socket of a reserved
 * connection has closed it writes the next statement to a null socket from a
 * setImmediate, which ends the process, or runs it on the connection as the
 * pool has reconnected it for someone else; and with fetch_types off, which
 * array-types.ts needs, a reserve() that opens its connection never resolves.)
 */
export class PinnedConnection {
  private lostWith: ConnectionLost | null = null;
  private refusal: Error | null = null;
  /** How to fail each statement still waiting, if the connection is lost. */
  private readonly waiting = new Set<(err: ConnectionLost) => void>();
  /** The client as drizzle gets it: statements go through statement(). */
  readonly client: postgres.Sql;

  constructor(
    private readonly own: OneConnectionClient,
    private readonly onLost: (err: ConnectionLost) => void,
  ) {
    void own.closed.then(() => this.lose(new Error("the connection closed")));
    this.client = withUnsafe(own.sql, (text, params, options) => this.statement(text, params, options));
  }

  /** Why the connection counts as lost, or null while it is usable. */
  get lost(): ConnectionLost | null {
    return this.lostWith;
  }

  /** Sends one statement, unless the connection is lost or refuses more (then a rejected statement). */
  statement(text: string, params: unknown[] = [], options?: postgres.UnsafeQueryOptions): Statement {
    const refusal = this.lostWith ?? this.refusal;
    if (refusal) {
      const refused = Promise.reject(refusal);
      refused.catch(() => {});
      return Object.assign(refused, { values: () => refused });
    }
    const query = this.own.sql.unsafe(text, params as never[], options);
    // Settled by the query, or by the connection's loss, whichever comes
    // first. (Not Promise.race with one long-lived promise of the loss: each
    // race would leave a reaction on it for the connection's whole life.)
    const settled = new Promise<Rows>((resolve, reject) => {
      this.waiting.add(reject);
      query.then(
        (rows) => {
          this.waiting.delete(reject);
          resolve(rows);
        },
        (err: unknown) => {
          this.waiting.delete(reject);
          reject(err);
        },
      );
    });
    settled.catch((err: unknown) => {
      if (isConnectionError(err)) this.lose(err);
    });
    return Object.assign(settled, {
      values: () => {
        // Only marks the query: its rows are read when they arrive, after this.
        query.values();
        return settled;
      },
    });
  }

  /** Refuses every later statement with `err` (the transaction's end went out). */
  refuseFurther(err: Error): void {
    this.refusal ??= err;
  }

  /** Allows statements again (the next holder's). */
  reset(): void {
    this.refusal = null;
  }

  /** Counts the connection as lost (its state is unknown, so no one else may use it). */
  discard(cause: unknown): void {
    this.lose(cause);
  }

  end(): void {
    void this.own.sql.end({ timeout: 0 }).catch(() => {});
  }

  private lose(cause: unknown): void {
    if (this.lostWith) return;
    this.lostWith = new ConnectionLost(`the database connection was lost: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    for (const fail of this.waiting) fail(this.lostWith);
    this.waiting.clear();
    this.end();
    this.onLost(this.lostWith);
  }
}

/**
 * Up to `max` pinned connections, each held by one holder at a time (a
 * transaction, the relay's session) and given back when done; a lost one is
 * replaced by a new one when next needed.
 */
export class PinnedConnections {
  private readonly idle: PinnedConnection[] = [];
  private readonly waiting: Array<{ resolve: (c: PinnedConnection) => void; reject: (err: Error) => void }> = [];
  private open = 0;
  private ended = false;

  constructor(
    private readonly opts: {
      max: number;
      /** A client of one connection, which it opens once, on its first statement. */
      connect(): OneConnectionClient;
      /** Hears of every connection lost. */
      onLost(err: ConnectionLost): void;
    },
  ) {}

  /** A connection of one's own, once one is free. */
  take(): Promise<PinnedConnection> {
    if (this.ended) return Promise.reject(new ConnectionLost("the database pool has ended"));
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (!c.lost) return Promise.resolve(c);
      this.open--;
    }
    if (this.open < this.opts.max) return Promise.resolve(this.opened());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Back for the next holder; a lost one makes room for a new one. */
  give(c: PinnedConnection): void {
    if (c.lost || this.ended) {
      this.open--;
      c.end();
      const next = this.waiting.shift();
      if (next && !this.ended) next.resolve(this.opened());
      return;
    }
    c.reset();
    const next = this.waiting.shift();
    if (next) next.resolve(c);
    else this.idle.push(c);
  }

  async end(): Promise<void> {
    this.ended = true;
    for (const w of this.waiting.splice(0)) w.reject(new ConnectionLost("the database pool has ended"));
    for (const c of this.idle.splice(0)) c.end();
  }

  private opened(): PinnedConnection {
    this.open++;
    return new PinnedConnection(this.opts.connect(), (err) => this.opts.onLost(err));
  }
}
