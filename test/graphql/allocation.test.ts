// Allocation across warehouses over the real HTTP API on both databases:
// warehouses with a location, updateWarehouse, reserve / deduct / checkStock
// choosing warehouses, the parts acted on by confirm, release and returns,
// and a race for the last units spread over three warehouses.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start } from "../../src/app.js";
import { createLogger } from "../../src/log.js";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];

const SHANGHAI = { latitude: 31.2304, longitude: 121.4737 };
const BEIJING = { latitude: 39.9042, longitude: 116.4074 };
const GUANGZHOU = { latitude: 23.1291, longitude: 113.2644 };

const RESERVE = `mutation($i: ReserveStockInput!) { reserveStock(input: $i) {
  reservation { orderId status lines { sku quantity warehouse { code } } } errors { code message sku requested available } } }`;
const DEDUCT = `mutation($i: DeductStockInput!) { deductStock(input: $i) { movements { warehouse onHandDelta } errors { code available } } }`;
const CHECK = `query($items: [StockLineInput!]!, $a: AllocationInput) { checkStock(items: $items, allocation: $a) {
  available lines { sku requested available sufficient sources { warehouse { code } quantity } } } }`;

describe.each(backends)("allocation across warehouses (%s)", (backend) => {
  let t: TestService;
  let codes: { a: string; b: string; c: string };
  let n = 0;
  const order = () => `alloc-${process.pid}-${n++}`;
  const gql = async (query: string, variables: Record<string, unknown> = {}, key = t.adminKey) => {
    const r = await t.gql(query, variables, key);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data;
  };
  const parts = (lines: Array<{ sku: string; quantity: number; warehouse: { code: string } }>) =>
    lines.map((l) => `${l.warehouse.code}=${l.quantity}`).sort();
  /** One GraphQL request to the instance at `url`, as the admin: the response's body. */
  const postTo = (url: string, query: string, variables: Record<string, unknown>) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminKey}` },
      body: JSON.stringify({ query, variables }),
    }).then((res) => res.json() as Promise<any>);
  /** Receives stock through the instance at `url` (making the level there, if new). */
  const receiveThrough = async (url: string, sku: string, warehouse: string, quantity: number) => {
    const r = await postTo(url, `mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, { i: { sku, warehouse, quantity } });
    expect(r.data.receiveStock.errors).toEqual([]);
  };

  beforeAll(async () => {
    t = await startTestService(backend);
    const tag = uniqueSku("W").slice(-6);
    codes = { a: `SH-${tag}`, b: `BJ-${tag}`, c: `GZ-${tag}` };
    for (const [code, priority, location] of [
      [codes.a, 1, SHANGHAI],
      [codes.b, 2, BEIJING],
      [codes.c, 3, GUANGZHOU],
    ] as const) {
      const r = await gql(`mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { warehouse { code priority location { latitude longitude } } errors { code } } }`, {
        i: { code, name: code, priority, location },
      });
      expect(r.createWarehouse.warehouse).toEqual({ code, priority, location });
    }
  });
  afterAll(() => t?.close());

  /** A product with the given stock per warehouse code (nothing in MAIN). */
  async function product(stock: Record<string, number>): Promise<string> {
    const sku = uniqueSku("AL");
    await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku } });
    for (const [warehouse, quantity] of Object.entries(stock)) {
      if (quantity > 0) await gql(`mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, { i: { sku, warehouse, quantity } });
    }
    return sku;
  }

  /** A product whose only level is in `warehouse` (created there, so it has none in MAIN). */
  async function soleProduct(warehouse: string, quantity: number): Promise<string> {
    const sku = uniqueSku("AL");
    const r = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: sku, warehouse, initialStock: quantity } });
    expect(r.createProduct.errors).toEqual([]);
    return sku;
  }

  it("an order for 10 with 6 in one warehouse and 7 in another is served 6 + 4 (MINIMIZE), and from one warehouse when one has 10", async () => {
    const sku = await product({ [codes.a]: 6, [codes.b]: 7 });
    const split = await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 10 }] } });
    expect(split.reserveStock.errors).toEqual([]);
    expect(parts(split.reserveStock.reservation.lines)).toEqual([`${codes.b}=4`, `${codes.a}=6`]);

    const whole = await product({ [codes.a]: 6, [codes.b]: 7, [codes.c]: 10 });
    const one = await gql(RESERVE, { i: { orderId: order(), items: [{ sku: whole, quantity: 10 }] } });
    expect(parts(one.reserveStock.reservation.lines)).toEqual([`${codes.c}=10`]);
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("NEVER refuses an order no single warehouse can serve, naming the short line and changing nothing; ALLOW splits by the strategy's order", async () => {
    const sku = await product({ [codes.a]: 6, [codes.b]: 7 });
    const before = await t.service.database.rows(sql`select id, on_hand, reserved, version from stock_levels order by id`);
    const never = await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 10 }], allocation: { split: "NEVER" } } });
    expect(never.reserveStock).toMatchObject({ reservation: null, errors: [{ code: "INSUFFICIENT_STOCK", sku, requested: 10, available: 7 }] });
    expect(await t.service.database.rows(sql`select id, on_hand, reserved, version from stock_levels order by id`)).toEqual(before);

    const allow = await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 8 }], allocation: { strategy: "MOST_AVAILABLE", split: "ALLOW" } } });
    expect(parts(allow.reserveStock.reservation.lines)).toEqual([`${codes.b}=7`, `${codes.a}=1`]);
  });

  it("NEAREST serves from the warehouse closest to shipTo (two ship-to points), and needs shipTo", async () => {
    const sku = await product({ [codes.a]: 5, [codes.b]: 5, [codes.c]: 5 });
    const near = async (shipTo: typeof SHANGHAI) =>
      parts((await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 2 }], allocation: { strategy: "NEAREST", shipTo } } })).reserveStock.reservation.lines);
    expect(await near({ latitude: 22.5431, longitude: 114.0579 })).toEqual([`${codes.c}=2`]); // Shenzhen → Guangzhou
    expect(await near({ latitude: 39.08, longitude: 117.2 })).toEqual([`${codes.b}=2`]); // Tianjin → Beijing
    const missing = await t.gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }], allocation: { strategy: "NEAREST" } } });
    expect(missing.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const outOfRange = await t.gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }], allocation: { strategy: "NEAREST", shipTo: { latitude: 91, longitude: 0 } } } });
    expect(outOfRange.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("checkStock answers with the sources the same allocation would choose now", async () => {
    const sku = await product({ [codes.a]: 6, [codes.b]: 7 });
    const r = await gql(CHECK, { items: [{ sku, quantity: 10 }] });
    expect(r.checkStock).toEqual({
      available: true,
      lines: [{ sku, requested: 10, available: 13, sufficient: true, sources: [{ warehouse: { code: codes.a }, quantity: 6 }, { warehouse: { code: codes.b }, quantity: 4 }] }],
    });
    const never = await gql(CHECK, { items: [{ sku, quantity: 10 }], a: { split: "NEVER" } });
    expect(never.checkStock).toMatchObject({ available: false, lines: [{ sufficient: false, sources: [] }] });
  });

  it("confirm, release and returns act on exactly the places each part was taken from", async () => {
    const sku = await product({ [codes.a]: 6, [codes.b]: 7 });
    const level = async (code: string) =>
      (await gql(`query($s: String!) { product(sku: $s) { levels { onHand reserved warehouse { code } } } }`, { s: sku })).product.levels.find(
        (l: any) => l.warehouse.code === code,
      );
    const paid = order();
    await gql(RESERVE, { i: { orderId: paid, items: [{ sku, quantity: 10 }] } });
    await gql(`mutation($o: String!) { confirmReservation(input: { orderId: $o }) { errors { code } } }`, { o: paid });
    expect(await level(codes.a)).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await level(codes.b)).toMatchObject({ onHand: 3, reserved: 0 });
    // A return without a warehouse goes back where the order was served from, in that order.
    const back = await gql(`mutation($i: ReturnStockInput!) { returnStock(input: $i) { errors { code } } }`, { i: { orderId: paid, sku, quantity: 8 } });
    expect(back.returnStock.errors).toEqual([]);
    expect(await level(codes.a)).toMatchObject({ onHand: 6 });
    expect(await level(codes.b)).toMatchObject({ onHand: 5 });
    const tooMany = await gql(`mutation($i: ReturnStockInput!) { returnStock(input: $i) { errors { code available } } }`, { i: { orderId: paid, sku, quantity: 3 } });
    expect(tooMany.returnStock.errors).toEqual([{ code: "INVALID_QUANTITY", available: 2 }]);

    const cancelled = order();
    await gql(RESERVE, { i: { orderId: cancelled, items: [{ sku, quantity: 9 }] } });
    await gql(`mutation($o: String!) { releaseReservation(input: { orderId: $o }) { errors { code } } }`, { o: cancelled });
    expect(await level(codes.a)).toMatchObject({ onHand: 6, reserved: 0 });
    expect(await level(codes.b)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("deductStock allocates too, and a repeated orderId is the same sale", async () => {
    const sku = await product({ [codes.a]: 2, [codes.c]: 5 });
    const o = order();
    const first = await gql(DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 4 }] } });
    expect(first.deductStock.movements.map((m: any) => [m.warehouse, m.onHandDelta])).toEqual([[codes.c, -4]]);
    const again = await gql(DEDUCT, { i: { orderId: o, items: [{ sku, quantity: 4 }] } });
    expect(again.deductStock.movements).toEqual(first.deductStock.movements);
  });

  it("an inactive warehouse keeps its stock and history but serves nothing new; its holds can still be confirmed", async () => {
    const sku = await product({ [codes.c]: 5 });
    const held = order();
    await gql(RESERVE, { i: { orderId: held, items: [{ sku, quantity: 2, warehouse: codes.c }] } });
    const off = await gql(`mutation($i: UpdateWarehouseInput!) { updateWarehouse(input: $i) { warehouse { code active priority location { latitude } } errors { code } } }`, {
      i: { code: codes.c, active: false },
    });
    expect(off.updateWarehouse.warehouse).toEqual({ code: codes.c, active: false, priority: 3, location: { latitude: GUANGZHOU.latitude } });
    try {
      const r = await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }] } });
      expect(r.reserveStock.errors[0]).toMatchObject({ code: "INSUFFICIENT_STOCK", available: 0 });
      const named = await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1, warehouse: codes.c }] } });
      expect(named.reserveStock.errors[0].code).toBe("WAREHOUSE_NOT_FOUND");
      const paid = await gql(`mutation($o: String!) { confirmReservation(input: { orderId: $o }) { reservation { status } errors { code } } }`, { o: held });
      expect(paid.confirmReservation).toEqual({ reservation: { status: "CONFIRMED" }, errors: [] });
      const levels = (await gql(`query($s: String!) { product(sku: $s) { levels { onHand warehouse { code } } } }`, { s: sku })).product.levels;
      expect(levels).toContainEqual({ onHand: 3, warehouse: { code: codes.c } });
      const mainOff = await gql(`mutation { updateWarehouse(input: { code: "MAIN", active: false }) { errors { code } } }`);
      expect(mainOff.updateWarehouse.errors[0].code).toBe("INVALID_STATE");
    } finally {
      await gql(`mutation($i: UpdateWarehouseInput!) { updateWarehouse(input: $i) { errors { code } } }`, { i: { code: codes.c, active: true } });
    }
  });

  // Two instances on one database: PostgreSQL (the embedded database serves one process).
  if (backend === "postgres") it("a product its instance knows in one warehouse only, stocked in another through a second instance, is still served: the remembered warehouse's refusal is allocated again", async () => {
    const sku = await soleProduct(codes.a, 1);
    // The first reserve takes the last unit in a and teaches this instance that a is the product's only warehouse.
    expect((await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }] } })).reserveStock.reservation.lines).toHaveLength(1);
    const second = await start({ ...t.config, port: 0 }, createLogger("error"));
    try {
      await receiveThrough(second.url, sku, codes.b, 3);
      const served = (await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 2 }] } })).reserveStock;
      expect(served.errors).toEqual([]);
      expect(parts(served.reservation.lines)).toEqual([`${codes.b}=2`]);
      // Out everywhere now: the refusal stands, with the figures of the place that refused.
      const refused = (await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 2 }] } })).reserveStock;
      expect(refused.errors).toMatchObject([{ code: "INSUFFICIENT_STOCK", requested: 2, available: 1 }]);
    } finally {
      await second.dispose();
    }
  });

  if (backend === "postgres") it("a level made through a second instance in a warehouse of higher priority is allocated here soon after, though the product's one level was remembered", async () => {
    const sku = await soleProduct(codes.c, 1000);
    // Teaches this instance that c is the product's only warehouse.
    expect(parts((await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }] } })).reserveStock.reservation.lines)).toEqual([`${codes.c}=1`]);
    const second = await start({ ...t.config, port: 0 }, createLogger("error"));
    try {
      await receiveThrough(second.url, sku, codes.a, 3);
      // c could serve every one of these; a comes first by priority once this instance has heard of the new level.
      const places: string[] = [];
      for (let i = 0; i < 100 && places.at(-1) !== `${codes.a}=1`; i++) {
        const served = (await gql(RESERVE, { i: { orderId: order(), items: [{ sku, quantity: 1 }] } })).reserveStock;
        places.push(...parts(served.reservation.lines));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(places.at(-1), places.join(", ")).toBe(`${codes.a}=1`);
    } finally {
      await second.dispose();
    }
  });

  if (backend === "postgres") it("checkStock counts a level made through a second instance soon after, though the product's one level was remembered", async () => {
    const sku = await soleProduct(codes.c, 1000);
    const check = async () => (await gql(CHECK, { items: [{ sku, quantity: 1 }] })).checkStock.lines[0];
    // The first check teaches this instance that c is the product's only warehouse; the next ones read that level alone.
    expect((await check()).available).toBe(1000);
    expect((await check()).sources).toEqual([{ warehouse: { code: codes.c }, quantity: 1 }]);
    const second = await start({ ...t.config, port: 0 }, createLogger("error"));
    try {
      await receiveThrough(second.url, sku, codes.a, 3);
      const seen: number[] = [];
      for (let i = 0; i < 100 && seen.at(-1) !== 1003; i++) {
        seen.push((await check()).available);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(seen.at(-1), seen.join(", ")).toBe(1003);
    } finally {
      await second.dispose();
    }
  });

  if (backend === "postgres") it("300 orders of 1 for 150 units over 3 warehouses, via 2 instances: exactly 150 win, none refused while stock remained", async () => {
    const sku = await product({ [codes.a]: 50, [codes.b]: 50, [codes.c]: 50 });
    const second = await start({ ...t.config, port: 0 }, createLogger("error"));
    try {
      const post = (url: string, i: number) => postTo(url, RESERVE, { i: { orderId: `race-${process.pid}-${i}`, items: [{ sku, quantity: 1 }] } });
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => post(i % 2 === 0 ? t.url : second.url, i)));
      const won = answers.filter((a) => a.data?.reserveStock?.reservation);
      const refused = answers.filter((a) => a.data?.reserveStock?.errors?.[0]?.code === "INSUFFICIENT_STOCK");
      expect(won.length).toBe(150);
      expect(refused.length).toBe(150);
      // Every refusal came when nothing was left anywhere.
      for (const r of refused) expect(r.data.reserveStock.errors[0].available).toBe(0);
      const [held] = await t.service.database.rows<{ reserved: number; onHand: number }>(sql`
        select sum(l.reserved)::int as "reserved", sum(l.on_hand)::int as "onHand" from stock_levels l join products p on p.id = l.product_id where p.sku = ${sku}`);
      expect(held).toEqual({ reserved: 150, onHand: 150 });
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    } finally {
      await second.dispose();
    }
  });
});
