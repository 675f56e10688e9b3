// A reserved connection whose backend goes away (pg_terminate_backend: what a
// fast shutdown or a failover does to every connection) must fail what runs on
// it with a connection error, never take the process down, never hang, and
// leave the pool usable. Before the fix each of these killed the test worker
// (postgres.js writing to a null socket from a setImmediate) or hung.
import { connect, createServer, type Server, type Socket } from "node:net";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, type Tx } from "../../src/db/client.js";
import { isConnectionError } from "../../src/db/errors.js";
import { createTestDatabase, hasRealPostgres, type TestDatabase } from "../support/databases.js";

describe.skipIf(!hasRealPostgres())("a reserved connection whose backend went away", () => {
  let tdb: TestDatabase;
  let database: Database;
  let admin: postgres.Sql;
  beforeAll(async () => {
    tdb = await createTestDatabase("lostconn");
    // Two connections: the pool must hand the closed one out again for the tests to mean anything.
    database = await openDatabase({ url: tdb.url, dataDir: "unused", poolSize: 2 });
    await database.rows(sql`create table t (id int primary key)`);
    admin = postgres(tdb.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await admin?.end();
    await database?.close();
    await tdb?.drop();
  });

  const pidOf = async (tx: Tx) => (await database.rows<{ pid: number }>(sql`select pg_backend_pid() as pid`, tx))[0]!.pid;
  /** Terminates the backend and waits until the client has seen its connection close. */
  const terminate = async (pid: number) => {
    await admin`select pg_terminate_backend(${pid})`;
    while ((await admin`select 1 from pg_stat_activity where pid = ${pid}`).length > 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
  };
  const ids = async () => (await database.rows<{ id: number }>(sql`select id from t order by id`)).map((r) => r.id);
  /** The pool still serves, on every connection: as many statements at once as it has connections, twice. */
  const poolServes = async () => {
    for (let i = 0; i < 2; i++) {
      const rows = await Promise.all([1, 2, 3].map((n) => database.rows<{ n: number }>(sql`select ${n}::int as n, pg_sleep(0.05)`)));
      expect(rows.map((r) => r[0]!.n)).toEqual([1, 2, 3]);
    }
  };

  it("a statement issued after the connection closed while idle fails with a connection error; nothing of the transaction stays", async () => {
    const failure = await database
      .pipelinedTransaction(async (tx) => {
        await tx.execute(sql`insert into t (id) values (1)`);
        await terminate(await pidOf(tx));
        await tx.execute(sql`insert into t (id) values (2)`);
      })
      .catch((err: unknown) => err);
    expect(isConnectionError(failure)).toBe(true);
    await poolServes();
    expect(await ids()).toEqual([]);
  });

  it("statements in flight and queued behind them settle with a connection error, and the queued ones never run", async () => {
    const failure = await database
      .pipelinedTransaction(async (tx) => {
        const pid = await pidOf(tx);
        // A new statement with parameters is described first: the ones after it wait in the driver.
        const inFlight = [
          tx.execute(sql`select pg_sleep(${0.5}::float8)`),
          tx.execute(sql`insert into t (id) values (${100})`),
          tx.execute(sql`insert into t (id) values (${101})`),
        ];
        setTimeout(() => void admin`select pg_terminate_backend(${pid})`.execute(), 100);
        await Promise.all(inFlight);
      })
      .catch((err: unknown) => err);
    expect(isConnectionError(failure)).toBe(true);
    await poolServes();
    // Not sent on a new connection outside their transaction either.
    await new Promise((r) => setTimeout(r, 500));
    expect(await ids()).toEqual([]);
  });

  it("commitWith on a lost connection refuses its writes and the COMMIT it would send from an immediate", async () => {
    const failure = await database
      .pipelinedTransaction(async (tx, commitWith) => {
        await tx.execute(sql`insert into t (id) values (3)`);
        await terminate(await pidOf(tx));
        return commitWith(() => Promise.all([tx.execute(sql`insert into t (id) values (4)`)]));
      })
      .catch((err: unknown) => err);
    expect(isConnectionError(failure)).toBe(true);
    await poolServes();
    expect(await ids()).toEqual([]);
  });

  it("a session whose connection closed refuses queries; releasing it leaves the pool working", async () => {
    const session = await database.session();
    const [row] = await session.query<{ pid: number }>("select pg_backend_pid() as pid");
    await terminate(row!.pid);
    const failure = await session.query("select 1").catch((err: unknown) => err);
    expect(isConnectionError(failure)).toBe(true);
    await session.release();
    await poolServes();
    const next = await database.session();
    expect(await next.query("select 1 as one")).toEqual([{ one: 1 }]);
    await next.release();
  });

  it("transactions after the losses commit as before", async () => {
    await database.pipelinedTransaction(async (tx, commitWith) => {
      await tx.execute(sql`insert into t (id) values (10)`);
      return commitWith(() => Promise.all([tx.execute(sql`insert into t (id) values (11)`)]));
    });
    expect(await ids()).toEqual([10, 11]);
  });
});

/**
 * A TCP proxy to PostgreSQL that, once armed, cuts any connection sending
 * postgres.js's array-type lookup: what a database going away during that
 * query (on every new connection, unawaited by the driver) looks like.
 */
async function lookupCuttingProxy(url: string): Promise<{ url: string; arm(): void; cuts(): number; close(): Promise<void> }> {
  const target = new URL(url);
  let armed = false;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      if (armed && chunk.includes("typarray")) {
        cuts++;
        client.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxied = new URL(url);
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    arm: () => (armed = true),
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.skipIf(!hasRealPostgres())("a connection lost while postgres.js would look up array types", () => {
  it("never happens on the pool's connections: they get the types looked up once, and arrays still work", async () => {
    const tdb = await createTestDatabase("arraytypes");
    const proxy = await lookupCuttingProxy(tdb.url);
    const database = await openDatabase({ url: proxy.url, dataDir: "unused", poolSize: 3 });
    try {
      // Every connection opened from here on would be cut during the lookup, were there one.
      proxy.arm();
      const reads = await Promise.all(
        [[1], [1, 2], [1, 2, 3]].map((xs) => database.rows<{ n: number }>(sql`select cardinality(${sql.param(xs)}::int[]) as n, pg_sleep(0.05)`)),
      );
      expect(reads.map((r) => r[0]!.n)).toEqual([1, 2, 3]);
      const written = await Promise.all(
        [["a"], ["b", "c"]].map((xs) =>
          database.pipelinedTransaction(async (tx) => (await database.rows<{ n: number }>(sql`select cardinality(${sql.param(xs)}::text[]) as n`, tx))[0]!.n),
        ),
      );
      expect(written).toEqual([1, 2]);
      const session = await database.session();
      expect(await session.query("select cardinality($1::int[]) as n", [[4, 5, 6, 7]])).toEqual([{ n: 4 }]);
      await session.release();
      expect(proxy.cuts()).toBe(0);
    } finally {
      await database.close();
      await proxy.close();
      await tdb.drop();
    }
  });
});
