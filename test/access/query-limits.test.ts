// The query limits let real clients through: the playground's introspection,
// a dashboard's big page; and the cost follows the variables of each request.
import { getIntrospectionQuery } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUERY_LIMITS } from "../../src/graphql/query-limits.js";
import { startTestService, type TestService } from "../support/service.js";

describe("query limits", () => {
  let svc: TestService;

  const post = async (query: string, variables: Record<string, unknown> = {}, key: string | null = null) => {
    const res = await fetch(svc.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: any[] }) };
  };

  beforeAll(async () => {
    svc = await startTestService("pglite");
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("let the playground introspect the schema, over HTTP and WebSocket", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
    const r = await post(query);
    expect(r.errors).toBeUndefined();
    expect(r.data.__schema.queryType.name).toBe("Query");

    const client = createClient({ url: svc.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: {}, retryAttempts: 0 });
    try {
      const result = await new Promise<any>((resolve) => client.subscribe({ query }, { next: resolve, error: (e) => resolve({ errors: e }), complete: () => {} }));
      expect(result.errors).toBeUndefined();
      expect(result.data.__schema.queryType.name).toBe("Query");
    } finally {
      await client.dispose();
    }
  });

  it("let a dashboard read a full page of products with their levels", async () => {
    const r = await post(`query($n: Int) { products(first: $n) { totalCount pageInfo { hasNextPage endCursor } nodes {
      sku name createdAt updatedAt stock { onHand reserved available lowStock outOfStock }
      levels { id onHand reserved available lowStockThreshold lowStock version warehouse { code name } } } } }`, { n: 500 });
    expect(r.errors).toBeUndefined();
  });

  it("price pages by the `first` of each request, whatever was asked before", async () => {
    const query = `query($n: Int, $m: Int) { products(first: $n) { nodes { sku movements(first: $m) { nodes { sku actor } } } } }`;
    expect((await post(query, { n: 10, m: 10 }, svc.adminKey)).errors).toBeUndefined();
    const big = await post(query, { n: 500, m: 500 }, svc.adminKey);
    expect(big.status).toBe(400);
    expect(big.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxComplexity", max: QUERY_LIMITS.maxComplexity });
    expect(big.errors?.[0]?.message).toMatch(/estimated cost is \d+; at most/);
    expect((await post(query, { n: 10, m: 10 }, svc.adminKey)).errors).toBeUndefined();

    // A request whose variables do not fit is refused for that; the next one is not.
    const fixed = `query($s: String!) { product(sku: $s) { sku } }`;
    expect((await post(fixed, { s: 5 })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await post(fixed, { s: "NOPE" })).errors).toBeUndefined();
  });

  it("price nodes(ids) by how many ids it is given, and take at most 100", async () => {
    const created = await post(`mutation { createProduct(input: { sku: "NODE-PRICE", name: "n" }) { product { id } errors { code } } }`, {}, svc.adminKey);
    const id = created.data.createProduct.product.id as string;
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { movements(first: 500) { nodes { sku actor } } } } }`;
    const ids = (n: number) => Array.from({ length: n }, () => id);
    expect((await post(query, { ids: ids(1) }, svc.adminKey)).errors).toBeUndefined();
    const many = await post(query, { ids: ids(100) }, svc.adminKey);
    expect(many.status).toBe(400);
    expect(many.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxComplexity" });
    expect((await post(query, { ids: ids(1) }, svc.adminKey)).errors).toBeUndefined();

    const plain = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    const hundred = await post(plain, { ids: ids(100) });
    expect(hundred.errors).toBeUndefined();
    expect(hundred.data.nodes).toHaveLength(100);
    const tooMany = await post(plain, { ids: ids(101) });
    expect(tooMany.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(tooMany.errors?.[0]?.message).toMatch(/at most 100 ids/);
    expect(tooMany.data).toBeNull();
  });
});
