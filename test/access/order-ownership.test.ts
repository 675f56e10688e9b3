// Attacks an outside review found in the domain rules, each against the real
// server over HTTP on both databases: stock created by returns, orders of
// another sales channel confirmed, squatted or "deducted" by the wrong key,
// and a product whose totals no longer fit GraphQL's Int.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];

describe.each(backends)("orders belong to their sales channel, returns are capped (%s)", (backend) => {
  let t: TestService;
  const keys: Record<string, string> = {};
  let n = 0;
  const order = (tag: string) => `${tag}-${process.pid}-${n++}`;

  const gql = async (key: string, query: string, variables: Record<string, unknown> = {}) => {
    const r = await t.gql(query, variables, key);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data;
  };
  const level = async (sku: string) =>
    (
      await t.service.database.rows<{ onHand: number; reserved: number; version: number }>(sql`
        select l.on_hand::int as "onHand", l.reserved::int as "reserved", l.version::int as "version"
        from stock_levels l join products p on p.id = l.product_id where p.sku = ${sku}`)
    )[0]!;
  const ledgerSize = async () => (await t.service.database.rows<{ n: number }>(sql`select count(*)::int as n from stock_movements`))[0]!.n;

  const RESERVE = `mutation($i: ReserveStockInput!) { reserveStock(input: $i) { reservation { orderId channel status } errors { code message } } }`;
  const CONFIRM = `mutation($i: OrderRefInput!) { confirmReservation(input: $i) { reservation { orderId channel status } errors { code } } }`;
  const RELEASE = `mutation($i: OrderRefInput!) { releaseReservation(input: $i) { reservation { status } errors { code } } }`;
  const EXTEND = `mutation($i: ExtendReservationInput!) { extendReservation(input: $i) { reservation { status } errors { code } } }`;
  const DEDUCT = `mutation($i: DeductStockInput!) { deductStock(input: $i) { movements { orderId channel actor onHandDelta } errors { code } } }`;
  const RETURN = `mutation($i: ReturnStockInput!) { returnStock(input: $i) { level { onHand } movement { type channel } errors { code message available } } }`;

  beforeAll(async () => {
    t = await startTestService(backend);
    const make = async (name: string, role: string, channel?: string) => {
      const r = await gql(t.adminKey, `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { name role channel } errors { code } } }`, {
        i: { name, role, ...(channel ? { channel } : {}) },
      });
      expect(r.createApiKey.apiKey).toEqual({ name, role, channel: channel ?? "default" });
      keys[name] = r.createApiKey.key;
    };
    await make("shop-checkout", "SERVICE", "shop");
    await make("shop-payment", "SERVICE", "shop");
    await make("tmall", "SERVICE", "tmall");
    await make("pos", "SERVICE");
  });
  afterAll(() => t?.close());

  async function product(stock: number): Promise<string> {
    const sku = uniqueSku("OWN");
    await gql(t.adminKey, `mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku, initialStock: stock } });
    return sku;
  }

  it("a SERVICE key cannot create stock with returns: a return names its order, capped by what it bought; only ADMIN may leave it out", async () => {
    const sku = await product(10);
    const before = await level(sku);
    const ledger = await ledgerSize();
    // The attack: many returns of a million without an order.
    for (let i = 0; i < 20; i++) {
      const r = await t.gql(RETURN, { i: { sku, quantity: 1_000_000 } }, keys["pos"]);
      expect(r.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(r.errors?.[0]?.message).toMatch(/orderId/);
    }
    expect(await level(sku)).toEqual(before);
    expect(await ledgerSize()).toBe(ledger);

    // With the order it came from: at most what it bought.
    const o = order("R");
    await gql(keys["pos"]!, DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 3 }] } });
    const tooMany = await gql(keys["pos"]!, RETURN, { i: { orderId: o, sku, quantity: 4 } });
    expect(tooMany.returnStock.errors).toEqual([expect.objectContaining({ code: "INVALID_QUANTITY", available: 3 })]);
    const ok = await gql(keys["pos"]!, RETURN, { i: { orderId: o, sku, quantity: 3 } });
    expect(ok.returnStock).toMatchObject({ level: { onHand: 10 }, movement: { type: "RETURN", channel: "default" }, errors: [] });
    const again = await gql(keys["pos"]!, RETURN, { i: { orderId: o, sku, quantity: 1 } });
    expect(again.returnStock.errors[0].code).toBe("INVALID_QUANTITY");

    // An order of another channel is not this key's to return.
    const other = await gql(keys["tmall"]!, RETURN, { i: { orderId: o, sku, quantity: 1 } });
    expect(other.returnStock.errors[0].code).toBe("RESERVATION_NOT_FOUND");

    // ADMIN may return without an order (a correction), and it is recorded.
    const admin = await gql(t.adminKey, RETURN, { i: { sku, quantity: 2, reason: "found in the back" } });
    expect(admin.returnStock).toMatchObject({ level: { onHand: 12 }, errors: [] });
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("another channel's key cannot confirm, release or extend an order, nor squat its orderId", async () => {
    const sku = await product(10);
    const o = order("O");
    const held = await gql(keys["shop-checkout"]!, RESERVE, { i: { orderId: o, items: [{ sku, quantity: 2 }] } });
    expect(held.reserveStock.reservation).toEqual({ orderId: o, channel: "shop", status: "ACTIVE" });

    const before = await level(sku);
    for (const [doc, input] of [
      [CONFIRM, { orderId: o }],
      [RELEASE, { orderId: o }],
      [EXTEND, { orderId: o, ttlSeconds: 600 }],
    ] as const) {
      const r = await gql(keys["tmall"]!, doc, { i: input });
      expect(Object.values(r)[0]).toMatchObject({ reservation: null, errors: [{ code: "RESERVATION_NOT_FOUND" }] });
    }
    expect(await level(sku)).toEqual(before);

    // The same orderId in another channel is another order: not a DUPLICATE, not the shop's.
    const theirs = await gql(keys["tmall"]!, RESERVE, { i: { orderId: o, items: [{ sku, quantity: 5 }] } });
    expect(theirs.reserveStock).toMatchObject({ reservation: { orderId: o, channel: "tmall", status: "ACTIVE" }, errors: [] });
    expect((await level(sku)).reserved).toBe(7);

    // The shop's payment service (same channel, another key) confirms the shop's order.
    const paid = await gql(keys["shop-payment"]!, CONFIRM, { i: { orderId: o } });
    expect(paid.confirmReservation.reservation).toEqual({ orderId: o, channel: "shop", status: "CONFIRMED" });
    expect(await level(sku)).toMatchObject({ onHand: 8, reserved: 5 });

    // Each channel reads its own order by default, and any channel by name.
    const read = await gql(keys["tmall"]!, `query($o: String!) { mine: reservation(orderId: $o) { channel status } shop: reservation(orderId: $o, channel: "shop") { channel status } }`, { o });
    expect(read).toEqual({ mine: { channel: "tmall", status: "ACTIVE" }, shop: { channel: "shop", status: "CONFIRMED" } });
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("a deduct with an orderId another channel used is a sale of its own, never the other's result", async () => {
    const sku = await product(10);
    const o = order("D");
    const first = await gql(keys["shop-checkout"]!, DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 2 }] } });
    expect(first.deductStock).toMatchObject({ movements: [{ orderId: o, channel: "shop", actor: "shop-checkout", onHandDelta: -2 }], errors: [] });

    // Before: the tmall key got the shop's movement back with errors: [] and sold nothing.
    const second = await gql(keys["tmall"]!, DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 2 }] } });
    expect(second.deductStock).toMatchObject({ movements: [{ orderId: o, channel: "tmall", actor: "tmall", onHandDelta: -2 }], errors: [] });
    expect((await level(sku)).onHand).toBe(6);

    // A repeat within a channel is still the same sale.
    const repeat = await gql(keys["tmall"]!, DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 2 }] } });
    expect(repeat.deductStock.movements).toEqual(second.deductStock.movements);
    expect((await level(sku)).onHand).toBe(6);

    // The ledger names the channel of every movement.
    // Newest first shows everything committed (sequence order waits for the commit-safe watermark).
    const ledger = await gql(t.adminKey, `query($o: String) { stockMovements(orderId: $o, newestFirst: true) { nodes { channel actor type } } }`, { o });
    expect(ledger.stockMovements.nodes.reverse()).toEqual([
      { channel: "shop", actor: "shop-checkout", type: "DEDUCT" },
      { channel: "tmall", actor: "tmall", type: "DEDUCT" },
    ]);
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("a product whose levels together exceed 2,147,483,647 does not break the public catalogue", async () => {
    const sku = uniqueSku("HUGE");
    const max = 2 ** 31 - 1;
    await gql(t.adminKey, `mutation { w: createWarehouse(input: { code: "${sku}-W", name: "second" }) { errors { code } } }`);
    await gql(t.adminKey, `mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku } });
    for (const warehouse of ["MAIN", `${sku}-W`]) {
      const r = await gql(t.adminKey, `mutation($i: AdjustStockInput!) { adjustStock(input: $i) { errors { code } } }`, {
        i: { sku, warehouse, countedQuantity: max, reason: "count" },
      });
      expect(r.adjustStock.errors).toEqual([]);
    }
    // Anonymous, as a shop front would ask.
    const r = await t.gql(`query($s: String!) { products(filter: { search: $s }) { nodes { sku stock { onHand available reserved } levels { onHand } } } }`, { s: sku }, null);
    expect(r.errors).toBeUndefined();
    expect(r.data.products.nodes).toEqual([{ sku, stock: { onHand: max, available: max, reserved: 0 }, levels: [{ onHand: max }, { onHand: max }] }]);
    // Past a level's own maximum is refused, not wrapped.
    const over = await gql(t.adminKey, `mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, { i: { sku, quantity: 1 } });
    expect(over.receiveStock.errors[0].code).toBe("INVALID_QUANTITY");
  });
});
