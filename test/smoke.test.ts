import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLEAN, checkInvariants } from "./support/invariants.js";
import { startTestService, type TestService, uniqueSku } from "./support/service.js";

describe("smoke (PGlite)", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService("pglite");
  });
  afterAll(() => t?.close());

  it("runs an order's life", async () => {
    const sku = uniqueSku();
    const created = await t.gql(`mutation($sku:String!){ createProduct(input:{sku:$sku,name:"x",initialStock:5}){ product{ sku } errors{ code } } }`, { sku });
    expect(created.data.createProduct.errors).toEqual([]);
    const r = await t.gql(`mutation($sku:String!){ reserveStock(input:{orderId:"o1",items:[{sku:$sku,quantity:2}]}){ reservation{ status } errors{ code } } }`, { sku });
    expect(r.data.reserveStock.reservation.status).toBe("ACTIVE");
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });
});
