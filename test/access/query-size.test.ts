// What one query may make the server do: every list counts in its estimated
// cost, going round a cycle of types is refused, and what gets past those
// is stopped once its answer grows too big or it runs too long, while the
// process keeps answering others.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { hasRealPostgres } from "../support/databases.js";
import { startTestService, type TestService, uniqueSku } from "../support/service.js";

const backend = hasRealPostgres() ? "postgres" : "pglite";
const WAREHOUSES = 10;
const PRODUCTS = 50;

async function post(svc: TestService, query: string, variables: Record<string, unknown> = {}, key: string | null = null) {
  const res = await fetch(svc.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, bytes: text.length, ...(JSON.parse(text) as { data?: any; errors?: any[] }) };
}

/** Runs `fields` as aliased mutations, at most 15 (the root-field limit) per request. */
async function inBatches(svc: TestService, fields: string[]) {
  for (let i = 0; i < fields.length; i += 15) {
    const r = await svc.gql(`mutation { ${fields.slice(i, i + 15).map((f, j) => `m${j}: ${f}`).join(" ")} }`);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    for (const v of Object.values(r.data as Record<string, { errors: unknown[] }>)) expect(v.errors).toEqual([]);
  }
}

describe(`query cost, cycles and answer size (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, { maxResponseBytes: 20_000 });
    // The shape of the attack: 10 warehouses, 50 products stocked in each.
    const codes = Array.from({ length: WAREHOUSES - 1 }, (_, i) => `W${i + 1}`);
    await inBatches(svc, codes.map((c) => `createWarehouse(input: { code: "${c}", name: "${c}" }) { errors { code } }`));
    const skus = Array.from({ length: PRODUCTS }, () => uniqueSku("SIZE"));
    await inBatches(svc, skus.map((s) => `createProduct(input: { sku: "${s}", name: "${s}", initialStock: 5 }) { errors { code } }`));
    await inBatches(svc, skus.flatMap((s) => codes.map((c) => `receiveStock(input: { sku: "${s}", warehouse: "${c}", quantity: 5 }) { errors { code } }`)));
  }, 120_000);

  afterAll(async () => {
    await svc?.close();
  });

  it("refuses the product → levels → product cycle of the attack, twice aliased, before running it", async () => {
    const cycle = `products(first: 50) { nodes { levels { product { levels { product { levels { product { sku } } } } } } } }`;
    const r = await post(svc, `{ a: ${cycle} b: ${cycle} }`);
    expect(r.status, JSON.stringify(r)).toBe(400);
    expect(r.data).toBeUndefined();
    expect(r.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxTypeRepeats", max: 2 });
    expect(r.errors![0].message).toMatch(/Product appears 3 times along a\.nodes\.levels\.product\.levels\.product/);

    // Once round the cycle is what a client needs, and is served.
    const once = await post(svc, `{ products(first: 2) { nodes { levels { product { sku } } } } }`);
    expect(once.errors).toBeUndefined();
    expect(once.data.products.nodes[0].levels).toHaveLength(WAREHOUSES);
  });

  it("counts every list in the cost, not only pages with `first`", async () => {
    // No cycle past the limit, but ten levels per product, each with ten levels of its product: 500 × 10 × 10.
    const r = await post(svc, `{ products(first: 500) { nodes { levels { warehouse { code } product { levels { id onHand reserved } } } } } }`);
    expect(r.status, JSON.stringify(r).slice(0, 300)).toBe(400);
    expect(r.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxComplexity" });
    expect(r.errors![0].message).toMatch(/estimated cost is 171001;/);
  });

  it("stops a query whose answer grows past the limit, with one clear error, and keeps serving", async () => {
    const big = await post(svc, `{ products(first: 50) { nodes { sku name levels { id onHand reserved available warehouse { code name } } } } }`);
    expect(big.status, JSON.stringify(big).slice(0, 300)).toBe(400);
    expect(big.data).toBeUndefined();
    expect(big.errors).toHaveLength(1);
    expect(big.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxResponseBytes", max: 20_000 });
    expect(big.errors![0].extensions.requestId).toMatch(/\S/);
    expect(big.bytes).toBeLessThan(1000);

    expect((await fetch(new URL("/healthz", svc.url))).status).toBe(200);
    const small = await post(svc, `{ products(first: 5) { nodes { sku } } }`);
    expect(small.errors).toBeUndefined();
    expect(small.data.products.nodes).toHaveLength(5);
  });

  it("stops an oversized subscription event over WebSocket the same way, and the subscription goes on", async () => {
    const { wsClient, collect, settle } = await import("../support/ws-client.js");
    const client = wsClient(svc.url, svc.adminKey);
    const sku = uniqueSku("SIZE-SUB");
    await svc.gql(`mutation { createProduct(input: { sku: "${sku}", name: "${"n".repeat(200)}" }) { errors { code } } }`);
    await inBatches(svc, Array.from({ length: WAREHOUSES - 1 }, (_, i) => `receiveStock(input: { sku: "${sku}", warehouse: "W${i + 1}", quantity: 1 }) { errors { code } }`));
    // 30 aliases of a 200-character name, for each of the product's ten levels: 60,000 bytes an event.
    const names = Array.from({ length: 30 }, (_, i) => `n${i}: name`).join(" ");
    const events = collect(client, `subscription($s: [String!]) { stockChanged(skus: $s) { sequence level { product { levels { product { ${names} } } } } } }`, {
      s: [sku],
    });
    const small = collect(client, `subscription($s: [String!]) { stockChanged(skus: $s) { sequence } }`, { s: [sku] });
    try {
      await settle();
      await svc.gql(`mutation { receiveStock(input: { sku: "${sku}", quantity: 1 }) { errors { code } } }`);
      await small.until((items) => items.length === 1);
      const deadline = Date.now() + 10_000;
      while (events.errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(events.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", limit: "maxResponseBytes" } });
      expect(events.items).toHaveLength(0);
      expect(events.completed).toBe(false);
    } finally {
      events.stop();
      small.stop();
      await client.dispose();
    }
  });
});

describe.skipIf(!hasRealPostgres())("execution time", () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService("postgres", { maxExecutionMs: 200 });
    await svc.gql(`mutation { createProduct(input: { sku: "${uniqueSku("SLOW")}", name: "slow", initialStock: 1 }) { errors { code } } }`);
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("stops a query that runs past the limit with one clear error, and /healthz answers while it runs", async () => {
    // The levels table locked by someone else: the query's levels wait on it.
    const sql = postgres(svc.config.databaseUrl!, { max: 2, onnotice: () => {} });
    try {
      let settled = false;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const locking = sql.begin(async (tx) => {
        await tx`lock table stock_levels in access exclusive mode`;
        locked();
        await released;
      });
      // Heard even if the test fails before it awaits the lock's end.
      locking.catch(() => {});
      try {
        // The lock is held before the query is sent, or the query could finish first.
        await isLocked;
        const started = Date.now();
        const query = post(svc, `{ products(first: 5) { nodes { sku levels { onHand } } } }`).finally(() => (settled = true));
        // Wait until the query waits on the lock (not counting the lock's own statement), and past its limit.
        for (;;) {
          const [row] = await sql`
            select count(*)::int as n from pg_stat_activity
            where wait_event_type = 'Lock' and query ilike '%stock_levels%' and query not ilike 'lock table%'`;
          if (row!.n > 0 && Date.now() - started > 400) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const health = await fetch(new URL("/healthz", svc.url));
        expect(health.status).toBe(200);
        expect(settled, "the query is still running").toBe(false);
        release();
        await locking;
        const r = await query;
        expect(r.status, JSON.stringify(r)).toBe(400);
        expect(r.data).toBeUndefined();
        expect(r.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxExecutionMs", max: 200 });
      } finally {
        release();
        await locking.catch(() => {});
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});

describe(`a stopped answer whose items are still loading (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, { maxResponseBytes: 3_000 });
    await inBatches(svc, ["A", "B", "C"].map((c) => `createWarehouse(input: { code: "${c}", name: "${c}" }) { errors { code } }`));
    const skus = Array.from({ length: 20 }, () => uniqueSku("STOP"));
    await inBatches(svc, skus.map((s) => `createProduct(input: { sku: "${s}", name: "${s}", initialStock: 5 }) { errors { code } }`));
    await inBatches(svc, skus.flatMap((s) => ["A", "B", "C"].map((c) => `receiveStock(input: { sku: "${s}", warehouse: "${c}", quantity: 5 }) { errors { code } }`)));
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it("leaves no promise rejected unheard (which would end the process), wherever in the list the stop falls", async () => {
    const unheard: unknown[] = [];
    const listen = (reason: unknown) => unheard.push(reason);
    process.on("unhandledRejection", listen);
    try {
      // Moving the stop through the answer: inside a level, between products, at a warehouse or product still loading.
      for (let k = 0; k < 12; k++) {
        const aliases = Array.from({ length: k }, (_, i) => `s${i}: sku`).join(" ");
        const r = await post(svc, `{ products(first: 20) { nodes { ${aliases} levels { id onHand warehouse { code name } product { sku name } } } } }`);
        expect(r.errors![0].extensions).toMatchObject({ limit: "maxResponseBytes", max: 3_000 });
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(unheard).toEqual([]);
      expect((await post(svc, `{ products(first: 2) { nodes { sku } } }`)).errors).toBeUndefined();
    } finally {
      process.off("unhandledRejection", listen);
    }
  });
});
