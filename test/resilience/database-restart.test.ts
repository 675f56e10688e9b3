// PostgreSQL restarted under the service (a minor upgrade, a restart for a
// setting, a managed database's failover): the service process must stay up,
// serve again as soon as the database does, lose nothing it acknowledged, and
// deliver every committed movement to every subscriber once. The cluster is
// this file's own (the other files' one is never restarted), restarted with
// pg_ctl as the postgres user; the services run as processes of their own so
// that a crash shows as an exit.
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/client.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { startPrivateRedis, type PrivateRedis } from "../support/private-redis.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../support/process.js";
import { missingFromLedger, servesAgain, startReserveLoad } from "../support/reserve-load.js";
import { type PostgresServer, startPostgresServer } from "../support/servers.js";
import { uniqueSku } from "../support/service.js";
import { type Collected, collect, settle, wsClient } from "../support/ws-client.js";
import { hasRealPostgres, hasRealRedis } from "../support/databases.js";

const CHANGES = `subscription($skus:[String!],$after:String){ stockChanged(skus:$skus, after:$after){
  sequence movement{ type version orderId } } }`;

/** How long the service may take to serve again once the database does. */
const BACK_WITHIN_MS = 10_000;

describe.skipIf(!hasRealPostgres() || !hasRealRedis())("PostgreSQL restarted under the service", () => {
  const cleanups: Array<() => Promise<void>> = [];
  let pg: PostgresServer;
  let redis: PrivateRedis;
  let database: Database;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    pg = await startPostgresServer(cleanups);
    redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    // Migrated by the first service; the test reads the ledger through its own pool.
    database = await openDatabase({ url: pg.url, dataDir: "unused", poolSize: 2 });
    cleanups.push(() => database.close());
  });
  // Every test runs its own instances: one left running would lead the relay for the next.
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  const waitFor = async (what: string, done: () => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${services.map((s) => s.output().slice(-2000)).join("\n---\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const spawn = async (env: Record<string, string> = {}) => {
    const s = await spawnService({ DATABASE_URL: pg.url, EXPIRY_SWEEP_MS: "300", ...env });
    services.push(s);
    return s;
  };

  /** Fails with the process's log if it has exited. */
  const alive = (s: ServiceProcess) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) {
      throw new Error(`service ${s.pid} exited (${s.child.exitCode ?? s.child.signalCode}):\n${s.output().slice(-4000)}`);
    }
  };

  /** Resolves once the service serves reserves again. */
  const servedAgain = async (s: ServiceProcess, sku: string) => {
    await servesAgain({ url: s.url, key: TEST_ADMIN_KEY, sku, withinMs: BACK_WITHIN_MS, alive: () => alive(s) }).catch((err: Error) => {
      throw new Error(`${err.message}\n${s.output().slice(-6000)}`);
    });
  };

  const createProduct = async (s: ServiceProcess, sku: string) => {
    const r = await s.gql(`mutation($i:CreateProductInput!){ createProduct(input:$i){ errors{ code } } }`, {
      i: { sku, name: sku, initialStock: 1_000_000 },
    });
    expect(r.data?.createProduct.errors).toEqual([]);
    const [m] = await database.rows<{ id: string }>(sql`select m.id::text from stock_movements m join products p on p.id = m.product_id where p.sku = ${sku}`);
    return m!.id; // its RECEIVE: subscribers resume after it
  };

  /** The movements of `sku` after its first, as the ledger has them. */
  const ledgerOf = async (sku: string) =>
    database.rows<{ id: string; version: number }>(
      sql`select m.id::text, m.version from stock_movements m join products p on p.id = m.product_id where p.sku = ${sku} and m.version > 1 order by m.id`,
    );

  /** Every subscriber got every committed movement of `sku` once (after dropping repeats by sequence), in version order. */
  const everyoneGotEverything = async (subs: Collected<any>[], sku: string) => {
    const ledger = await ledgerOf(sku);
    for (const sub of subs) {
      await sub.until((items) => new Set(items.map((i) => i.stockChanged.sequence)).size >= ledger.length, 30_000).catch((err: Error) => {
        throw new Error(`${err.message} of ${ledger.length}:\n${services.map((s) => s.output().slice(-6000)).join("\n---\n")}`);
      });
      await settle(300);
      expect(sub.errors).toEqual([]);
      const seen = new Map<string, number>();
      for (const i of sub.items) seen.set(i.stockChanged.sequence, i.stockChanged.movement.version);
      expect([...seen.keys()]).toEqual(ledger.map((m) => m.id));
      expect([...seen.values()]).toEqual(ledger.map((m) => m.version));
    }
  };

  const invariantsHold = async () => expect(await checkInvariants(database)).toEqual(CLEAN);

  it("one instance under load, restarted with -m fast and -m immediate: it stays up, serves again, loses nothing acknowledged", async () => {
    const a = await spawn();
    const sku = uniqueSku("ONE");
    const after = await createProduct(a, sku);
    const client = wsClient(a.url, TEST_ADMIN_KEY);
    const sub = collect(client, CHANGES, { skus: [sku], after });
    await settle(300);
    const load = startReserveLoad({ urls: [a.url], key: TEST_ADMIN_KEY, sku, prefix: sku, concurrency: 8 });
    try {
      for (const mode of ["fast", "immediate", "fast", "immediate"] as const) {
        await load.more(50);
        await pg.restart(mode);
        await servedAgain(a, sku);
        alive(a);
      }
      await load.more(50);
    } finally {
      await load.stop();
    }
    expect(load.unexpected).toEqual([]);
    expect(load.unavailable).toBeGreaterThan(0); // the restarts did meet requests
    expect(await missingFromLedger(pg.url, load.acknowledged)).toEqual([]);
    await invariantsHold();
    await everyoneGotEverything([sub], sku);
    sub.stop();
    await client.dispose();
    alive(a);
  });

  it("two instances with Redis and subscribers on both, restarted with -m fast and -m immediate", async () => {
    const env = { REDIS_URL: redis.url };
    const a = await spawn(env);
    const b = await spawn(env);
    const sku = uniqueSku("TWO");
    const after = await createProduct(a, sku);
    const clients = [wsClient(a.url, TEST_ADMIN_KEY), wsClient(b.url, TEST_ADMIN_KEY)];
    const subs = clients.flatMap((c) => [collect(c, CHANGES, { skus: [sku], after }), collect(c, CHANGES, { skus: [sku], after })]);
    await settle(300);
    const load = startReserveLoad({ urls: [a.url, b.url], key: TEST_ADMIN_KEY, sku, prefix: sku, concurrency: 8 });
    try {
      for (const mode of ["immediate", "fast"] as const) {
        await load.more(50);
        await pg.restart(mode);
        await Promise.all([servedAgain(a, sku), servedAgain(b, sku)]);
      }
      await load.more(50);
    } finally {
      await load.stop();
    }
    expect(load.unexpected).toEqual([]);
    expect(await missingFromLedger(pg.url, load.acknowledged)).toEqual([]);
    await invariantsHold();
    await everyoneGotEverything(subs, sku);
    subs.forEach((s) => s.stop());
    await Promise.all(clients.map((c) => c.dispose()));
    alive(a);
    alive(b);
    // The first leader's lock went with the first restart: someone led again (once or more,
    // as a restart may come before or after the election that follows the one before).
    expect((a.output() + b.output()).match(/relay: leading/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it("a restart while a coalesced batch is between its first statements and its COMMIT", async () => {
    const a = await spawn();
    const sku = uniqueSku("BATCH");
    const after = await createProduct(a, sku);
    const client = wsClient(a.url, TEST_ADMIN_KEY);
    const sub = collect(client, CHANGES, { skus: [sku], after });
    await settle(300);
    // The test holds the level's row lock: a batch claims its orders, then waits for the lock in its UPDATE.
    const locker = postgres(pg.url, { max: 1, onnotice: () => {} });
    let unlock!: () => void;
    const held = locker
      .begin(async (tx) => {
        await tx`select l.id from stock_levels l join products p on p.id = l.product_id where p.sku = ${sku} for update of l`;
        await new Promise<void>((r) => (unlock = r));
      })
      .catch(() => {}); // the restart ends it
    await waitFor("the test to hold the lock", () => unlock !== undefined);
    const orders = [1, 2, 3, 4].map((n) => `${sku}-${n}`);
    const reserve = (orderId: string) =>
      a.gql(`mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ orderId } } }`, { i: { orderId, items: [{ sku, quantity: 1 }] } });
    const answers = Promise.all(orders.map(reserve));
    const waitingForTheLock = async () =>
      Number(
        (
          await database.rows<{ n: string }>(
            sql`select count(*) as n from pg_stat_activity where application_name = 'stock-service' and wait_event_type = 'Lock' and query like '%stock_levels%'`,
          )
        )[0]!.n,
      );
    for (let n = 0; (await waitingForTheLock()) === 0; n++) {
      if (n > 300) throw new Error(`no batch waits for the level's lock:\n${a.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await pg.restart("fast");
    await held;
    await locker.end({ timeout: 1 });
    const results = await answers;
    alive(a);
    // Each is either reserved (the batch failed as a whole, then each ran alone) or told to retry.
    for (const r of results) {
      if (!r.data?.reserveStock?.reservation) expect({ status: r.status, code: r.errors?.[0]?.extensions?.code }).toEqual({ status: 503, code: "SERVICE_UNAVAILABLE" });
    }
    await servedAgain(a, sku);
    // Retried with the same orderIds, every one of them is reserved exactly once.
    const retried = await Promise.all(orders.map(reserve));
    expect(retried.map((r) => r.data?.reserveStock?.reservation?.orderId)).toEqual(orders);
    expect(await missingFromLedger(pg.url, orders)).toEqual([]);
    await invariantsHold();
    await everyoneGotEverything([sub], sku);
    sub.stop();
    await client.dispose();
  });

  it("a restart while the relay is publishing: subscribers on both instances still get every movement once", async () => {
    const sku = uniqueSku("RELAY");
    const ownRedis = await startPrivateRedis();
    cleanups.push(() => ownRedis.stop());
    const env = { REDIS_URL: ownRedis.url };
    // A starts first and leads the relay.
    const a = await spawn({ ...env, LOG_LEVEL: "debug" });
    await settle(500);
    const b = await spawn(env);
    const after = await createProduct(a, sku);
    const clients = [wsClient(a.url, TEST_ADMIN_KEY), wsClient(b.url, TEST_ADMIN_KEY)];
    const subs = clients.map((c) => collect(c, CHANGES, { skus: [sku], after }));
    await settle(300);
    // Redis stops answering: the relay's publish of the next batch waits for it.
    ownRedis.pause();
    let resumed = false;
    try {
      const r = await a.gql(`mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ orderId } } }`, {
        i: { orderId: `${sku}-published`, items: [{ sku, quantity: 1 }] },
      });
      expect(r.data?.reserveStock?.reservation?.orderId).toBe(`${sku}-published`);
      const [m] = await database.rows<{ id: string }>(sql`select id::text from stock_movements where order_id = ${`${sku}-published`}`);
      await waitFor("the relay to publish the batch", () => new RegExp(`relay: batch \\(\\d+, \\d+\\] .*\\b${m!.id}\\b`).test(a.output()));
      await pg.restart("immediate");
      ownRedis.resume();
      resumed = true;
    } finally {
      if (!resumed) ownRedis.resume();
    }
    const load = startReserveLoad({ urls: [a.url, b.url], key: TEST_ADMIN_KEY, sku, prefix: sku, concurrency: 4 });
    try {
      await Promise.all([servedAgain(a, sku), servedAgain(b, sku)]);
      await load.more(40);
    } finally {
      await load.stop();
    }
    expect(load.unexpected).toEqual([]);
    expect(await missingFromLedger(pg.url, [...load.acknowledged, `${sku}-published`])).toEqual([]);
    await everyoneGotEverything(subs, sku);
    await invariantsHold();
    subs.forEach((s) => s.stop());
    await Promise.all(clients.map((c) => c.dispose()));
    alive(a);
    alive(b);
  });

  it("while the database is down: /readyz is 503, requests fail at once with 503 SERVICE_UNAVAILABLE and Retry-After, subscribers stay connected; then all is back", async () => {
    const a = await spawn();
    const sku = uniqueSku("DOWN");
    const after = await createProduct(a, sku);
    let closed: number | null = null;
    const client = wsClient(a.url, TEST_ADMIN_KEY, { onClose: (code) => (closed = code) });
    const sub = collect(client, CHANGES, { skus: [sku], after });
    await settle(300);
    const readyz = a.url.replace("/graphql", "/readyz");
    expect((await fetch(readyz)).status).toBe(200);

    await pg.stop("fast");
    try {
      // Past the API key cache too: the key lookup itself meets the outage.
      await settle(2500);
      const ready = await fetch(readyz, { signal: AbortSignal.timeout(5000) });
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "unavailable", checks: { database: false } });
      for (const query of [`{ products(first: 5) { nodes { sku } } }`, `{ checkStock(items: [{ sku: "${sku}", quantity: 1 }]) { available } }`]) {
        for (const key of [TEST_ADMIN_KEY, undefined]) {
          const res = await fetch(a.url, {
            method: "POST",
            headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
            body: JSON.stringify({ query }),
            signal: AbortSignal.timeout(5000),
          });
          expect(res.status).toBe(503);
          expect(res.headers.get("retry-after")).toBe("1");
          const body = (await res.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
          expect(body.errors.map((e) => e.extensions.code)).toEqual(["SERVICE_UNAVAILABLE"]);
          expect(body.errors[0]!.message).toContain("retry");
        }
      }
      // A WebSocket connecting now is told to come back later.
      let lateClose = 0;
      const late = wsClient(a.url, TEST_ADMIN_KEY, { onClose: (code) => (lateClose = code) });
      const lateSub = collect(late, CHANGES, { skus: [sku] });
      await waitFor("the new WebSocket to be closed", () => lateClose !== 0, 5000);
      expect(lateClose).toBe(1013);
      lateSub.stop();
      await late.dispose();
      alive(a);
    } finally {
      await pg.start();
    }
    await servedAgain(a, sku);
    expect((await fetch(readyz)).status).toBe(200);
    expect(closed).toBeNull();
    await everyoneGotEverything([sub], sku); // the probe reserves, committed after the database returned
    sub.stop();
    await client.dispose();
    alive(a);
  });
});
