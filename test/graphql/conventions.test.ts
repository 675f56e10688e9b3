// What normalized client caches and Relay-style paging expect, over real HTTP
// on PGlite and on real PostgreSQL: complete PageInfo on every connection, a
// connection for low-stock levels, one level named by id or by place (@oneOf),
// payloads that return the levels they changed (fresh, even after an earlier
// mutation of the same request), ReservationLine.level, an identifiable
// StockSummary, and one id for a level whether a query or a subscription shows it.
import { isObjectType, type GraphQLSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";
import { hasRealPostgres } from "../support/databases.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { collect, wsClient } from "../support/ws-client.js";
import { dataOf, must, settle } from "./helpers.js";

const schema: GraphQLSchema = await createSchema({ publicRead: true });
const PAGE_INFO = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

/** The root queries that return a connection: each must page with complete PageInfo. */
const connectionQueries = Object.values(schema.getQueryType()!.getFields())
  .filter((f) => {
    const type = f.type.toString().replace(/!$/, "");
    const named = schema.getType(type);
    return isObjectType(named) && "pageInfo" in named.getFields();
  })
  .map((f) => f.name)
  .sort();

/** Arguments a connection needs besides first and after. */
const REQUIRED_ARGS: Record<string, string> = { expiringLots: "withinDays: 3650," };

/** A date `days` from today, as lots take it. */
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

function suite(backend: Backend) {
  return () => {
    let t: TestService;
    let sku: string;
    let W2: string;
    const gql = (query: string, variables: Record<string, unknown> = {}, key?: string | null) => must(t, query, variables, key);

    beforeAll(async () => {
      t = await startTestService(backend);
      sku = uniqueSku("CONV");
      W2 = uniqueSku("W2");
      await gql(`mutation($c: String!) { createWarehouse(input: { code: $c, name: "second" }) { errors { code } } }`, { c: W2 });
      // Two products, each low in MAIN, with movements, alerts and reservations: two of everything to page through.
      for (const s of [sku, `${sku}-B`]) {
        const d = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, {
          i: { sku: s, name: s, initialStock: 10, lowStockThreshold: 8 },
        });
        expect(d.createProduct.errors).toEqual([]);
        await gql(`mutation($s: String!, $w: String!) { receiveStock(input: { sku: $s, quantity: 5, warehouse: $w }) { errors { code } } }`, { s, w: W2 });
        for (const n of [1, 2]) {
          const r = await gql(`mutation($i: ReserveStockInput!) { reserveStock(input: $i) { errors { code } } }`, {
            i: { orderId: `${s}-order-${n}`, items: [{ sku: s, quantity: 2 }] },
          });
          expect(r.reserveStock.errors).toEqual([]);
        }
      }
      // Two lots expiring within the year.
      const lots = `${sku}-LOTS`;
      const made = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, {
        i: { sku: lots, name: lots, tracksLots: true, initialStock: 3, initialLot: { code: "L1", expiresOn: inDays(100) } },
      });
      expect(made.createProduct.errors).toEqual([]);
      const received = await gql(`mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, {
        i: { sku: lots, quantity: 3, lot: { code: "L2", expiresOn: inDays(200) } },
      });
      expect(received.receiveStock.errors).toEqual([]);
      await settle(t);
    });
    afterAll(() => t?.close());

    it("completes PageInfo on every connection: start and end cursors, and whether pages come before and after", async () => {
      const withTwoPages = ["expiringLots", "lowStockLevelConnection", "products", "reservations", "stockAlerts", "stockMovements", "Product.movements"];
      expect(connectionQueries).toEqual(expect.arrayContaining(withTwoPages.filter((n) => !n.includes("."))));
      const paged: Array<[string, string]> = [
        ...connectionQueries.map((name): [string, string] => [name, `${name}(${REQUIRED_ARGS[name] ?? ""} first: $first, after: $after)`]),
        ["Product.movements", `product(sku: "${sku}") { movements(first: $first, after: $after)`],
      ];
      const cursors = (c: any) => ({ startCursor: c.edges[0]?.cursor ?? null, endCursor: c.edges.at(-1)?.cursor ?? null });
      for (const [name, field] of paged) {
        const closing = field.includes("{") ? "}" : "";
        const q = `query($first: Int, $after: String) { ${field} { edges { cursor } ${PAGE_INFO} } ${closing} }`;
        const pick = (d: any) => (closing ? d.product.movements : d[name]);
        const first = pick(await gql(q, { first: 1 }));
        expect(first.pageInfo, name).toEqual({ hasNextPage: first.pageInfo.hasNextPage, hasPreviousPage: false, ...cursors(first) });
        if (withTwoPages.includes(name)) expect(first.pageInfo.hasNextPage, `${name}: the fixture gives it two pages`).toBe(true);
        if (first.pageInfo.hasNextPage) {
          const second = pick(await gql(q, { first: 1, after: first.pageInfo.endCursor }));
          expect(second.edges, name).toHaveLength(1);
          expect(second.pageInfo, name).toMatchObject({ hasPreviousPage: true, ...cursors(second) });
          expect(second.edges[0].cursor, name).not.toBe(first.edges[0].cursor);
        }
        const all = pick(await gql(q, { first: 500 }));
        expect(all.pageInfo, name).toEqual({ hasNextPage: false, hasPreviousPage: false, ...cursors(all) });
      }
      // An empty page has no cursors.
      const empty = await gql(`{ products(first: 5, filter: { search: "NO-SUCH-PRODUCT-AT-ALL" }) { edges { cursor } ${PAGE_INFO} } }`);
      expect(empty.products.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
    });

    it("pages low-stock levels as a connection, the same levels in the same order as lowStockLevels", async () => {
      const list = (await gql(`{ lowStockLevels(first: 500) { id available } }`)).lowStockLevels;
      expect(list.length).toBeGreaterThanOrEqual(2);
      const seen: any[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const d: any = await gql(`query($after: String) { lowStockLevelConnection(first: 1, after: $after) { nodes { id available } ${PAGE_INFO} } }`, { after });
        seen.push(...d.lowStockLevelConnection.nodes);
        if (!d.lowStockLevelConnection.pageInfo.hasNextPage) break;
        after = d.lowStockLevelConnection.pageInfo.endCursor;
      }
      expect(seen).toEqual(list);
      const byWarehouse = await gql(`query($w: String) { lowStockLevelConnection(warehouse: $w) { nodes { warehouse { code } } } }`, { w: W2 });
      expect(byWarehouse.lowStockLevelConnection.nodes).toEqual([]);
      const bad = await t.gql(`{ lowStockLevelConnection(after: "not-a-cursor") { nodes { id } } }`);
      expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    });

    it("names one level by its id or by product and warehouse, exactly one of them (@oneOf)", async () => {
      const level = (await gql(`query($s: String!) { product(sku: $s) { levels { id onHand warehouse { code } } } }`, { s: sku })).product.levels[1];
      const Q = `query($key: StockLevelKey!) { stockLevel(key: $key) { id onHand warehouse { code } } }`;
      expect((await gql(Q, { key: { id: level.id } })).stockLevel).toEqual(level);
      expect((await gql(Q, { key: { place: { sku, warehouse: level.warehouse.code } } })).stockLevel).toEqual(level);
      // Anonymous callers read it too, as they read a product's levels.
      expect((await gql(Q, { key: { id: level.id } }, null)).stockLevel).toEqual(level);
      // A warehouse where the product has no level: null.
      await gql(`mutation($c: String!) { createWarehouse(input: { code: $c, name: "empty" }) { errors { code } } }`, { c: `${W2}-E` });
      expect((await gql(Q, { key: { place: { sku, warehouse: `${W2}-E` } } })).stockLevel).toBeNull();

      for (const key of [{}, { id: level.id, place: { sku, warehouse: "MAIN" } }, { id: null }]) {
        const r = await t.gql(Q, { key });
        expect(r.errors?.[0]?.extensions?.code, JSON.stringify(key)).toBe("BAD_USER_INPUT");
        expect(r.errors?.[0]?.message, JSON.stringify(key)).toMatch(/exactly one key|must be non-null/i);
      }
      const literal = await t.gql(`{ stockLevel(key: { id: "${level.id}", place: { sku: "${sku}", warehouse: "MAIN" } }) { id } }`);
      expect(literal.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      const product = (await gql(`query($s: String!) { product(sku: $s) { id } }`, { s: sku })).product.id;
      const wrong = await t.gql(Q, { key: { id: product } });
      expect(wrong.errors?.[0]?.message).toMatch(/not the id of a StockLevel/);
      const unknown = await t.gql(Q, { key: { place: { sku: "NO-SUCH-SKU", warehouse: "MAIN" } } });
      expect(unknown.errors?.[0]?.extensions?.code).toBe("PRODUCT_NOT_FOUND");
    });

    it("returns the levels a mutation changed as they are after it, even after an earlier mutation of the request", async () => {
      const o = uniqueSku("CONV-O");
      const LEVELS = `levels { id reserved onHand available }`;
      const d = await gql(
        `mutation($s: String!, $a: String!, $b: String!) {
          a: reserveStock(input: { orderId: $a, items: [{ sku: $s, quantity: 1, warehouse: "MAIN" }] }) { reservation { lines { level { id } } } ${LEVELS} errors { code } }
          b: reserveStock(input: { orderId: $b, items: [{ sku: $s, quantity: 1, warehouse: "MAIN" }] }) { ${LEVELS} errors { code } }
          c: confirmReservation(input: { orderId: $a }) { ${LEVELS} errors { code } }
          d: deductStock(input: { items: [{ sku: $s, quantity: 1, warehouse: "MAIN" }] }) { ${LEVELS} errors { code } }
          e: returnStock(input: { sku: $s, quantity: 1, warehouse: "MAIN" }) { level { id } ${LEVELS} errors { code } }
          f: reserveStock(input: { orderId: $b, items: [{ sku: $s, quantity: 99, warehouse: "MAIN" }] }) { ${LEVELS} errors { code } } }`,
        { s: sku, a: `${o}-a`, b: `${o}-b` },
      );
      // MAIN started at onHand 10, reserved 4 (two orders of 2).
      const id = d.a.reservation.lines[0].level.id;
      expect(d.a.levels).toEqual([{ id, reserved: 5, onHand: 10, available: 5 }]);
      expect(d.b.levels).toEqual([{ id, reserved: 6, onHand: 10, available: 4 }]);
      expect(d.c.levels).toEqual([{ id, reserved: 5, onHand: 9, available: 4 }]);
      expect(d.d.levels).toEqual([{ id, reserved: 5, onHand: 8, available: 3 }]);
      expect(d.e.levels).toEqual([{ id, reserved: 5, onHand: 9, available: 4 }]);
      expect(d.e.level.id).toBe(id);
      expect(d.f).toEqual({ levels: [], errors: [{ code: "DUPLICATE" }] });
      await gql(`mutation($b: String!) { releaseReservation(input: { orderId: $b }) { errors { code } } }`, { b: `${o}-b` });
    });

    it("gives a product's totals an id of their own, which node returns", async () => {
      const d = await gql(`query($s: String!) { product(sku: $s) { id stock { id onHand reserved available } } }`, { s: sku });
      expect(d.product.stock.id).not.toBe(d.product.id);
      const again = await gql(`query($id: ID!) { node(id: $id) { ... on StockSummary { id onHand reserved available } } }`, { id: d.product.stock.id });
      expect(again.node).toEqual(d.product.stock);
    });

    it("shows a level with the same id in a query and in a subscription", async () => {
      const level = (await gql(`query($s: String!) { product(sku: $s) { levels { id warehouse { code } } } }`, { s: sku })).product.levels.find(
        (l: any) => l.warehouse.code === "MAIN",
      );
      const client = wsClient(t.url, t.adminKey);
      const sub = collect(client, `subscription($s: [String!]) { stockChanged(skus: $s) { level { id } } }`, { s: [sku] });
      try {
        // The subscription is live once a change made after it arrives.
        const deadline = Date.now() + 20_000;
        while (sub.items.length === 0 && Date.now() < deadline) {
          await gql(`mutation($s: String!) { receiveStock(input: { sku: $s, quantity: 1 }) { errors { code } } }`, { s: sku });
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(sub.errors).toEqual([]);
        expect(sub.items[0]).toEqual({ stockChanged: { level: { id: level.id } } });
      } finally {
        sub.stop();
        await client.dispose();
      }
    });

    it("serves DateTime with the specification it follows", async () => {
      const d = dataOf(await t.gql(`{ __type(name: "DateTime") { specifiedByURL } }`));
      expect(d).toEqual({ __type: { specifiedByURL: "https://scalars.graphql.org/andimarek/date-time.html" } });
      const oneOf = dataOf(await t.gql(`{ __type(name: "StockLevelKey") { isOneOf } }`));
      expect(oneOf).toEqual({ __type: { isOneOf: true } });
    });
  };
}

describe("GraphQL conventions over HTTP (PGlite)", suite("pglite"));
describe.skipIf(!hasRealPostgres())("GraphQL conventions over HTTP (PostgreSQL)", suite("postgres"));
