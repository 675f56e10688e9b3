// transferChanged over graphql-ws: every change of a transfer (also those
// that move no stock: create, close, cancel) reaches its subscribers after
// commit, filtered by reference, resumable with `after`; on one instance
// (PGlite and PostgreSQL) and across instances through Redis.
import postgres from "postgres";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, hasRealPostgres, hasRealRedis, realRedisUrl, type TestDatabase } from "../support/databases.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../support/process.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { collect, settle, wsClient } from "../support/ws-client.js";

const CHANGED = `subscription($reference: String, $after: String) {
  transferChanged(reference: $reference, after: $after) {
    sequence reference kind status version reason actor at transfer { reference status version lines { sku received lost } } } }`;
const STOCK_CHANGED = `subscription($skus: [String!]) { stockChanged(skus: $skus) { movement { type warehouse onHandDelta transferReference } } }`;

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<{ data?: any; errors?: any[] }>;

/** The transfer operations as a client sends them; each must succeed. */
function operations(gql: Gql) {
  const run = async (field: string, query: string, input: Record<string, unknown>) => {
    const r = await gql(query, { input });
    expect(r.data?.[field]?.errors, JSON.stringify(r)).toEqual([]);
    return r.data![field];
  };
  return {
    createWarehouse: async (code: string) => {
      const r = await gql(`mutation($c: String!) { createWarehouse(input: { code: $c, name: "events" }) { errors { code } } }`, { c: code });
      expect(r.data?.createWarehouse.errors, JSON.stringify(r)).toEqual([]);
    },
    createProduct: async (sku: string, initialStock: number, warehouse: string) => {
      const r = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku, initialStock, warehouse } });
      expect(r.data?.createProduct.errors, JSON.stringify(r)).toEqual([]);
    },
    create: (input: Record<string, unknown>) =>
      run("createTransfer", `mutation($input: CreateTransferInput!) { createTransfer(input: $input) { errors { code message } } }`, input),
    ship: (reference: string) => run("shipTransfer", `mutation($input: TransferRefInput!) { shipTransfer(input: $input) { errors { code message } } }`, { reference }),
    receive: (reference: string, lines: { sku: string; quantity: number }[]) =>
      run("receiveTransfer", `mutation($input: ReceiveTransferInput!) { receiveTransfer(input: $input) { errors { code message } } }`, { reference, lines }),
    close: (reference: string, reason: string) =>
      run("closeTransfer", `mutation($input: TransferRefInput!) { closeTransfer(input: $input) { errors { code message } } }`, { reference, reason }),
    cancel: (reference: string) => run("cancelTransfer", `mutation($input: TransferRefInput!) { cancelTransfer(input: $input) { errors { code message } } }`, { reference }),
  };
}

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];

