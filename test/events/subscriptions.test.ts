import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { hasRealPostgres } from "../support/databases.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { collect, settle, wsClient } from "../support/ws-client.js";

const CHANGES = `subscription($skus:[String!],$warehouses:[String!],$after:String){
  stockChanged(skus:$skus, warehouses:$warehouses, after:$after){
    sequence movement{ type sku warehouse version onHandDelta reservedDelta orderId }
    level{ onHand reserved available version lowStock warehouse{ code } product{ sku } } } }`;
const ALERTS = `subscription($warehouses:[String!]){ lowStockAlert(warehouses:$warehouses){ kind threshold level{ available product{ sku } } } }`;

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];

describe.each(backends)("subscriptions over graphql-ws (%s)", (backend) => {
  let t: TestService;
  let client: Client;
  beforeAll(async () => {
    t = await startTestService(backend);
    client = wsClient(t.url, t.adminKey);
  });
  afterAll(async () => {
    await client?.dispose();
    await t?.close();
  });

  const create = (sku: string, initialStock: number, lowStockThreshold = 0, warehouse?: string) =>
    t.gql(
      `mutation($i:CreateProductInput!){ createProduct(input:$i){ errors{ code message } } }`,
      { i: { sku, name: sku, initialStock, lowStockThreshold, warehouse } },
    );
  const reserve = (orderId: string, sku: string, quantity: number) =>
    t.gql(`mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ id } errors{ code } } }`, {
      i: { orderId, items: [{ sku, quantity }] },
    });

  it("delivers a committed change made by a mutation, with the level after it", async () => {
    const sku = uniqueSku();
    await create(sku, 10);
    const sub = collect(client, CHANGES, { skus: [sku] });
    await settle();
    await reserve(`${sku}-o1`, sku, 3);
    const [first] = await sub.until((i) => i.length >= 1);
    expect(first.stockChanged.movement).toMatchObject({ type: "RESERVE", sku, warehouse: "MAIN", version: 2, reservedDelta: 3, orderId: `${sku}-o1` });
    expect(first.stockChanged.level).toMatchObject({ onHand: 10, reserved: 3, available: 7, version: 2 });
    expect(first.stockChanged.sequence).toMatch(/^\d+$/);
    sub.stop();
  });

  it("applies the sku and warehouse filters on the server", async () => {
    const watched = uniqueSku();
    const other = uniqueSku();
    await t.gql(`mutation { createWarehouse(input:{code:"${watched.slice(-10)}W", name:"side"}){ errors{ code } } }`);
    await create(watched, 5);
    await create(other, 5);
    const bySku = collect(client, CHANGES, { skus: [watched] });
    const byWarehouse = collect(client, CHANGES, { warehouses: [`${watched.slice(-10)}W`] });
    await settle();
    await reserve(`${other}-x`, other, 1);
    await reserve(`${watched}-x`, watched, 1);
    await t.gql(`mutation($s:String!,$w:String!){ receiveStock(input:{sku:$s, quantity:4, warehouse:$w}){ errors{ code } } }`, {
      s: other,
      w: `${watched.slice(-10)}W`,
    });
    await bySku.until((i) => i.length >= 1);
    await byWarehouse.until((i) => i.length >= 1);
    await settle(500);
    expect(bySku.items.map((i) => i.stockChanged.movement.sku)).toEqual([watched]);
    expect(byWarehouse.items.map((i) => [i.stockChanged.movement.sku, i.stockChanged.movement.type])).toEqual([[other, "RECEIVE"]]);
    bySku.stop();
    byWarehouse.stop();
  });

  it("fires an alert once per crossing, not once per change", async () => {
    const sku = uniqueSku();
    await create(sku, 10, 5);
    const alerts = collect(client, ALERTS);
    await settle();
    for (let i = 0; i < 10; i++) await reserve(`${sku}-a${i}`, sku, 1); // 9,8,...,0
    await alerts.until((items) => items.filter((a) => a.lowStockAlert.level.product.sku === sku).length >= 2);
    await t.gql(`mutation($s:String!){ receiveStock(input:{sku:$s, quantity:20}){ errors{ code } } }`, { s: sku });
    const mine = await alerts.until((items) => items.filter((a) => a.lowStockAlert.level.product.sku === sku).length >= 3);
    await settle(300);
    expect(mine.filter((a) => a.lowStockAlert.level.product.sku === sku).map((a) => [a.lowStockAlert.kind, a.lowStockAlert.level.available])).toEqual([
      ["LOW_STOCK", 5],
      ["OUT_OF_STOCK", 0],
      ["BACK_IN_STOCK", 20],
    ]);
    alerts.stop();
  });

  it("resumes with after: replays what was committed since, then goes on live, without gap or duplicate", async () => {
    const sku = uniqueSku();
    await create(sku, 100);
    const first = collect(client, CHANGES, { skus: [sku] });
    await settle();
    for (let i = 0; i < 5; i++) await reserve(`${sku}-r${i}`, sku, 1);
    await first.until((i) => i.length >= 5);
    const seen = first.items[1].stockChanged.sequence;
    first.stop();
    for (let i = 5; i < 8; i++) await reserve(`${sku}-r${i}`, sku, 1);
    const resumed = collect(client, CHANGES, { skus: [sku], after: seen });
    const replayed = await resumed.until((i) => i.length >= 6);
    for (let i = 8; i < 10; i++) await reserve(`${sku}-r${i}`, sku, 1);
    const all = await resumed.until((i) => i.length >= 8);
    await settle(300);
    expect(all.map((i) => i.stockChanged.movement.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(replayed.length).toBeGreaterThanOrEqual(6);
    resumed.stop();
  });

  it("gives dashboards with the same subscription the same full result, and others their own", async () => {
    const sku = uniqueSku();
    await create(sku, 10);
    const other = wsClient(t.url, t.adminKey);
    const subs = [collect(client, CHANGES, { skus: [sku] }), collect(other, CHANGES, { skus: [sku] }), collect(client, CHANGES, {})];
    const small = collect(other, `subscription($s:[String!]){ stockChanged(skus:$s){ level{ available } } }`, { s: [sku] });
    await settle();
    await reserve(`${sku}-o1`, sku, 4);
    const got = await Promise.all(subs.map((s) => s.until((i) => i.some((x) => x.stockChanged.movement.sku === sku))));
    const mine = got.map((items) => items.find((x) => x.stockChanged.movement.sku === sku).stockChanged);
    for (const change of mine) {
      expect(change).toEqual(mine[0]);
      expect(change.level).toMatchObject({ available: 6, product: { sku }, warehouse: { code: "MAIN" } });
    }
    expect((await small.until((i) => i.length >= 1))[0]).toEqual({ stockChanged: { level: { available: 6 } } });
    for (const s of [...subs, small]) s.stop();
    await other.dispose();
  });

  it("withdraws a subscription from the hub as soon as the client ends it, though no event came for it", async () => {
    const hub = t.service.services.hub;
    // Earlier tests' subscriptions may still be closing: start from a count that holds still.
    let before = hub.subscriberCount;
    for (let still = 0; still < 5; ) {
      await new Promise((r) => setTimeout(r, 60));
      still = hub.subscriberCount === before ? still + 1 : 0;
      before = hub.subscriberCount;
    }
    const sku = uniqueSku();
    await create(sku, 10);
    const sub = collect(client, CHANGES, { skus: [sku] });
    const all = collect(client, ALERTS, {});
    await settle();
    expect(hub.subscriberCount).toBe(before + 2);
    sub.stop();
    all.stop();
    const deadline = Date.now() + 3000;
    while (hub.subscriberCount > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hub.subscriberCount).toBe(before);
  });

  it("refuses unknown skus in filters with a clear error", async () => {
    const sub = collect(client, CHANGES, { skus: ["NO-SUCH-SKU-XYZ"] });
    await new Promise((r) => setTimeout(r, 500));
    expect(JSON.stringify(sub.errors)).toContain("PRODUCT_NOT_FOUND");
  });
});
