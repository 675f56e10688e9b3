import type postgres from "postgres";
import { ConnectionLost, isConnectionError } from "./errors.js";

type Sql = postgres.Sql<Record<string, postgres.PostgresType>>;
type Rows = postgres.RowList<postgres.Row[]>;

/** A statement as drizzle and our code use it: awaitable, and `.values()` for rows as arrays. */
export type Statement = Promise<Rows> & { values(): Promise<Rows> };

/**
 * Which of a pool's connections closed. postgres.js says so only through its
 * `onclose` option, by connection id: pass `closed` as that option.
 */
export class PoolCloses {
  private readonly watchers = new Map<number, () => void>();

  readonly closed = (connectionId: number): void => {
    const watcher = this.watchers.get(connectionId);
    if (!watcher) return;
    this.watchers.delete(connectionId);
    watcher();
  };

  /** Calls `onClose` once, when the connection next closes; the result stops watching. */
  watch(connectionId: number, onClose: () => void): () => void {
    this.watchers.set(connectionId, onClose);
    return () => {
      if (this.watchers.get(connectionId) === onClose) this.watchers.delete(connectionId);
    };
  }
}

/**
 * A connection reserved from the pool that knows when it is gone.
 *
 * postgres.js 3.4.9 hands every statement of a reserved connection straight
 * to its connection, whatever state that is in. Once the socket has closed,
 * the write it schedules throws from a setImmediate callback, where nothing
 * can catch it, and the process exits; once the pool has reconnected it for
 * another caller, the statement runs in that caller's session. Releasing a
 * closed connection puts it among the open ones, where the pool's next query
 * meets the same write; and statements still queued in the reserved handle
 * (behind one being described) are never settled.
 *
 * So the connection counts as lost from the moment the pool reports it
 * closed, or a statement on it fails with a connection error. From then on
 * every statement is refused with ConnectionLost before it reaches the
 * driver, statements still waiting are settled with it, and release() leaves
 * the connection to the pool, which took it back when it closed.
 */
export class ReservedConnection {
  private lostWith: ConnectionLost | null = null;
  private refusal: Error | null = null;
  private unwatch: () => void = () => {};
  private readonly lostSignal: Promise<never>;
  private signalLost!: (err: ConnectionLost) => void;

  private constructor(
    private readonly conn: postgres.ReservedSql<Record<string, postgres.PostgresType>>,
    private readonly pool: Sql,
    private readonly onLost?: (err: ConnectionLost) => void,
  ) {
    this.lostSignal = new Promise<never>((_, reject) => (this.signalLost = reject));
    this.lostSignal.catch(() => {});
  }

  /**
   * Reserves a connection and sends `first` on it at once. The connection's
   * id, which close reports name, is learnt as `first` goes out: postgres.js
   * passes the connection to a statement's `onexecute` (the hook its own
   * sql.begin() uses) and has no other way to tell. Nothing can close the
   * connection unnoticed in between: reserving and sending are one run of
   * microtasks, and a close arrives as an event of its own. `onLost` hears
   * the ConnectionLost, once, if the connection is lost.
   */
  static async reserve(
    pool: Sql,
    closes: PoolCloses,
    first: string,
    onLost?: (err: ConnectionLost) => void,
  ): Promise<{ connection: ReservedConnection; first: Statement }> {
    const connection = new ReservedConnection(await pool.reserve(), pool, onLost);
    let identified = false;
    const onexecute = (c: { id: number }) => {
      identified = true;
      connection.unwatch = closes.watch(c.id, () => connection.lose(new Error("the connection closed")));
      return true; // it may take more statements at once, as without the hook
    };
    const sent = connection.statement(first, [], { onexecute } as postgres.UnsafeQueryOptions);
    const checked = sent.then((rows) => {
      if (!identified) throw new Error("postgres.js did not report which connection it reserved (has the driver changed?)");
      return rows;
    });
    return { connection, first: Object.assign(checked, { values: () => checked }) };
  }

  /** Why the connection counts as lost, or null while it is usable. */
  get lost(): ConnectionLost | null {
    return this.lostWith;
  }

  /** The connection for drizzle: its statements go through statement(). */
  get client(): postgres.Sql {
    return new Proxy(this.conn, {
      get: (target, key) => {
        if (key === "unsafe") return (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => this.statement(text, params, options);
        // The pool's: drizzle reads its type parsers there.
        if (key === "options") return this.pool.options;
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as unknown as postgres.Sql;
  }

  /** Sends one statement, unless the connection is lost or refuses more (then a rejected statement). */
  statement(text: string, params: unknown[] = [], options?: postgres.UnsafeQueryOptions): Statement {
    const refusal = this.lostWith ?? this.refusal;
    if (refusal) {
      const refused = Promise.reject(refusal);
      refused.catch(() => {});
      return Object.assign(refused, { values: () => refused });
    }
    const query = this.conn.unsafe(text, params as never[], options);
    const settled = Promise.race([query, this.lostSignal]);
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

  /** Back to the pool, unless lost: then the pool has it already. */
  release(): void {
    this.unwatch();
    if (!this.lostWith) this.conn.release();
  }

  private lose(cause: unknown): void {
    if (this.lostWith) return;
    this.lostWith = new ConnectionLost(`the database connection was lost: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.unwatch();
    this.signalLost(this.lostWith);
    this.onLost?.(this.lostWith);
  }
}
