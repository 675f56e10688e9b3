import type postgres from "postgres";
import { type ArrayTypes, giveArrayTypes } from "./array-types.js";
import { isConnectionError } from "./errors.js";
import { withUnsafe } from "./unsafe-proxy.js";

/** One postgres.js client and what is built on it. */
interface Generation<D> {
  readonly sql: postgres.Sql;
  /** Built on `sql` by the caller (drizzle). */
  readonly db: D;
  /** A statement has succeeded on it: it reached the database at least once. */
  up: boolean;
  /** Replaced: it may not open connections any more. */
  retired: boolean;
}

export interface PostgresPoolOptions<D> {
  /** A new postgres.js client whose connections may be opened while `mayConnect()` says so. */
  connect(mayConnect: () => boolean): postgres.Sql;
  /** What is built on a client (drizzle), given the client with its statements observed. */
  build(client: postgres.Sql): D;
  arrayTypes: ArrayTypes;
  /** Told when the pool starts over on a fresh client. */
  log?: (msg: string) => void;
}

/**
 * How long a replaced client's statements may take to finish; then what is
 * left fails with a connection error. A connection lost while a statement
 * ran never counts as idle to postgres.js, so a replaced client usually takes
 * all of it.
 */
const RETIRE_TIMEOUT_S = 2;
/** How long end() waits for replaced clients (they end by themselves later). */
const END_WAIT_MS = 5000;

/**
 * The connections for single statements (everything outside a transaction):
 * a postgres.js pool, replaced by a fresh one once its connections were lost.
 *
 * postgres.js 3.4.9 keeps a connection's state across a close and the
 * reconnect that follows: the error of the statement that was running fails
 * the first statement after the reconnect, and a write pending at the close
 * leaves the connection unable to write again (its every later use waits for
 * connect_timeout, then fails). So once a statement fails with a connection
 * error on a client that had reached the database, the next statements go to
 * a fresh client, and the old one opens no connection again: what still runs
 * on it may finish, what waits for a connection fails at once. A client that
 * never reached the database is kept: a failed connection attempt leaves no
 * such state, and while the database is down every attempt fails at once.
 */
export class PostgresPool<D extends object> {
  private current: Generation<D>;
  private readonly retiring = new Set<Promise<void>>();

  /** What is built on the current client (drizzle): each access goes to the client current then. */
  readonly db: D;

  constructor(private readonly opts: PostgresPoolOptions<D>) {
    this.current = this.generation();
    this.db = new Proxy(this.current.db, {
      get: (_, key) => {
        const db = this.current.db;
        const value: unknown = Reflect.get(db, key);
        return typeof value === "function" ? value.bind(db) : value;
      },
    });
  }

  /** Takes note of a connection error met elsewhere (a pinned connection lost): the pool's own are suspect too. */
  connectionLost(err: unknown): void {
    this.failed(this.current, err);
  }

  async end(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const enough = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_WAIT_MS)));
    await Promise.all([this.current.sql.end({ timeout: 5 }), Promise.race([Promise.all(this.retiring), enough])]);
    clearTimeout(timer);
  }

  private generation(): Generation<D> {
    const gen = { up: false, retired: false } as Generation<D> & { sql: postgres.Sql; db: D };
    gen.sql = this.opts.connect(() => !gen.retired);
    giveArrayTypes(gen.sql, this.opts.arrayTypes);
    gen.db = this.opts.build(this.observed(gen));
    return gen;
  }

  /** The client as drizzle gets it: each statement's outcome tells whether the client works. */
  private observed(gen: Generation<D>): postgres.Sql {
    return withUnsafe(gen.sql, (text, params, options) => {
      const query = gen.sql.unsafe(text, params as never[], options);
      // Starts the query now rather than when drizzle awaits it a moment
      // later; drizzle's .values() still applies, as rows come after.
      query.then(
        () => (gen.up = true),
        (err: unknown) => this.failed(gen, err),
      );
      return query;
    });
  }

  private failed(gen: Generation<D>, err: unknown): void {
    if (gen !== this.current || !gen.up || !isConnectionError(err)) return;
    gen.retired = true;
    this.current = this.generation();
    this.opts.log?.(`database: connections lost (${(err as Error)?.message ?? String(err)}); continuing on fresh ones`);
    const retired = gen.sql
      .end({ timeout: RETIRE_TIMEOUT_S })
      .catch(() => {})
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
  }
}
