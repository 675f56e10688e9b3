// Several instances, one PostgreSQL, one Redis: every committed change reaches
import { writeFileSync } from "node:fs";
// every subscriber on every instance once, in order per level, through crashes
// and Redis restarts (issue "Live stock over WebSockets through Redis").
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, hasRealPostgres, hasRealRedis, realRedisUrl, type TestDatabase } from "../support/databases.js";
import { startPrivateRedis } from "../support/private-redis.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../support/process.js";
import { uniqueSku } from "../support/service.js";
import { collect, settle, wsClient } from "../support/ws-client.js";

const CHANGES = `subscription($skus:[String!],$after:String){ stockChanged(skus:$skus, after:$after){
  sequence movement{ type version orderId sku } level{ available version } } }`;

async function createProduct(s: ServiceProcess, sku: string, initialStock: number) {
  const r = await s.gql(`mutation($i:CreateProductInput!){ createProduct(input:$i){ errors{ code message } } }`, {
    i: { sku, name: sku, initialStock },
  });
  expect(r.data?.createProduct.errors).toEqual([]);
}

function reserve(s: ServiceProcess, orderId: string, sku: string) {
  return s.gql(`mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ id } errors{ code } } }`, {
    i: { orderId, items: [{ sku, quantity: 1 }] },
  });
}

async function ledgerOf(url: string, sku: string) {
  const sql = postgres(url, { max: 1 });
  try {
    return await sql<{ id: string; version: number; type: string }[]>`
      select m.id::text, m.version, m.type from stock_movements m join products p on p.id = m.product_id
      where p.sku = ${sku} order by m.id`;
  } finally {
    await sql.end();
  }
}

