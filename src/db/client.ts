import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { PostgresPool } from "./postgres-pool.js";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle: same query API as Db. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

/** A dedicated connection, for session state such as advisory locks and LISTEN. */
export interface Session {
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  release(): Promise<void>;
}

export interface Database {
  readonly db: Db;
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, without credentials: for the start-up line. */
  readonly description: string;
  /** Statements sent through drizzle so far (tests count them per request). */
  queryCount(): number;
  /** Raw rows of a statement, the same shape on both drivers. */
  rows<T extends Record<string, unknown>>(query: SQL, executor?: Executor): Promise<T[]>;
  /** A connection of its own; on PGlite, the one shared connection. */
  session(): Promise<Session>;
  /**
   * `work` in one transaction, with fewer round trips than `db.transaction`:
   * BEGIN goes out with the first statement, and `work` may end the
   * transaction with `commitWith(writes)`, its last statements, which then go
   * out with COMMIT. The transaction's row locks are thus released one round
   * trip sooner. On PGlite: an ordinary transaction.
   */
  pipelinedTransaction<T>(work: (tx: Tx, commitWith: CommitWith) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Sends what `writes` issues, then COMMIT, without waiting in between. Every
 * statement of `writes` must be issued at once (each `await` inside it would
 * come after the COMMIT): a statement issued later is refused, and the
 * transaction fails. Resolves to what `writes` resolved to, once committed;
 * if a statement fails, the transaction is rolled back and its error thrown.
 */
export type CommitWith = <R>(writes: () => Promise<R>) => Promise<R>;

/** A statement issued on a pipelined transaction after its COMMIT. */
export class StatementAfterCommit extends Error {}

class CountingLogger implements Logger {
  count = 0;
  logQuery(): void {
    this.count++;
  }
}

/** The rows of `execute`'s result, the same shape on both drivers. */
export function rowsOf<T>(result: unknown): T[] {
  // postgres.js returns an array of rows; PGlite returns { rows }.
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * The postgres.js client as drizzle sees it, with every statement a named
 * prepared statement. Drizzle sends its statements unnamed, and postgres.js
 * describes an unnamed statement with parameters in a round trip of its own
 * before running it: two round trips per statement. Named ones are described
 * once per connection and then take one. The adapter covers the handles drizzle
 * gets inside transactions and savepoints too.
 */
function preparedStatements<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, key) {
      if (key === "unsafe") {
        return (query: string, params?: never[], options?: postgres.UnsafeQueryOptions) => target.unsafe(query, params, { ...options, prepare: true });
      }
      if (key === "begin" || key === "savepoint") {
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const method = Reflect.get(target, key) as (...a: unknown[]) => unknown;
          return method.call(target, ...args, (tx: postgres.TransactionSql) => work(preparedStatements(tx)));
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A postgres.js client for a DATABASE_URL. A Unix socket is named the libpq
 * way, by its directory in a `host` parameter
 * (`postgres://user@localhost:5432/db?host=/var/run/postgresql`): on the
 * database's own machine it costs less per round trip than TCP. postgres.js
 * alone would send such a parameter on as a server setting.
 */
export function connectPostgres(url: string, options: postgres.Options<Record<string, postgres.PostgresType>>): postgres.Sql {
  const u = new URL(url);
  const socketDir = u.searchParams.get("host");
  if (!socketDir?.startsWith("/")) return postgres(url, options);
  u.searchParams.delete("host");
  return postgres(u.toString(), { ...options, host: socketDir });
}

export async function openDatabase(opts: {
  url?: string;
  dataDir: string;
  poolSize: number;
  preparedStatements?: boolean;
  /** Hears when the PostgreSQL pool starts over after its connections were lost. */
  log?: (msg: string) => void;
}): Promise<Database> {
  const logger = new CountingLogger();
  if (opts.url) {
    const url = opts.url;
    const pool = new PostgresPool<Db>({
      connect: (onclose) =>
        connectPostgres(url, {
          max: opts.poolSize,
          onnotice: () => {},
          connection: { application_name: "stock-service" },
          prepare: opts.preparedStatements ?? true,
          onclose,
        }),
      build: (client) =>
        drizzlePostgres({
          client: opts.preparedStatements === false ? client : preparedStatements(client),
          schema,
          casing: "snake_case",
          logger,
        }) as unknown as Db,
      log: opts.log,
    });
    const db = pool.db;
    const u = new URL(url);
    return {
      db,
      kind: "postgres",
      description: `PostgreSQL ${u.searchParams.get("host") ?? u.hostname}:${u.port || 5432}${u.pathname}`,
      queryCount: () => logger.count,
      rows: async (query, executor = db) => rowsOf(await executor.execute(query)),
      session: async () => {
        const { connection, first } = await pool.reserve("select 1");
        try {
          await first;
        } catch (err) {
          connection.release();
          throw err;
        }
        return {
          query: async (text, params = []) => rowsOf(await connection.statement(text, params)),
          release: async () => connection.release(),
        };
      },
      pipelinedTransaction: async (work) => {
        const { connection, first: begun } = await pool.reserve("begin");
        begun.catch(() => {}); // a failed BEGIN fails what follows it too
        /** The transaction's end is on its way (COMMIT, or ROLLBACK if its last writes failed before it went). */
        let ending = false;
        // Statements run in the order they are issued on the connection.
        const conn = connection.client;
        const tx = drizzlePostgres({
          client: opts.preparedStatements === false ? conn : preparedStatements(conn),
          casing: "snake_case",
          logger,
        }) as unknown as Tx;
        const ended = (r: postgres.RowList<postgres.Row[]>) => {
          if (r.command !== "COMMIT") throw new Error(`the transaction ended with ${r.command}, not COMMIT`);
        };
        const commitWith: CommitWith = async <R,>(writes: () => Promise<R>): Promise<R> => {
          ending = true;
          let failed = false;
          // Issued after whatever `writes` issues at once (its statements reach
          // the driver in microtasks, before any immediate), and before the
          // driver flushes them. Writes that failed before reaching the
          // database (a client-side error) turn it into ROLLBACK. A connection
          // lost meanwhile refuses it.
          const end = new Promise<postgres.RowList<postgres.Row[]>>((resolve, reject) =>
            setImmediate(() => {
              connection.statement(failed ? "rollback" : "commit").then(resolve, reject);
              connection.refuseFurther(new StatementAfterCommit("a statement was issued after its transaction's COMMIT"));
            }),
          );
          let written: Promise<R>;
          try {
            written = writes();
          } catch (err) {
            written = Promise.reject(err);
          }
          written.catch(() => (failed = true));
          const [w, c] = await Promise.allSettled([written, end]);
          if (w.status === "rejected") throw w.reason; // and the transaction was rolled back
          if (c.status === "rejected") throw c.reason;
          ended(c.value);
          return w.value as R;
        };
        try {
          const result = await work(tx, commitWith);
          await begun;
          if (!ending) ended(await connection.statement("commit"));
          return result;
        } catch (err) {
          // Refused (and not needed) if the connection is lost: the server rolls back.
          if (!ending) await connection.statement("rollback").catch(() => {});
          throw err;
        } finally {
          connection.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const db = drizzlePglite({ client, schema, casing: "snake_case", logger }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    description: `embedded PGlite in ${dir}`,
    queryCount: () => logger.count,
    rows: async (query, executor = db) => rowsOf(await executor.execute(query)),
    session: async () => ({
      query: async (text, params = []) => (await client.query(text, params)).rows as never[],
      release: async () => {},
    }),
    pipelinedTransaction: (work) => db.transaction((tx) => work(tx, (writes) => writes())),
    close: () => client.close(),
  };
}
