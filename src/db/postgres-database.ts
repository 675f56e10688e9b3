import type { Logger } from "drizzle-orm/logger";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lookUpArrayTypes, giveArrayTypes } from "./array-types.js";
import type { CommitWith, Database, Db, Tx } from "./client.js";
import { StatementAfterCommit } from "./errors.js";
import { type PinnedConnection, PinnedConnections } from "./pinned-connections.js";
import { PostgresPool } from "./postgres-pool.js";
import { socketFactory } from "./postgres-socket.js";
import { withUnsafe } from "./unsafe-proxy.js";
import * as schema from "./schema.js";

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

/**
 * The postgres.js client as drizzle sees it, with every statement a named
 * prepared statement. Drizzle sends its statements unnamed, and postgres.js
 * describes an unnamed statement with parameters in a round trip of its own
 * before running it: two round trips per statement. Named ones are described
 * once per connection and then take one.
 */
function preparedStatements(client: postgres.Sql): postgres.Sql {
  return withUnsafe(client, (text, params, options) => client.unsafe(text, params as never[], { ...options, prepare: true }));
}

/**
 * Seconds before a pooled connection tries again after its last attempt
 * failed, by failures in a row across the pool. postgres.js's own grows to
 * 10-20 s after a few dozen failures (an outage under load gets there in a
 * second), and a statement waits that long for its connection even once the
 * database is back. Capped at half a second: attempts follow statements, so a
 * database that is down sees at most one per statement, and each fails at once.
 */
function reconnectBackoff(failures: number): number {
  return Math.min(0.01 * 2 ** failures, 0.5) * (0.5 + Math.random() / 2);
}

/** How long opening a connection may take (postgres.js's connect_timeout covers only what follows). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresDatabaseOptions {
  url: string;
  /** Connections for single statements; as many again may be held by transactions and sessions. */
  poolSize: number;
  preparedStatements?: boolean;
  logger: Logger & { count: number };
  /** Hears when connections were lost and fresh ones are used. */
  log?: (msg: string) => void;
}

/**
 * PostgreSQL through postgres.js: single statements on a pool (postgres-pool.ts),
 * transactions and sessions on connections of their own (pinned-connections.ts).
 * Whatever the database does (restart, failover, a killed backend), a
 * statement fails with a connection error rather than the process, and the
 * next ones use connections opened afresh.
 */
export async function openPostgresDatabase(opts: PostgresDatabaseOptions): Promise<Database> {
  const base = {
    onnotice: () => {},
    connection: { application_name: "stock-service" },
    prepare: opts.preparedStatements ?? true,
    backoff: reconnectBackoff,
  };
  // Drizzle swaps some of a client's element parsers and serializers (dates,
  // json) for its own; an array's are built on the element's, so the lookup's
  // client gets them too.
  const lookup = connectPostgres(opts.url, { ...base, max: 1 });
  drizzlePostgres({ client: lookup });
  const arrayTypes = await lookUpArrayTypes(lookup);
  const prepared = (client: postgres.Sql) => (opts.preparedStatements === false ? client : preparedStatements(client));

  const pool = new PostgresPool<Db>({
    connect: (mayConnect) =>
      connectPostgres(opts.url, { ...base, max: opts.poolSize, fetch_types: false, socket: socketFactory(mayConnect, CONNECT_TIMEOUT_MS) } as never),
    build: (client) => drizzlePostgres({ client: prepared(client), schema, casing: "snake_case", logger: opts.logger }) as unknown as Db,
    arrayTypes,
    log: opts.log,
  });
  const pinned = new PinnedConnections({
    max: opts.poolSize,
    connect: () => {
      let opened = false;
      let closed!: () => void;
      const sql = connectPostgres(opts.url, {
        ...base,
        max: 1,
        fetch_types: false,
        // Held for as long as a transaction or session needs it; never ended under it.
        max_lifetime: null,
        onclose: () => closed(),
        // Opened once: see PinnedConnection.
        socket: socketFactory(() => !opened && (opened = true), CONNECT_TIMEOUT_MS),
      } as never);
      drizzlePostgres({ client: sql }); // its parsers, as on every client (sessions use it without drizzle)
      giveArrayTypes(sql, arrayTypes);
      return { sql, closed: new Promise<void>((resolve) => (closed = resolve)) };
    },
    onLost: (err) => pool.connectionLost(err),
  });

  // Drizzle on each pinned connection, built once per connection rather than per transaction.
  const transactionDbs = new WeakMap<PinnedConnection, Tx>();
  const db = pool.db;
  const u = new URL(opts.url);
  return {
    db,
    kind: "postgres",
    description: `PostgreSQL ${u.searchParams.get("host") ?? u.hostname}:${u.port || 5432}${u.pathname}`,
    queryCount: () => opts.logger.count,
    // postgres.js returns the rows themselves.
    rows: async (query, executor = db) => (await executor.execute(query)) as never,
    session: async () => {
      const connection = await pinned.take();
      return {
        query: async (text, params = []) => (await connection.statement(text, params)) as never,
        release: async () => pinned.give(connection),
      };
    },
    pipelinedTransaction: async (work) => {
      const connection = await pinned.take();
      const begun = connection.statement("begin");
      begun.catch(() => {}); // a failed BEGIN fails what follows it too
      /** The transaction's end is on its way (COMMIT, or ROLLBACK if its last writes failed before it went). */
      let ending = false;
      // Statements run in the order they are issued on the connection.
      let tx = transactionDbs.get(connection);
      if (!tx) {
        tx = drizzlePostgres({ client: prepared(connection.client), casing: "snake_case", logger: opts.logger }) as unknown as Tx;
        transactionDbs.set(connection, tx);
      }
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
        // A ROLLBACK that fails otherwise leaves the connection's state unknown.
        if (!ending) await connection.statement("rollback").catch((e: unknown) => connection.discard(e));
        throw err;
      } finally {
        pinned.give(connection);
      }
    },
    close: async () => {
      await pinned.end();
      await pool.end();
    },
  };
}