const versionsOf = (items: any[]) => items.map((i) => i.stockChanged.movement.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.skipIf(!hasRealPostgres() || !hasRealRedis())("many instances through Redis", () => {
  let db: TestDatabase;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase("cluster");
    const env = { DATABASE_URL: db.url, REDIS_URL: realRedisUrl() };
    a = await spawnService({ ...env, LOG_LEVEL: "debug" });
    b = await spawnService(env);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it("300 concurrent reserves over two instances: each subscriber gets every committed movement once, versions contiguous, oversell 0", async () => {
    const sku = uniqueSku("HOT");
    await createProduct(a, sku, 150);
    const clientA = wsClient(a.url, TEST_ADMIN_KEY);
    const clientB = wsClient(b.url, TEST_ADMIN_KEY);
    const onA = collect(clientA, CHANGES, { skus: [sku] });
    const onB = collect(clientB, CHANGES, { skus: [sku] });
    await settle(500);
    const results = await Promise.all(range(1, 300).map((i) => reserve(i % 2 ? a : b, `${sku}-${i}`, sku)));
    const won = results.filter((r) => r.data?.reserveStock.reservation).length;
    const lost = results.filter((r) => r.data?.reserveStock.errors[0]?.code === "INSUFFICIENT_STOCK").length;
    expect([won, lost]).toEqual([150, 150]);

    const ledger = await ledgerOf(db.url, sku);
    expect(ledger.map((m) => m.version)).toEqual(range(1, 151));
    for (const sub of [onA, onB]) {
      await sub.until((items) => items.length >= 150, 20_000);
      await settle(300);
      expect(versionsOf(sub.items)).toEqual(range(2, 151));
      expect(sub.items.map((i) => i.stockChanged.sequence)).toEqual(ledger.slice(1).map((m) => m.id));
      expect(sub.items.at(-1).stockChanged.level.available).toBe(0);
    }
    onA.stop();
    onB.stop();
    await Promise.all([clientA.dispose(), clientB.dispose()]);
  });

  it("a late commit is not skipped: a movement with a lower sequence committing after a higher one reaches live and resuming subscribers", async () => {
    const early = uniqueSku("EARLY");
    const late = uniqueSku("LATE");
    await createProduct(a, early, 10);
    await createProduct(a, late, 10);
    const client = wsClient(b.url, TEST_ADMIN_KEY);
    const live = collect(client, CHANGES, { skus: [early, late] });
    await settle(500);
    const before = (await ledgerOf(db.url, late)).at(-1)!.id;

    // Transaction 1 takes its ledger id first and stays open, as a slow request would.
    const sql = postgres(db.url, { max: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let lateId = "";
    const t1 = sql.begin(async (tx) => {
      const [level] = await tx`
        update stock_levels l set reserved = reserved + 1, version = version + 1, updated_at = now()
        from products p where p.id = l.product_id and p.sku = ${late} and l.on_hand - l.reserved >= 1
        returning l.id, l.product_id, l.warehouse_id, l.on_hand, l.reserved, l.version`;
      await tx`insert into reservations (order_id, expires_at, actor) values (${late + "-late"}, now() + interval '1 hour', 'test')`;
      const [m] = await tx`
        insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, version, order_id, actor)
        values (${level!.id}, ${level!.product_id}, ${level!.warehouse_id}, 'RESERVE', 0, 1, ${level!.on_hand}, ${level!.reserved}, ${level!.version}, ${late + "-late"}, 'test')
        returning id::text`;
      lateId = m!.id;
      await tx`insert into reservation_lines (reservation_id, level_id, quantity)
        select r.id, ${level!.id}, 1 from reservations r where r.order_id = ${late + "-late"}`;
      await held;
    });
    await new Promise((r) => setTimeout(r, 300));
    // Transaction 2 takes a higher id and commits first.
    const r2 = await reserve(a, `${early}-2`, early);
    expect(r2.data?.reserveStock.reservation).not.toBeNull();
    const earlyId = (await ledgerOf(db.url, early)).at(-1)!.id;
    expect(BigInt(earlyId)).toBeGreaterThan(BigInt(lateId || "0"));

    // The higher id is held back while a lower one may still commit...
    await settle(1000);
    expect(live.items).toEqual([]);
    release();
    await t1;
    await sql.end();
    // ...and both arrive, lower first, once it has.
    await live.until((items) => items.length >= 2).catch((err) => {
      writeFileSync("/tmp/relay-a.log", a.output());
      throw new Error(`${err.message}\nlate ${lateId} early ${earlyId} got ${JSON.stringify(live.items)}`);
    });
    expect(live.items.map((i) => i.stockChanged.sequence)).toEqual([lateId, earlyId]);
    const resumed = collect(client, CHANGES, { skus: [early, late], after: before });
    await resumed.until((items) => items.length >= 2);
    expect(resumed.items.map((i) => i.stockChanged.sequence)).toEqual([lateId, earlyId]);
    live.stop();
    resumed.stop();
    await client.dispose();
  });

  it("closes WebSockets with 1001 and loses no acknowledged mutation on SIGTERM during load", async () => {
    const sku = uniqueSku("TERM");
    const c = await spawnService({ DATABASE_URL: db.url, REDIS_URL: realRedisUrl() });
    await createProduct(c, sku, 100_000);
    let closeCode = 0;
    const client = wsClient(c.url, TEST_ADMIN_KEY, { onClose: (code) => (closeCode = code) });
    const sub = collect(client, CHANGES, { skus: [sku] });
    await settle(300);
    const acknowledged: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop && i < 1000; i++) {
        const orderId = `${sku}-${w}-${i}`;
        try {
          const r = await reserve(c, orderId, sku);
          if (r.data?.reserveStock.reservation) acknowledged.push(orderId);
        } catch {
          return; // connection refused: the server has stopped accepting
        }
      }
    };
    const workers = Promise.all(range(1, 16).map(worker));
    while (acknowledged.length < 100) await new Promise((r) => setTimeout(r, 10));
    const exit = c.stop("SIGTERM");
    await workers;
    stop = true;
    const exited = await exit;
    if (exited.code !== 0) throw new Error(`exit ${exited.code}:\n${c.output().slice(-3000)}`);
    expect(closeCode).toBe(1001);
    const pg = postgres(db.url, { max: 1 });
    const rows = await pg<{ order_id: string }[]>`select order_id from reservations where order_id like ${sku + "-%"} and status = 'ACTIVE'`;
    await pg.end();
    const stored = new Set(rows.map((r) => r.order_id));
    expect(acknowledged.filter((o) => !stored.has(o))).toEqual([]);
    sub.stop();
    await client.dispose();
  });
});

describe.skipIf(!hasRealPostgres() || !hasRealRedis())("faults", () => {
  it("a change committed by an instance killed before publishing still arrives, through another instance's relay", async () => {
    const db = await createTestDatabase("fault");
    const redis = realRedisUrl();
    // A starts first and leads the relay; its relay stops right before publishing.
    const a = await spawnService({ DATABASE_URL: db.url, REDIS_URL: redis, STOCK_FAULT_HALT_RELAY_BEFORE_PUBLISH: "1" });
    await new Promise((r) => setTimeout(r, 500));
    const b = await spawnService({ DATABASE_URL: db.url, REDIS_URL: redis });
    try {
      expect(a.output()).toContain("relay: leading");
      expect(b.output()).not.toContain("relay: leading");
      const sku = uniqueSku("CRASH");
      const client = wsClient(b.url, TEST_ADMIN_KEY);
      const sub = collect(client, CHANGES); // every sku: this one does not exist yet
      await settle(300);
      await createProduct(a, sku, 5); // committed and acknowledged by A
      await settle(1500);
      expect(sub.items).toEqual([]); // A never published it
      await a.stop("SIGKILL");
      const [first] = await sub.until((items) => items.length >= 1, 15_000);
      expect(first.stockChanged.movement).toMatchObject({ type: "RECEIVE", version: 1, sku });
      expect(b.output()).toContain("relay: leading");
      sub.stop();
      await client.dispose();
    } finally {
      await a.stop("SIGKILL");
      await b.stop();
      await db.drop();
    }
  });

  it("Redis restarted mid-stream: subscribers on every instance still get every event, once, in order", async () => {
    const db = await createTestDatabase("redisfault");
    const redis = await startPrivateRedis();
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url };
    const a = await spawnService(env);
    const b = await spawnService(env);
    try {
      const sku = uniqueSku("RR");
      await createProduct(a, sku, 1000);
      const clients = [wsClient(a.url, TEST_ADMIN_KEY), wsClient(b.url, TEST_ADMIN_KEY)];
      const subs = clients.map((c) => collect(c, CHANGES, { skus: [sku] }));
      await settle(500);
      const writer = (async () => {
        const ok: boolean[] = [];
        for (let i = 0; i < 120; i++) {
          const r = await reserve(i % 2 ? a : b, `${sku}-${i}`, sku);
          ok.push(Boolean(r.data?.reserveStock.reservation));
          await new Promise((r) => setTimeout(r, 15));
        }
        return ok;
      })();
      await new Promise((r) => setTimeout(r, 600));
      await redis.restart(700);
      const outcomes = await writer;
      expect(outcomes.filter((o) => !o)).toEqual([]);
      for (const sub of subs) {
        await sub.until((items) => items.length >= 120, 20_000);
        await settle(300);
        expect(versionsOf(sub.items)).toEqual(range(2, 121));
      }
      subs.forEach((s) => s.stop());
      await Promise.all(clients.map((c) => c.dispose()));
      // Both instances report Redis healthy again.
      for (const s of [a, b]) {
        const ready = await fetch(s.url.replace("/graphql", "/readyz")).then((r) => r.json());
        expect(ready).toMatchObject({ status: "ready", checks: { database: true, redis: true } });
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
      await db.drop();
    }
  });
});

