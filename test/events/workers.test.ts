// WORKERS=2: one process, two instances of the service on one port
// (node:cluster). Both serve, together they keep every rule, a worker that
// dies is replaced, and SIGTERM stops them all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, hasRealPostgres, hasRealRedis, realRedisUrl, type TestDatabase } from "../support/databases.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../support/process.js";
import { isAlive } from "../support/servers.js";
import { uniqueSku } from "../support/service.js";
import { collect, settle, wsClient } from "../support/ws-client.js";

const workerPids = (out: string) => [...out.matchAll(/worker (\d+) started/g)].map((m) => Number(m[1]));

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(50);
  }
}

describe.skipIf(!hasRealPostgres() || !hasRealRedis())("WORKERS=2", () => {
  let db: TestDatabase;
  let s: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase("workers");
    s = await spawnService({ DATABASE_URL: db.url, REDIS_URL: realRedisUrl(), WORKERS: "2" });
    await until("two workers listening", () => (s.output().match(/listening on/g) ?? []).length >= 2);
  });
  afterAll(async () => {
    await s?.stop();
    await db?.drop();
  });

  it("refuses to run several workers on the embedded database", async () => {
    const r = spawnService({ WORKERS: "2", DATA_DIR: "/nonexistent" }, 10_000);
    await expect(r).rejects.toThrow(/WORKERS > 1 needs DATABASE_URL and REDIS_URL/);
  });

  it("both workers serve; 300 reserves of 120 units: exactly 120 win, and a subscriber gets each once", async () => {
    expect(workerPids(s.output())).toHaveLength(2);
    const sku = uniqueSku("WRK");
    const created = await s.gql(`mutation($i:CreateProductInput!){ createProduct(input:$i){ errors{ code } } }`, {
      i: { sku, name: sku, initialStock: 120 },
    });
    expect(created.data?.createProduct.errors).toEqual([]);
    const client = wsClient(s.url, TEST_ADMIN_KEY);
    const sub = collect(client, `subscription($skus:[String!]){ stockChanged(skus:$skus){ sequence movement{ version } } }`, { skus: [sku] });
    await settle(500);

    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        s.gql(`mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ id } errors{ code } } }`, {
          i: { orderId: `${sku}-${i}`, items: [{ sku, quantity: 1 }] },
        }),
      ),
    );
    const codes = results.map((r) => (r.data?.reserveStock.reservation ? "ok" : r.data?.reserveStock.errors[0]?.code));
    expect(codes.filter((c) => c === "ok")).toHaveLength(120);
    expect(codes.filter((c) => c === "INSUFFICIENT_STOCK")).toHaveLength(180);

    const items = await sub.until((got) => got.length >= 120);
    await settle(300);
    expect(items.map((i: any) => i.stockChanged.movement.version)).toEqual(Array.from({ length: 120 }, (_, k) => k + 2));
    sub.stop();
    await client.dispose();
  });

  it("a worker that exits is replaced, and the service keeps answering", async () => {
    const [first] = workerPids(s.output());
    // Gracefully, so it reports what it served (checked below).
    process.kill(first!, "SIGTERM");
    await until("a replacement worker", () => workerPids(s.output()).length >= 3);
    await until("the replacement listening", () => (s.output().match(/listening on/g) ?? []).length >= 3);
    for (let i = 0; i < 10; i++) {
      const r = await s.gql(`{ warehouses { code } }`);
      expect(r.status).toBe(200);
    }
  });

  it("SIGTERM stops every worker gracefully, then the primary; each worker had served reserves", async () => {
    const pids = workerPids(s.output());
    const { code } = await s.stop("SIGTERM");
    expect(code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    // Every worker reports its coalescer on the way out: the two first ones both
    // took some of the 300 reserves (the cluster spread them), the replacement none.
    const served = [...s.output().matchAll(/reserve coalescer: (\{.*\})/g)].map((m) => JSON.parse(m[1]!).requests as number);
    expect(served).toHaveLength(3);
    expect(served.filter((n) => n > 0)).toHaveLength(2);
    expect(served.reduce((a, b) => a + b, 0)).toBe(300);
  });
});
