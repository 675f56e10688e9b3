// Every limit of docs/design.md's "Bad input" table, sent over HTTP: each request is
// refused (BAD_USER_INPUT, a GraphQL validation error, or a StockError in the
// payload) and leaves the ledger, the levels and every other table as they were.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { expectNoLeak, fingerprint, type GqlAnswer, must } from "./helpers.js";

// The probe: a product with stock in MAIN and in a second warehouse, and an ACTIVE reservation.
const SKU = uniqueSku("PROBE");
const WH = uniqueSku("PWH");
const ORDER = uniqueSku("PROBE-ORDER");

const RECEIVE = `mutation($input: ReceiveStockInput!) { receiveStock(input: $input) { level { onHand } errors { code message } } }`;
const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { level { onHand } errors { code message } } }`;
const THRESHOLD = `mutation($input: SetLowStockThresholdInput!) { setLowStockThreshold(input: $input) { level { lowStockThreshold } errors { code message } } }`;
const RESERVE = `mutation($input: ReserveStockInput!) { reserveStock(input: $input) { reservation { id } errors { code message } } }`;
const CONFIRM = `mutation($input: OrderRefInput!) { confirmReservation(input: $input) { reservation { id } errors { code message } } }`;
const RELEASE = `mutation($input: OrderRefInput!) { releaseReservation(input: $input) { reservation { id } errors { code message } } }`;
const EXTEND = `mutation($input: ExtendReservationInput!) { extendReservation(input: $input) { reservation { id } errors { code message } } }`;
const DEDUCT = `mutation($input: DeductStockInput!) { deductStock(input: $input) { movements { id } errors { code message } } }`;
const RETURN = `mutation($input: ReturnStockInput!) { returnStock(input: $input) { level { onHand } errors { code message } } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } errors { code message } } }`;
const CREATE_WAREHOUSE = `mutation($input: CreateWarehouseInput!) { createWarehouse(input: $input) { warehouse { id } errors { code message } } }`;
const CHECK = `query($items: [StockLineInput!]!) { checkStock(items: $items) { available } }`;
const PRODUCT = `query($sku: String!) { product(sku: $sku) { id } }`;
const PRODUCTS = `query($first: Int, $after: String, $filter: ProductFilter) { products(first: $first, after: $after, filter: $filter) { totalCount } }`;
const PRODUCT_MOVEMENTS = `query($sku: String!, $first: Int, $after: String) { product(sku: $sku) { movements(first: $first, after: $after) { nodes { id } } } }`;
const RESERVATION = `query($orderId: String!) { reservation(orderId: $orderId) { id } }`;
const RESERVATIONS = `query($first: Int, $after: String) { reservations(first: $first, after: $after) { nodes { id } } }`;
const MOVEMENTS = `query($sku: String, $warehouse: String, $orderId: String, $first: Int, $after: String) {
  stockMovements(sku: $sku, warehouse: $warehouse, orderId: $orderId, first: $first, after: $after) { nodes { id } } }`;
const LOW = `query($warehouse: String, $first: Int, $after: String) { lowStockLevels(warehouse: $warehouse, first: $first, after: $after) { id } }`;
const ALERTS = `query($warehouse: String, $first: Int, $after: String) { stockAlerts(warehouse: $warehouse, first: $first, after: $after) { nodes { id } } }`;

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

const line = (over: Record<string, unknown> = {}) => ({ sku: SKU, quantity: 1, ...over });
const lines = (n: number) => Array.from({ length: n }, () => line());
const cursor = (text: string) => Buffer.from(text).toString("base64url");

const BAD_CODES: Array<[string, string]> = [
  ["empty", ""],
  ["65 characters", "A".repeat(65)],
  ["with a space", "AB CD"],
  ["an SQL injection", "'; drop table products; --"],
  ["unicode", "商品-1"],
  ["full-width letters", "ＳＫＵ"],
  ["a trailing newline", "SKU\n"],
];
const BAD_ORDER_IDS: Array<[string, string]> = [
  ["empty", ""],
  ["129 characters", "o".repeat(129)],
  ["a NUL byte", "order\u0000x"],
  ["a newline", "order\nx"],
  ["a bell", "\u0007order"],
  ["a C1 control", "order\u009b"],
  ["a lone surrogate", "order\ud800"],
];
const MEGABYTE = "M".repeat(1_000_000);

/** Refused with extensions.code BAD_USER_INPUT. */
const badUserInput: Case[] = [
  // quantity: integer 1..1,000,000
  ...[0, -1, 1_000_001].flatMap((quantity): Case[] => [
    { name: `receiveStock quantity ${quantity}`, query: RECEIVE, variables: { input: { sku: SKU, quantity } } },
    { name: `returnStock quantity ${quantity}`, query: RETURN, variables: { input: { sku: SKU, quantity } } },
    { name: `reserveStock line quantity ${quantity}`, query: RESERVE, variables: { input: { orderId: uniqueSku("Q"), items: [line({ quantity })] } } },
    { name: `deductStock line quantity ${quantity}`, query: DEDUCT, variables: { input: { items: [line({ quantity })] } } },
    { name: `checkStock line quantity ${quantity}`, query: CHECK, variables: { items: [line({ quantity })] } },
  ]),
  { name: "createProduct initialStock -1", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "n", initialStock: -1 } } },
  { name: "createProduct initialStock 1,000,001", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "n", initialStock: 1_000_001 } } },
  { name: "setLowStockThreshold -1", query: THRESHOLD, variables: { input: { sku: SKU, threshold: -1 } } },
  // delta of adjust: non-zero, within ±1,000,000; exactly one of delta and countedQuantity
  ...[0, 1_000_001, -1_000_001].map((delta): Case => ({ name: `adjustStock delta ${delta}`, query: ADJUST, variables: { input: { sku: SKU, delta, reason: "r" } } })),
  { name: "adjustStock with delta and countedQuantity", query: ADJUST, variables: { input: { sku: SKU, delta: 1, countedQuantity: 5, reason: "r" } } },
  { name: "adjustStock with neither delta nor countedQuantity", query: ADJUST, variables: { input: { sku: SKU, reason: "r" } } },
  { name: "adjustStock countedQuantity -1", query: ADJUST, variables: { input: { sku: SKU, countedQuantity: -1, reason: "r" } } },
  // sku: 1-64 of A-Z a-z 0-9 . _ -
  ...BAD_CODES.flatMap(([what, sku]): Case[] => [
    { name: `createProduct sku ${what}`, query: CREATE_PRODUCT, variables: { input: { sku, name: "n", initialStock: 5 } } },
    { name: `receiveStock sku ${what}`, query: RECEIVE, variables: { input: { sku, quantity: 1 } } },
    { name: `reserveStock line sku ${what}`, query: RESERVE, variables: { input: { orderId: uniqueSku("S"), items: [line({ sku })] } } },
    { name: `deductStock line sku ${what}`, query: DEDUCT, variables: { input: { items: [line({ sku })] } } },
    { name: `checkStock line sku ${what}`, query: CHECK, variables: { items: [line({ sku })] } },
    { name: `product(sku) ${what}`, query: PRODUCT, variables: { sku } },
    { name: `stockMovements(sku) ${what}`, query: MOVEMENTS, variables: { sku } },
  ]),
  // warehouse code: likewise
  ...BAD_CODES.flatMap(([what, code]): Case[] => [
    { name: `createWarehouse code ${what}`, query: CREATE_WAREHOUSE, variables: { input: { code, name: "w" } } },
    { name: `createProduct warehouse ${what}`, query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "n", initialStock: 5, warehouse: code } } },
    { name: `receiveStock warehouse ${what}`, query: RECEIVE, variables: { input: { sku: SKU, quantity: 1, warehouse: code } } },
    { name: `adjustStock warehouse ${what}`, query: ADJUST, variables: { input: { sku: SKU, delta: 1, reason: "r", warehouse: code } } },
    { name: `reserveStock line warehouse ${what}`, query: RESERVE, variables: { input: { orderId: uniqueSku("W"), items: [line({ warehouse: code })] } } },
    { name: `deductStock line warehouse ${what}`, query: DEDUCT, variables: { input: { items: [line({ warehouse: code })] } } },
    { name: `stockMovements(warehouse) ${what}`, query: MOVEMENTS, variables: { warehouse: code } },
    { name: `lowStockLevels(warehouse) ${what}`, query: LOW, variables: { warehouse: code } },
    { name: `stockAlerts(warehouse) ${what}`, query: ALERTS, variables: { warehouse: code } },
  ]),
  // orderId: 1-128 printable characters
  ...BAD_ORDER_IDS.flatMap(([what, orderId]): Case[] => [
    { name: `reserveStock orderId ${what}`, query: RESERVE, variables: { input: { orderId, items: [line()] } } },
    { name: `confirmReservation orderId ${what}`, query: CONFIRM, variables: { input: { orderId } } },
    { name: `releaseReservation orderId ${what}`, query: RELEASE, variables: { input: { orderId } } },
    { name: `extendReservation orderId ${what}`, query: EXTEND, variables: { input: { orderId, ttlSeconds: 60 } } },
    { name: `deductStock orderId ${what}`, query: DEDUCT, variables: { input: { orderId, items: [line()] } } },
    { name: `returnStock orderId ${what}`, query: RETURN, variables: { input: { orderId, sku: SKU, quantity: 1 } } },
    { name: `reservation(orderId) ${what}`, query: RESERVATION, variables: { orderId } },
    { name: `stockMovements(orderId) ${what}`, query: MOVEMENTS, variables: { orderId } },
  ]),
  // name up to 200, reason up to 500 characters
  { name: "createProduct name of 201 characters", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "n".repeat(201), initialStock: 1 } } },
  { name: "createProduct empty name", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "" } } },
  { name: "createWarehouse name of 201 characters", query: CREATE_WAREHOUSE, variables: { input: { code: uniqueSku("W"), name: "w".repeat(201) } } },
  { name: "receiveStock reason of 501 characters", query: RECEIVE, variables: { input: { sku: SKU, quantity: 1, reason: "r".repeat(501) } } },
  { name: "adjustStock reason of 501 characters", query: ADJUST, variables: { input: { sku: SKU, delta: 1, reason: "r".repeat(501) } } },
  { name: "adjustStock empty reason", query: ADJUST, variables: { input: { sku: SKU, delta: 1, reason: "" } } },
  { name: "confirmReservation reason of 501 characters", query: CONFIRM, variables: { input: { orderId: ORDER, reason: "r".repeat(501) } } },
  { name: "releaseReservation reason of 501 characters", query: RELEASE, variables: { input: { orderId: ORDER, reason: "r".repeat(501) } } },
  { name: "deductStock reason of 501 characters", query: DEDUCT, variables: { input: { items: [line()], reason: "r".repeat(501) } } },
  { name: "returnStock reason of 501 characters", query: RETURN, variables: { input: { sku: SKU, quantity: 1, reason: "r".repeat(501) } } },
  // lines per request: 1..100; lines of the same sku and warehouse count as their sum
  ...([0, 101] as const).flatMap((n): Case[] => [
    { name: `reserveStock with ${n} lines`, query: RESERVE, variables: { input: { orderId: uniqueSku("L"), items: lines(n) } } },
    { name: `deductStock with ${n} lines`, query: DEDUCT, variables: { input: { items: lines(n) } } },
    { name: `checkStock with ${n} lines`, query: CHECK, variables: { items: lines(n) } },
  ]),
  ...[
    ["of one warehouse", [line({ quantity: 600_000, warehouse: WH }), line({ quantity: 400_001, warehouse: WH })]],
    ["without a warehouse", [line({ quantity: 600_000 }), line({ quantity: 400_001 })]],
  ].flatMap(([what, items]): Case[] => [
    { name: `reserveStock two lines ${what} summing over 1,000,000`, query: RESERVE, variables: { input: { orderId: uniqueSku("SUM"), items } } },
    { name: `deductStock two lines ${what} summing over 1,000,000`, query: DEDUCT, variables: { input: { items } } },
    { name: `checkStock two lines ${what} summing over 1,000,000`, query: CHECK, variables: { items } },
  ]),
  // ttlSeconds: 1..86,400
  ...[0, -1, 86_401].flatMap((ttlSeconds): Case[] => [
    { name: `reserveStock ttlSeconds ${ttlSeconds}`, query: RESERVE, variables: { input: { orderId: uniqueSku("T"), items: [line()], ttlSeconds } } },
    { name: `extendReservation ttlSeconds ${ttlSeconds}`, query: EXTEND, variables: { input: { orderId: ORDER, ttlSeconds } } },
  ]),
  // first: 1..500
  ...[0, -1, 501].flatMap((first): Case[] => [
    { name: `products first ${first}`, query: PRODUCTS, variables: { first } },
    { name: `product.movements first ${first}`, query: PRODUCT_MOVEMENTS, variables: { sku: SKU, first } },
    { name: `reservations first ${first}`, query: RESERVATIONS, variables: { first } },
    { name: `stockMovements first ${first}`, query: MOVEMENTS, variables: { first } },
    { name: `lowStockLevels first ${first}`, query: LOW, variables: { first } },
    { name: `stockAlerts first ${first}`, query: ALERTS, variables: { first } },
  ]),
  // cursors handed back that this service never handed out
  ...[
    ["garbage", "not a cursor!"],
    ["base64 of garbage", cursor("hello")],
    ["a cursor of a kind no field hands out", cursor("warehouse:1")],
    ["a negative number", "-1"],
    ["a huge number", "9".repeat(40)],
    ["1 MB long", MEGABYTE],
  ].flatMap(([what, after]): Case[] => [
    { name: `products after ${what}`, query: PRODUCTS, variables: { after } },
    { name: `product.movements after ${what}`, query: PRODUCT_MOVEMENTS, variables: { sku: SKU, after } },
    { name: `reservations after ${what}`, query: RESERVATIONS, variables: { after } },
    { name: `stockMovements after ${what}`, query: MOVEMENTS, variables: { after } },
    { name: `lowStockLevels after ${what}`, query: LOW, variables: { after } },
    { name: `stockAlerts after ${what}`, query: ALERTS, variables: { after } },
  ]),
  // ids past what the rows' int4 keys can hold: refused before they reach SQL
  { name: "products after a cursor past the id range", query: PRODUCTS, variables: { after: cursor("product:99999999999") } },
  { name: "lowStockLevels after an id past the id range", query: LOW, variables: { after: "9999999999" } },
  // a 1 MB string argument (the body itself is still under the 1 MB body limit)
  { name: "a 1 MB sku", query: RECEIVE, variables: { input: { sku: MEGABYTE, quantity: 1 } } },
  { name: "a 1 MB product name", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("BIG"), name: MEGABYTE } } },
  { name: "a 1 MB orderId", query: RESERVE, variables: { input: { orderId: MEGABYTE, items: [line()] } } },
  { name: "a 1 MB reason", query: ADJUST, variables: { input: { sku: SKU, delta: 1, reason: MEGABYTE } } },
  { name: "a 1 MB search", query: PRODUCTS, variables: { filter: { search: MEGABYTE } } },
  { name: "a 1 MB warehouse filter", query: MOVEMENTS, variables: { warehouse: MEGABYTE } },
];

/** Refused by GraphQL itself: a value that is not an Int where an Int goes. */
const notAnInt: Case[] = [
  ...[
    ["2^31", 2 ** 31],
    ["-2^31 - 1", -(2 ** 31) - 1],
    ["1.5", 1.5],
    ["a string", "5"],
  ].flatMap(([what, value]): Case[] => [
    { name: `receiveStock quantity ${what} (variable)`, query: RECEIVE, variables: { input: { sku: SKU, quantity: value } } },
    { name: `adjustStock delta ${what} (variable)`, query: ADJUST, variables: { input: { sku: SKU, delta: value, reason: "r" } } },
    { name: `reserveStock ttlSeconds ${what} (variable)`, query: RESERVE, variables: { input: { orderId: uniqueSku("I"), items: [line()], ttlSeconds: value } } },
    { name: `products first ${what} (variable)`, query: PRODUCTS, variables: { first: value } },
  ]),
  ...["2147483648", "1.5", `"5"`, "1e400"].map(
    (literal): Case => ({
      name: `receiveStock quantity ${literal} (literal)`,
      query: `mutation { receiveStock(input: { sku: "${SKU}", quantity: ${literal} }) { errors { code } } }`,
    }),
  ),
  { name: "reserveStock items that are not a list of lines", query: RESERVE, variables: { input: { orderId: uniqueSku("X"), items: "all of it" } } },
  { name: "reserveStock a line without quantity", query: RESERVE, variables: { input: { orderId: uniqueSku("X"), items: [{ sku: SKU }] } } },
  { name: "an unknown input field", query: RECEIVE, variables: { input: { sku: SKU, quantity: 1, price: 5 } } },
  { name: "a 1 MB string where an Int goes", query: RECEIVE, variables: { input: { sku: SKU, quantity: MEGABYTE } } },
  { name: "a 1 MB unknown input field", query: RECEIVE, variables: { input: { sku: SKU, quantity: 1, [MEGABYTE.slice(0, 100_000)]: 1 } } },
];

/** Well-formed, but a business rule says no: a StockError in the payload. */
const refusals: Array<Case & { field: string; code: string }> = [
  ...(() => {
    const nope = uniqueSku("NOSUCH");
    return [
      { name: "receiveStock unknown sku", query: RECEIVE, variables: { input: { sku: nope, quantity: 1 } } },
      { name: "adjustStock unknown sku", query: ADJUST, variables: { input: { sku: nope, delta: 1, reason: "r" } } },
      { name: "setLowStockThreshold unknown sku", query: THRESHOLD, variables: { input: { sku: nope, threshold: 1 } } },
      { name: "reserveStock unknown sku", query: RESERVE, variables: { input: { orderId: uniqueSku("U"), items: [line(), line({ sku: nope })] } } },
      { name: "deductStock unknown sku", query: DEDUCT, variables: { input: { items: [line(), line({ sku: nope })] } } },
      { name: "returnStock unknown sku", query: RETURN, variables: { input: { sku: nope, quantity: 1 } } },
    ].map((c) => ({ ...c, field: c.query.match(/\{ (\w+)\(/)![1]!, code: "PRODUCT_NOT_FOUND" }));
  })(),
  ...(() => {
    const nope = uniqueSku("NOWH");
    return [
      { name: "createProduct unknown warehouse", query: CREATE_PRODUCT, variables: { input: { sku: uniqueSku("N"), name: "n", initialStock: 1, warehouse: nope } } },
      { name: "receiveStock unknown warehouse", query: RECEIVE, variables: { input: { sku: SKU, quantity: 1, warehouse: nope } } },
      { name: "adjustStock unknown warehouse", query: ADJUST, variables: { input: { sku: SKU, delta: 1, reason: "r", warehouse: nope } } },
      { name: "setLowStockThreshold unknown warehouse", query: THRESHOLD, variables: { input: { sku: SKU, threshold: 1, warehouse: nope } } },
      { name: "reserveStock unknown warehouse", query: RESERVE, variables: { input: { orderId: uniqueSku("U"), items: [line(), line({ warehouse: nope })] } } },
      { name: "deductStock unknown warehouse", query: DEDUCT, variables: { input: { items: [line(), line({ warehouse: nope })] } } },
      { name: "returnStock unknown warehouse", query: RETURN, variables: { input: { sku: SKU, quantity: 1, warehouse: nope } } },
    ].map((c) => ({ ...c, field: c.query.match(/\{ (\w+)\(/)![1]!, code: "WAREHOUSE_NOT_FOUND" }));
  })(),
  ...(() => {
    const nope = uniqueSku("NOORDER");
    return [
      { name: "confirmReservation unknown order", query: CONFIRM, variables: { input: { orderId: nope } } },
      { name: "releaseReservation unknown order", query: RELEASE, variables: { input: { orderId: nope } } },
      { name: "extendReservation unknown order", query: EXTEND, variables: { input: { orderId: nope, ttlSeconds: 60 } } },
      { name: "returnStock for an order that bought nothing", query: RETURN, variables: { input: { orderId: nope, sku: SKU, quantity: 1 } } },
    ].map((c) => ({ ...c, field: c.query.match(/\{ (\w+)\(/)![1]!, code: "RESERVATION_NOT_FOUND" }));
  })(),
  { name: "reserveStock more than is available", query: RESERVE, variables: { input: { orderId: uniqueSku("BIG"), items: [line({ quantity: 1_000_000 })] } }, field: "reserveStock", code: "INSUFFICIENT_STOCK" },
];

function suite(backend: Backend) {
  return () => {
    let t: TestService;

    beforeAll(async () => {
      t = await startTestService(backend, { expirySweepMs: 3_600_000 });
      const w = await must(t, CREATE_WAREHOUSE, { input: { code: WH, name: "Probe warehouse" } });
      expect(w.createWarehouse.errors).toEqual([]);
      const p = await must(t, CREATE_PRODUCT, { input: { sku: SKU, name: "Probe", initialStock: 100 } });
      expect(p.createProduct.errors).toEqual([]);
      expect((await must(t, RECEIVE, { input: { sku: SKU, quantity: 50, warehouse: WH } })).receiveStock.errors).toEqual([]);
      const r = await must(t, RESERVE, { input: { orderId: ORDER, items: [line({ quantity: 2 })] } });
      expect(r.reserveStock.errors).toEqual([]);
    });
    afterAll(() => t?.close());

    /** Sends the case; whatever the answer, its errors must not leak internals or echo a huge input. */
    async function send(c: Case): Promise<GqlAnswer> {
      const res = await t.gql(c.query, c.variables ?? {});
      expectNoLeak(res);
      return res;
    }

    /** Sends the case and checks that nothing at all changed. */
    async function unchanged(c: Case): Promise<GqlAnswer> {
      const before = await fingerprint(t);
      const res = await send(c);
      expect(await fingerprint(t)).toEqual(before);
      return res;
    }

    it.each(badUserInput)("BAD_USER_INPUT: $name", async (c) => {
      const res = await unchanged(c);
      expect(res.errors, `answered ${JSON.stringify(res).slice(0, 300)}`).toBeDefined();
      expect(res.errors!.map((e) => e.extensions?.code)).toEqual(res.errors!.map(() => "BAD_USER_INPUT"));
    });

    it.each(notAnInt)("refused by GraphQL validation: $name", async (c) => {
      const res = await unchanged(c);
      expect(res.data, `answered ${JSON.stringify(res).slice(0, 300)}`).toBeUndefined();
      expect(res.errors!.length).toBeGreaterThan(0);
      for (const e of res.errors!) expect(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]).toContain(e.extensions?.code);
    });

    it.each(refusals)("StockError $code in the payload: $name", async (c) => {
      const res = await unchanged(c);
      expect(res.errors, `answered ${JSON.stringify(res).slice(0, 300)}`).toBeUndefined();
      expect(res.data[c.field].errors).toMatchObject([{ code: c.code }]);
    });

    it("queries naming what does not exist: null, or the StockErrorCode as the error's code", async () => {
      expect((await unchanged({ name: "", query: PRODUCT, variables: { sku: uniqueSku("NOSUCH") } })).data).toEqual({ product: null });
      expect((await unchanged({ name: "", query: RESERVATION, variables: { orderId: uniqueSku("NOSUCH") } })).data).toEqual({ reservation: null });
      const check = await unchanged({ name: "", query: CHECK, variables: { items: [line(), line({ sku: uniqueSku("NOSUCH") })] } });
      expect(check.errors?.map((e) => e.extensions?.code)).toEqual(["PRODUCT_NOT_FOUND"]);
      const wh = await unchanged({ name: "", query: LOW, variables: { warehouse: uniqueSku("NOWH") } });
      expect(wh.errors?.map((e) => e.extensions?.code)).toEqual(["WAREHOUSE_NOT_FOUND"]);
    });

    it("refuses a body over the 1 MB limit without touching anything", async () => {
      const before = await fingerprint(t);
      const res = await t.gql(RECEIVE, { input: { sku: SKU, quantity: 1, reason: "x".repeat(2_000_000) } });
      expectNoLeak(res);
      expect(res.status).toBe(413);
      expect(res.data).toBeUndefined();
      expect(res.errors?.[0]?.message).toMatch(/larger than/);
      expect(await fingerprint(t)).toEqual(before);
    });

    /** Refused as a whole, before any of it runs. */
    function refusedWhole(res: GqlAnswer, what: string) {
      expect(res.data ?? null, `${what} was answered`).toBeNull();
      expect(res.errors?.length).toBeGreaterThan(0);
      for (const e of res.errors!) expect(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]).toContain(e.extensions?.code);
    }

    it("bounds the depth of a query", async () => {
      // A product with one level, so the unbounded answer is 40 objects. With two levels it would be
      // 2^20: a query like this, on any product stocked in two warehouses, exhausts the server's heap.
      const flat = uniqueSku("DEEP");
      expect((await must(t, CREATE_PRODUCT, { input: { sku: flat, name: "Deep", initialStock: 1 } })).createProduct.errors).toEqual([]);
      let nested = "id";
      for (let i = 0; i < 40; i++) nested = i % 2 === 0 ? `product { ${nested} }` : `levels { ${nested} }`;
      const deep = await unchanged({ name: "deep", query: `query($sku: String!) { product(sku: $sku) { ${nested} } }`, variables: { sku: flat } });
      refusedWhole(deep, "a query 40 levels deep");
    });

    it("bounds the cost of a query", async () => {
      // Shallow, few aliases and fields, but up to 5 × 500 × 500 movements.
      const page = `products(first: 500) { nodes { sku movements(first: 500) { nodes { id sku warehouse } } } }`;
      const costly = await unchanged({ name: "costly", query: `{ ${Array.from({ length: 5 }, (_, i) => `p${i}: ${page}`).join("\n")} }` });
      refusedWhole(costly, "5 pages of 500 products with 500 movements each");
    });

    it("accepts the edges of every range", async () => {
      const sku = uniqueSku("EDGE").padEnd(64, "E");
      const created = await must(t, CREATE_PRODUCT, { input: { sku, name: "n".repeat(200), initialStock: 1_000_000 } });
      expect(created.createProduct.errors).toEqual([]);
      const adjusted = await must(t, ADJUST, { input: { sku, delta: -1_000_000, reason: "r".repeat(500) } });
      expect(adjusted.adjustStock).toMatchObject({ level: { onHand: 0 }, errors: [] });
      expect((await must(t, ADJUST, { input: { sku, delta: 1_000_000, reason: "back" } })).adjustStock.errors).toEqual([]);
      const orderId = `${"o".repeat(121)}-ÄÖ 注文!`; // printable, 128 characters
      expect(orderId).toHaveLength(128);
      // 100 lines: 50 of the probe in MAIN, 49 in the other warehouse, one of the 64-character sku.
      const items = [...lines(50), ...Array.from({ length: 49 }, () => line({ warehouse: WH })), { sku, quantity: 999_999 }];
      const r = await must(t, RESERVE, { input: { orderId, items, ttlSeconds: 86_400 } });
      expect(r.reserveStock.errors).toEqual([]);
      expect((await must(t, EXTEND, { input: { orderId, ttlSeconds: 1 } })).extendReservation.errors).toEqual([]);
      expect((await must(t, RELEASE, { input: { orderId } })).releaseReservation.errors).toEqual([]);
      const code = uniqueSku("EDGE").padEnd(64, "W");
      expect((await must(t, CREATE_WAREHOUSE, { input: { code, name: "w".repeat(200) } })).createWarehouse.errors).toEqual([]);
      for (const first of [1, 500]) {
        await must(t, PRODUCTS, { first });
        await must(t, MOVEMENTS, { first });
        await must(t, RESERVATIONS, { first });
        await must(t, LOW, { first });
        await must(t, ALERTS, { first });
      }
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });
  };
}

describe("bad input over HTTP (PGlite)", suite("pglite"));
describe.skipIf(!hasRealPostgres())("bad input over HTTP (PostgreSQL)", suite("postgres"));