describe.each(backends)("transferChanged over graphql-ws (%s)", (backend) => {
  let t: TestService;
  let client: Client;
  let ops: ReturnType<typeof operations>;
  let from: string;
  let to: string;
  beforeAll(async () => {
    t = await startTestService(backend);
    client = wsClient(t.url, t.adminKey);
    ops = operations((q, v) => t.gql(q, v));
    [from, to] = [uniqueSku("EVA"), uniqueSku("EVB")];
    await ops.createWarehouse(from);
    await ops.createWarehouse(to);
  });
  afterAll(async () => {
    await client?.dispose();
    await t?.close();
  });

  it("delivers every change of the transfer named, those that move no stock included, in order", async () => {
    const sku = uniqueSku("EV");
    await ops.createProduct(sku, 10, from);
    const reference = uniqueSku("EVT");
    const other = uniqueSku("EVT");
    const mine = collect(client, CHANGED, { reference });
    await settle();

    await ops.create({ reference, from, to, lines: [{ sku, quantity: 4 }], reason: "restock" });
    await ops.create({ reference: other, from, to, lines: [{ sku, quantity: 1 }] });
    await ops.ship(reference);
    await ops.cancel(other);
    await ops.receive(reference, [{ sku, quantity: 3 }]);
    await ops.close(reference, "one lost");

    const items = (await mine.until((i) => i.length >= 4)).map((i) => i.transferChanged);
    await settle();
    expect(mine.errors).toEqual([]);
    expect(items.map((c) => [c.reference, c.kind, c.status, c.version, c.reason, c.actor])).toEqual([
      [reference, "CREATED", "DRAFT", 1, "restock", "admin"],
      [reference, "SHIPPED", "IN_TRANSIT", 2, null, "admin"],
      [reference, "RECEIPT", "PARTIALLY_RECEIVED", 3, null, "admin"],
      [reference, "CLOSED", "RECEIVED", 4, "one lost", "admin"],
    ]);
    const sequences = items.map((c) => Number(c.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(items.every((c) => Date.parse(c.at) > 0)).toBe(true);
    // The transfer as it is when delivered: by now, closed.
    expect(items.at(-1)!.transfer).toEqual({ reference, status: "RECEIVED", version: 4, lines: [{ sku, received: 3, lost: 1 }] });
    mine.stop();
  });

  it("resumes after a sequence: first what was missed, then live, without gap or repeat", async () => {
    const sku = uniqueSku("EV");
    await ops.createProduct(sku, 10, from);
    const reference = uniqueSku("EVT");
    const all = collect(client, CHANGED, {});
    await settle();
    await ops.create({ reference, from, to, lines: [{ sku, quantity: 2 }] });
    await ops.ship(reference);
    const seen = (await all.until((i) => i.filter((x) => x.transferChanged.reference === reference).length >= 2)).filter(
      (x) => x.transferChanged.reference === reference,
    );
    all.stop();
    const firstSequence = seen[0].transferChanged.sequence;

    await ops.receive(reference, [{ sku, quantity: 1 }]); // missed while away
    const resumed = collect(client, CHANGED, { reference, after: firstSequence });
    await resumed.until((i) => i.length >= 2);
    await ops.receive(reference, [{ sku, quantity: 1 }]); // live
    const items = (await resumed.until((i) => i.length >= 3)).map((i) => i.transferChanged);
    await settle();
    expect(items.map((c) => [c.kind, c.status, c.version])).toEqual([
      ["SHIPPED", "IN_TRANSIT", 2],
      ["RECEIPT", "PARTIALLY_RECEIVED", 3],
      ["RECEIPT", "RECEIVED", 4],
    ]);
    expect(items[0].sequence).toBe(seen[1].transferChanged.sequence);
    resumed.stop();
  });

  it("puts the transfer's movements on stockChanged with their reference", async () => {
    const sku = uniqueSku("EV");
    await ops.createProduct(sku, 10, from);
    const reference = uniqueSku("EVT");
    const changes = collect(client, STOCK_CHANGED, { skus: [sku] });
    await settle();
    await ops.create({ reference, from, to, lines: [{ sku, quantity: 6 }] });
    await ops.ship(reference);
    await ops.receive(reference, [{ sku, quantity: 6 }]);
    const items = await changes.until((i) => i.length >= 2);
    expect(items.map((i) => i.stockChanged.movement)).toEqual([
      { type: "TRANSFER_OUT", warehouse: from, onHandDelta: -6, transferReference: reference },
      { type: "TRANSFER_IN", warehouse: to, onHandDelta: 6, transferReference: reference },
    ]);
    changes.stop();
  });

  it("refuses a malformed reference or sequence with BAD_USER_INPUT", async () => {
    for (const variables of [{ reference: "" }, { reference: "bad\u0000ref" }, { after: "soon" }]) {
      const sub = collect(client, CHANGED, variables);
      await new Promise((r) => setTimeout(r, 300));
      expect((sub.errors[0] as any)?.[0]?.extensions?.code ?? (sub.errors[0] as any)?.extensions?.code, JSON.stringify(sub.errors)).toBe("BAD_USER_INPUT");
      sub.stop();
    }
  });
});

describe.skipIf(!hasRealPostgres() || !hasRealRedis())("transferChanged across instances through Redis", () => {
  let db: TestDatabase;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase("tevents");
    const env = { DATABASE_URL: db.url, REDIS_URL: realRedisUrl() };
    a = await spawnService(env);
    b = await spawnService(env);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it("every subscriber on every instance gets every change once, in ledger order, whichever instance made it", async () => {
    const opsA = operations((q, v) => a.gql(q, v));
    const opsB = operations((q, v) => b.gql(q, v));
    const [from, to] = [uniqueSku("CLA"), uniqueSku("CLB")];
    await opsA.createWarehouse(from);
    await opsA.createWarehouse(to);
    const sku = uniqueSku("CL");
    await opsA.createProduct(sku, 1000, from);

    const clients = [wsClient(a.url, TEST_ADMIN_KEY), wsClient(b.url, TEST_ADMIN_KEY)];
    const subs = clients.map((c) => collect(c, CHANGED, {}));
    await settle(500);

    const prefix = uniqueSku("CLT");
    const refs = Array.from({ length: 12 }, (_, i) => `${prefix}-${i}`);
    await Promise.all(
      refs.map(async (reference, i) => {
        const [one, other] = i % 2 ? [opsA, opsB] : [opsB, opsA];
        await one.create({ reference, from, to, lines: [{ sku, quantity: 5 }] });
        if (i % 4 === 3) return other.cancel(reference);
        await other.ship(reference);
        await one.receive(reference, [{ sku, quantity: 2 }]);
        await other.close(reference, "the rest broke");
      }),
    );

    const sql = postgres(db.url, { max: 1 });
    let ledger: { sequence: string; reference: string; kind: string }[];
    try {
      ledger = await sql`select e.id::text as sequence, t.reference, e.kind::text as kind from transfer_events e
                         join transfers t on t.id = e.transfer_id where t.reference like ${`${prefix}-%`} order by e.id`;
    } finally {
      await sql.end();
    }
    expect(ledger).toHaveLength(3 * 2 + 9 * 4);
    for (const sub of subs) {
      await sub.until((items) => items.filter((i) => i.transferChanged.reference.startsWith(prefix)).length >= ledger.length, 20_000);
      await settle(300);
      const mine = sub.items.map((i) => i.transferChanged).filter((c) => c.reference.startsWith(prefix));
      expect(mine.map((c) => ({ sequence: c.sequence, reference: c.reference, kind: c.kind }))).toEqual(ledger);
      sub.stop();
    }
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
