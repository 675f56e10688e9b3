// Global ids and node/nodes over real HTTP, on PGlite and on real PostgreSQL:
// every type that implements Node comes back by its id; ids are unique across
// types; ids the service never handed out are clear errors, ids of nothing are
// null; the old numeric ids stay readable as databaseId and still page
// lowStockLevels; one statement per type however many ids.
import { isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";
import { hasRealPostgres } from "../support/databases.js";
import { idsByType, lotFixture, nodeTypes, ONE_OF_EACH_NODE, transferFixture } from "../support/node-fixtures.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { dataOf, expectNoLeak, must, statements } from "./helpers.js";

const schema = await createSchema({ publicRead: true });
const NODE_TYPES = nodeTypes(schema);
const b64 = (s: string) => Buffer.from(s).toString("base64");
const decoded = (id: string) => Buffer.from(id, "base64").toString();

function suite(backend: Backend) {
  return () => {
    let t: TestService;
    let sku: string;
    let orderId: string;
    let ids: Map<string, string>;

    const gql = (query: string, variables: Record<string, unknown> = {}, key?: string | null) => must(t, query, variables, key);

    beforeAll(async () => {
      t = await startTestService(backend);
      sku = uniqueSku("NODE");
      orderId = uniqueSku("NODE-ORDER");
      expect((await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, {
        i: { sku, name: "node", initialStock: 10, lowStockThreshold: 5 },
      })).createProduct.errors).toEqual([]);
      expect((await gql(`mutation($i: ReserveStockInput!) { reserveStock(input: $i) { errors { code } } }`, {
        i: { orderId, items: [{ sku, quantity: 6 }] },
      })).reserveStock.errors).toEqual([]);
      const lotSku = uniqueSku("NODE-LOT");
      expect((await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: lotFixture(lotSku) })).createProduct.errors).toEqual([]);
      const to = uniqueSku("NODE-WH");
      await gql(`mutation($c: String!) { createWarehouse(input: { code: $c, name: "to" }) { errors { code } } }`, { c: to });
      const transfer = transferFixture(uniqueSku("NODE-T"), sku, to);
      expect((await gql(`mutation($i: CreateTransferInput!) { createTransfer(input: $i) { errors { code } } }`, { i: transfer })).createTransfer.errors).toEqual([]);
      ids = idsByType(await gql(ONE_OF_EACH_NODE, { sku, orderId, lotSku }));
    });
    afterAll(() => t?.close());

    it("has an object of every type that implements Node in its fixture", () => {
      expect(NODE_TYPES.filter((type) => !ids.has(type)), "give each a selection in test/support/node-fixtures.ts").toEqual([]);
    });

    it("gives every object an id no object of another type has: base64 of its type and row", async () => {
      const all = [...ids.values()];
      expect(new Set(all).size).toBe(all.length);
      for (const [type, id] of ids) expect(decoded(id)).toMatch(new RegExp(`^${type}:[1-9]\\d*$`));
      // A fresh database: the first product, warehouse and level are all row 1, and still told apart.
      const d = await gql(`query($s: String!) { product(sku: $s) { id databaseId levels { id databaseId warehouse { id databaseId code } } } }`, { s: sku });
      const main = d.product.levels.find((l: any) => l.warehouse.code === "MAIN");
      expect([d.product.databaseId, main.databaseId, main.warehouse.databaseId]).toEqual([1, 1, 1]);
      expect(new Set([d.product.id, main.id, main.warehouse.id]).size).toBe(3);
    });

    it("returns every type by its id, with node and with nodes in the order asked", async () => {
      for (const type of NODE_TYPES) {
        const id = ids.get(type)!;
        const d = await gql(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
        expect(d.node, type).toEqual({ __typename: type, id });
      }
      const asked = [...NODE_TYPES].reverse().map((type) => ids.get(type)!);
      const d = await gql(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids: asked });
      expect(d.nodes.map((n: any) => n.id)).toEqual(asked);
      expect(d.nodes.map((n: any) => n.__typename)).toEqual([...NODE_TYPES].reverse());
    });

    it("reads an object through node as through the fields that return it", async () => {
      const q = `query($s: String!, $o: String!) {
        product(sku: $s) { id sku name stock { id onHand reserved available lowStock outOfStock } levels { id onHand reserved available version warehouse { id code } } }
        reservation(orderId: $o) { id orderId status lines { quantity level { id reserved } } }
        stockAlerts(first: 1) { nodes { id kind sequence threshold } }
        stockMovements(first: 1, newestFirst: true) { nodes { id sequence type } } }`;
      const d = await gql(q, { s: sku, o: orderId });
      const level = d.product.levels[0];
      const byNode = await gql(
        `query($ids: [ID!]!) { nodes(ids: $ids) {
          ... on Product { id sku name }
          ... on StockSummary { id onHand reserved available lowStock outOfStock }
          ... on StockLevel { id onHand reserved available version warehouse { id code } }
          ... on Reservation { id orderId status }
          ... on StockAlert { id kind sequence threshold }
          ... on StockMovement { id sequence type } } }`,
        { ids: [d.product.id, d.product.stock.id, level.id, d.reservation.id, d.stockAlerts.nodes[0].id, d.stockMovements.nodes[0].id] },
      );
      const { levels: _levels, stock, ...product } = d.product;
      const { lines: _lines, ...reservation } = d.reservation;
      expect(byNode.nodes).toEqual([product, stock, level, reservation, d.stockAlerts.nodes[0], d.stockMovements.nodes[0]]);
      // The reservation's line holds from that very level.
      expect(d.reservation.lines).toEqual([{ quantity: 6, level: { id: level.id, reserved: 6 } }]);
    });

    it("keeps the numeric ids of before readable: databaseId, and sequence for the ledger", async () => {
      const d = await gql(`query($s: String!, $o: String!) {
        product(sku: $s) { id databaseId levels { id databaseId warehouse { id databaseId } } }
        reservation(orderId: $o) { id databaseId }
        stockMovements(first: 1, newestFirst: true) { nodes { id sequence } }
        stockAlerts(first: 1) { nodes { id sequence } } }`, { s: sku, o: orderId });
      const level = d.product.levels[0];
      expect(decoded(d.product.id)).toBe(`Product:${d.product.databaseId}`);
      expect(decoded(level.id)).toBe(`StockLevel:${level.databaseId}`);
      expect(decoded(level.warehouse.id)).toBe(`Warehouse:${level.warehouse.databaseId}`);
      expect(decoded(d.reservation.id)).toBe(`Reservation:${d.reservation.databaseId}`);
      expect(decoded(d.stockMovements.nodes[0].id)).toBe(`StockMovement:${d.stockMovements.nodes[0].sequence}`);
      expect(decoded(d.stockAlerts.nodes[0].id)).toBe(`StockAlert:${d.stockAlerts.nodes[0].sequence}`);
    });

    it("answers null for an id of nothing, and a clear error for an id it never handed out", async () => {
      const gone = [b64("Product:2147483647"), b64("Reservation:9007199254740991"), b64("StockSummary:2147483647")];
      const none = await t.gql(`query($ids: [ID!]!) { a: node(id: "${gone[0]}") { id } nodes(ids: $ids) { id } }`, { ids: gone });
      expect(dataOf(none)).toEqual({ a: null, nodes: [null, null, null] });

      const productId = ids.get("Product")!;
      const refused = [
        ["the old numeric id", "1"],
        ["empty", ""],
        ["not base64", "Product:1"],
        ["another type's name", b64("User:1")],
        ["a type without ids", b64("PageInfo:1")],
        ["a cursor", Buffer.from("product:1").toString("base64url")],
        ["no row id", b64("Product:")],
        ["a row id of 0", b64("Product:0")],
        ["a row id with a leading zero", b64("Product:01")],
        ["a row id past the column", b64("Product:2147483648")],
        ["another spelling of a valid id", `${productId}\n`],
        ["far too long", "QUFB".repeat(1000)],
      ];
      for (const [label, id] of refused) {
        const r = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id });
        expectNoLeak(r);
        expect(r.status, label).toBe(200);
        expect(r.data, label).toEqual({ node: null });
        expect(r.errors?.map((e) => [e.extensions?.code, e.path]), label).toEqual([["BAD_USER_INPUT", ["node"]]]);
        expect(r.errors?.[0]?.message, label).toMatch(/is not the id of an object of this service/);
      }
      // In a list, each id stands alone: the good ones come back beside the refused one's error.
      const mixed = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [productId, "1", gone[0]] });
      expect(mixed.data).toEqual({ nodes: [{ id: productId }, null, null] });
      expect(mixed.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["BAD_USER_INPUT", ["nodes", 1]]]);
    });

    it("reads each type once per request, however many ids", async () => {
      const skus = Array.from({ length: 20 }, () => uniqueSku("NODE-N"));
      for (const s of skus) await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku: s, name: s, initialStock: 1 } });
      const d = await gql(`{ products(first: 500, filter: { search: "NODE-N" }) { nodes { sku id stock { id } levels { id } } } }`);
      const mine = d.products.nodes.filter((p: any) => skus.includes(p.sku));
      expect(mine).toHaveLength(20);
      const idsOf = (n: number) => mine.slice(0, n).flatMap((p: any) => [p.id, p.stock.id, p.levels[0].id]);
      const Q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on StockLevel { warehouse { code } } } }`;
      expect((await gql(Q, { ids: idsOf(20) })).nodes).toHaveLength(60);
      const two = await statements(t, Q, { ids: idsOf(2) });
      expect(await statements(t, Q, { ids: idsOf(20) })).toBe(two);
      // Products, summaries (their levels), levels and warehouses: one statement each at most.
      expect(two).toBeLessThanOrEqual(4);
    });

    it("pages lowStockLevels after a level's id, as after its numeric id before", async () => {
      const low = uniqueSku("NODE-LOW");
      await gql(`mutation { a: createProduct(input: { sku: "${low}-A", name: "a", initialStock: 1, lowStockThreshold: 9 }) { errors { code } }
        b: createProduct(input: { sku: "${low}-B", name: "b", initialStock: 2, lowStockThreshold: 9 }) { errors { code } } }`);
      const Q = `query($after: String) { lowStockLevels(first: 500, after: $after) { id databaseId product { sku } } }`;
      const all = (await gql(Q)).lowStockLevels;
      const at = all.findIndex((l: any) => l.product.sku === `${low}-A`);
      expect(at).toBeGreaterThanOrEqual(0);
      const rest = all.slice(at + 1).map((l: any) => l.id);
      expect((await gql(Q, { after: all[at].id })).lowStockLevels.map((l: any) => l.id)).toEqual(rest);
      expect((await gql(Q, { after: String(all[at].databaseId) })).lowStockLevels.map((l: any) => l.id)).toEqual(rest);
      const wrongType = await t.gql(Q, { after: ids.get("Product") });
      expect(wrongType.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(wrongType.errors?.[0]?.message).toMatch(/not the id of a StockLevel/);
    });
  };
}

describe("Node", () => {
  it("is implemented by every object type with an id, so no two objects share one", () => {
    const withOwnId = Object.values(schema.getTypeMap())
      .filter((t) => isObjectType(t) && !t.name.startsWith("__") && "id" in t.getFields())
      .filter((t) => isObjectType(t) && !t.getInterfaces().some((i) => i.name === "Node"))
      .map((t) => t.name);
    expect(withOwnId, "implement Node (docs/graphql.md, A new type)").toEqual([]);
  });
});

describe("node and nodes over HTTP (PGlite)", suite("pglite"));
describe.skipIf(!hasRealPostgres())("node and nodes over HTTP (PostgreSQL)", suite("postgres"));
