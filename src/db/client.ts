import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { openPostgresDatabase } from "./postgres-database.js";
import * as schema from "./schema.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle: same query API as Db. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Executor = Db | Tx;

/**
 * A dedicated connection, for session state such as advisory locks and LISTEN.
 * If the connection is lost (and the session state with it), every query
 * fails with ConnectionLost from then on: release it and take a new one.
 */
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

export { StatementAfterCommit } from "./errors.js";
export { connectPostgres } from "./postgres-database.js";

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

export async function openDatabase(opts: {
  url?: string;
  dataDir: string;
  poolSize: number;
  preparedStatements?: boolean;
  /** Hears when PostgreSQL connections were lost and fresh ones are used. */
  log?: (msg: string) => void;
}): Promise<Database> {
  const logger = new CountingLogger();
  if (opts.url) {
    return openPostgresDatabase({ url: opts.url, poolSize: opts.poolSize, preparedStatements: opts.preparedStatements, logger, log: opts.log });
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
