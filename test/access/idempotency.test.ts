// Idempotency keys on the mutations that are not idempotent by an orderId or
// a reference, over HTTP on both databases: a retried mutation is applied once.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];

describe.each(backends)("idempotency keys (%s)", (backend) => {
  let t: TestService;
  let n = 0;
  const idem = () => `key-${process.pid}-${Date.now().toString(36)}-${n++}`;
  const gql = async (query: string, variables: Record<string, unknown> = {}, key: string = t.adminKey) => {
    const r = await t.gql(query, variables, key);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data;
  };
  const rows = <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => t.service.database.rows<T>(q);
  const movementsOf = async (sku: string) =>
    rows<{ type: string; onHandDelta: number }>(sql`
      select m.type::text as "type", m.on_hand_delta::int as "onHandDelta" from stock_movements m
      join products p on p.id = m.product_id where p.sku = ${sku} order by m.id`);

  const RECEIVE = `mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { level { onHand version } movement { id sequence } errors { code message } } }`;
  const ADJUST = `mutation($i: AdjustStockInput!) { adjustStock(input: $i) { level { onHand version } movement { id } errors { code } } }`;

  beforeAll(async () => {
    t = await startTestService(backend);
  });
  afterAll(() => t?.close());

  async function product(stock = 10): Promise<string> {
    const sku = uniqueSku("IDEM");
    await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku, initialStock: stock } });
    return sku;
  }

  it("a retried receiveStock with the same key is applied once and answers the first result", async () => {
    const sku = await product();
    const key = idem();
    const first = await gql(RECEIVE, { i: { sku, quantity: 5, idempotencyKey: key } });
    const again = await gql(RECEIVE, { i: { sku, quantity: 5, idempotencyKey: key } });
    expect(first.receiveStock).toMatchObject({ level: { onHand: 15, version: 2 }, errors: [] });
    expect(again.receiveStock).toEqual(first.receiveStock);
    expect(await movementsOf(sku)).toEqual([
      { type: "RECEIVE", onHandDelta: 10 },
      { type: "RECEIVE", onHandDelta: 5 },
    ]);
    // Without a key, a repeat is a new receipt, as before.
    await gql(RECEIVE, { i: { sku, quantity: 5 } });
    expect((await movementsOf(sku)).length).toBe(3);
  });

  it("the same key with another input, or for another operation, is refused and changes nothing", async () => {
    const sku = await product();
    const key = idem();
    await gql(RECEIVE, { i: { sku, quantity: 5, idempotencyKey: key } });
    const other = await gql(RECEIVE, { i: { sku, quantity: 6, idempotencyKey: key } });
    expect(other.receiveStock).toMatchObject({ level: null, movement: null, errors: [{ code: "IDEMPOTENCY_KEY_REUSED" }] });
    const otherOp = await gql(ADJUST, { i: { sku, delta: 1, reason: "r", idempotencyKey: key } });
    expect(otherOp.adjustStock.errors[0].code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await movementsOf(sku)).toHaveLength(2);
  });

  it("retries racing each other: exactly one applies, every one gets its result", async () => {
    const sku = await product();
    const key = idem();
    const answers = await Promise.all(Array.from({ length: 12 }, () => gql(RECEIVE, { i: { sku, quantity: 3, idempotencyKey: key } })));
    const ids = new Set(answers.map((a) => a.receiveStock.movement?.id));
    expect(answers.every((a) => a.receiveStock.errors.length === 0)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await movementsOf(sku)).toHaveLength(2);
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("keys belong to the API key that used them", async () => {
    const sku = await product();
    const other = (
      await gql(`mutation { createApiKey(input: { name: "${uniqueSku("idem-admin")}", role: ADMIN }) { key } }`)
    ).createApiKey.key as string;
    const key = idem();
    await gql(RECEIVE, { i: { sku, quantity: 1, idempotencyKey: key } });
    const theirs = await gql(RECEIVE, { i: { sku, quantity: 2, idempotencyKey: key } }, other);
    expect(theirs.receiveStock).toMatchObject({ level: { onHand: 13 }, errors: [] });
  });

  it("a first attempt that was refused leaves no key: the retry runs", async () => {
    const sku = await product(1);
    const key = idem();
    const refused = await gql(ADJUST, { i: { sku, delta: -5, reason: "shrinkage", idempotencyKey: key } });
    expect(refused.adjustStock.errors[0].code).toBe("INSUFFICIENT_STOCK");
    await gql(RECEIVE, { i: { sku, quantity: 10 } });
    const retried = await gql(ADJUST, { i: { sku, delta: -5, reason: "shrinkage", idempotencyKey: key } });
    expect(retried.adjustStock).toMatchObject({ level: { onHand: 6 }, errors: [] });
  });

  it("covers createProduct, createWarehouse, adjustStock (both ways), setLowStockThreshold, returnStock and deductStock", async () => {
    const sku = uniqueSku("IDEMP");
    const code = uniqueSku("IW");
    const calls: Array<[string, string, Record<string, unknown>]> = [
      ["createProduct", `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id sku } errors { code } } }`, { sku, name: sku, initialStock: 20 }],
      ["createWarehouse", `mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { warehouse { id code } errors { code } } }`, { code, name: "W" }],
      ["adjustStock", ADJUST, { sku, delta: -2, reason: "damaged" }],
      ["adjustStock", ADJUST, { sku, countedQuantity: 15, reason: "count" }],
      ["setLowStockThreshold", `mutation($i: SetLowStockThresholdInput!) { setLowStockThreshold(input: $i) { level { lowStockThreshold version } errors { code } } }`, { sku, threshold: 4 }],
      ["deductStock", `mutation($i: DeductStockInput!) { deductStock(input: $i) { movements { id } errors { code } } }`, { items: [{ sku, quantity: 1 }] }],
      ["returnStock", `mutation($i: ReturnStockInput!) { returnStock(input: $i) { level { onHand } movement { id } errors { code } } }`, { sku, quantity: 1 }],
    ];
    for (const [op, doc, input] of calls) {
      const key = idem();
      const first = await gql(doc, { i: { ...input, idempotencyKey: key } });
      const before = await rows(sql`select (select count(*) from stock_movements)::int as m, (select count(*) from products)::int as p, (select count(*) from warehouses)::int as w`);
      const again = await gql(doc, { i: { ...input, idempotencyKey: key } });
      expect(again[op], op).toEqual(first[op]);
      expect(first[op].errors, op).toEqual([]);
      expect(await rows(sql`select (select count(*) from stock_movements)::int as m, (select count(*) from products)::int as p, (select count(*) from warehouses)::int as w`), op).toEqual(before);
    }
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("createApiKey with a key hands the same new key back on a retry, and keeps it sealed", async () => {
    const name = uniqueSku("sealed").toLowerCase();
    const key = idem();
    const CREATE = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { name } errors { code } } }`;
    const first = await gql(CREATE, { i: { name, role: "VIEWER", idempotencyKey: key } });
    const again = await gql(CREATE, { i: { name, role: "VIEWER", idempotencyKey: key } });
    expect(first.createApiKey.key).toMatch(/^sk_/);
    expect(again.createApiKey).toEqual(first.createApiKey);
    const [stored] = await rows<{ result: unknown }>(sql`select result from idempotency_keys where key = ${key}`);
    expect(JSON.stringify(stored!.result)).not.toContain(first.createApiKey.key);
    expect((await t.gql(`{ me { name } }`, {}, first.createApiKey.key)).data).toEqual({ me: { name } });
  });

  it("keeps keys a day, then forgets them", async () => {
    const sku = await product();
    const key = idem();
    await gql(RECEIVE, { i: { sku, quantity: 1, idempotencyKey: key } });
    await t.service.database.rows(sql`update idempotency_keys set created_at = now() - interval '23 hours' where key = ${key}`);
    await t.service.services.idempotency.prune();
    expect(await rows(sql`select 1 from idempotency_keys where key = ${key}`)).toHaveLength(1);
    await t.service.database.rows(sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = ${key}`);
    await t.service.services.idempotency.prune();
    expect(await rows(sql`select 1 from idempotency_keys where key = ${key}`)).toHaveLength(0);
  });
});
