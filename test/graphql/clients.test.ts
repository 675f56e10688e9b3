// The GraphQL clients frontend teams use, each against the real server with its
// default settings: Apollo Client (HTTP, graphql-ws), urql (queries as GET,
// subscriptions over graphql-sse) and graphql-sse's own client.
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { Client as UrqlClient, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import { OperationTypeNode } from "graphql";
import { getMainDefinition } from "@apollo/client/utilities";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { startTestService, type TestService, uniqueSku } from "../support/service.js";

const backend = hasRealPostgres() ? "postgres" : "pglite";

const PRODUCT = `query Product($sku: String!) { product(sku: $sku) { sku stock { onHand } } }`;
const RECEIVE = `mutation Receive($input: ReceiveStockInput!) { receiveStock(input: $input) { level { onHand } errors { code } } }`;
const CHANGES = `subscription Changes($skus: [String!]) { stockChanged(skus: $skus) { sequence movement { type onHandDelta } level { onHand } } }`;

/** The first `n` items of an async stream, then ends it. */
async function take<T>(stream: AsyncIterable<T>, n: number): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) {
    items.push(item);
    if (items.length === n) break;
  }
  return items;
}

describe(`GraphQL clients against the server (${backend})`, () => {
  let svc: TestService;
  let key: string;
  let sku: string;
  const receive = (quantity: number) => svc.gql(RECEIVE, { input: { sku, quantity } });

  beforeAll(async () => {
    svc = await startTestService(backend);
    sku = uniqueSku("CLIENTS");
    const created = await svc.gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, { i: { sku, name: "clients", initialStock: 10 } });
    expect(created.data.createProduct.errors).toEqual([]);
    key = svc.adminKey;
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("Apollo Client: a query and a mutation over HTTP, a subscription over graphql-ws", async () => {
    const ws = createWsClient({ url: svc.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const http = new HttpLink({ uri: svc.url, headers: { authorization: `Bearer ${key}` } });
    const link = ApolloLink.split(
      ({ query }) => {
        const d = getMainDefinition(query);
        return d.kind === "OperationDefinition" && d.operation === OperationTypeNode.SUBSCRIPTION;
      },
      new GraphQLWsLink(ws),
      http,
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    try {
      const before = await client.query({ query: gql(PRODUCT), variables: { sku }, fetchPolicy: "network-only" });
      expect(before.error).toBeUndefined();
      const onHand = (before.data as any).product.stock.onHand as number;

      const events: any[] = [];
      const subscription = client.subscribe({ query: gql(CHANGES), variables: { skus: [sku] } }).subscribe({ next: (r) => events.push(r) });
      try {
        await new Promise((r) => setTimeout(r, 300)); // the subscription is established on the server
        const received = await client.mutate({ mutation: gql(RECEIVE), variables: { input: { sku, quantity: 3 } } });
        expect((received.data as any).receiveStock).toMatchObject({ level: { onHand: onHand + 3 }, errors: [] });
        const deadline = Date.now() + 10_000;
        while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(events[0]?.data?.stockChanged).toMatchObject({ movement: { type: "RECEIVE", onHandDelta: 3 }, level: { onHand: onHand + 3 } });
      } finally {
        subscription.unsubscribe();
      }
    } finally {
      client.stop();
      await ws.dispose();
    }
  });

  it("Apollo Client's normalized cache: a mutation's payload updates the levels a query showed, by their ids", async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: svc.url, headers: { authorization: `Bearer ${key}` } }), cache: new InMemoryCache() });
    const shown = gql(`query Shown($sku: String!) { product(sku: $sku) { id sku levels { id onHand reserved available } } }`);
    try {
      const before = await client.query({ query: shown, variables: { sku }, fetchPolicy: "network-only" });
      const level = (before.data as any).product.levels[0];
      const reserve = gql(`mutation Hold($input: ReserveStockInput!) { reserveStock(input: $input) { levels { id reserved available } errors { code } } }`);
      const held = await client.mutate({ mutation: reserve, variables: { input: { orderId: uniqueSku("APOLLO"), items: [{ sku, quantity: 2 }] } } });
      expect((held.data as any).reserveStock.errors).toEqual([]);
      // No refetch: the cache already has the level as the hold left it.
      const cached = client.readQuery({ query: shown, variables: { sku } }) as any;
      expect(cached.product.levels[0]).toEqual({ ...level, reserved: level.reserved + 2, available: level.available - 2 });
    } finally {
      client.stop();
    }
  });

  it("urql with its defaults: queries as GET without a preflight header, a mutation as POST, a subscription over graphql-sse", async () => {
    const sent: Array<{ method: string; url: string }> = [];
    const sse = createSseClient({ url: svc.url, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const client = new UrqlClient({
      url: svc.url,
      fetchOptions: { headers: { authorization: `Bearer ${key}` } },
      fetch: (input, init) => {
        sent.push({ method: init?.method ?? "GET", url: String(input) });
        return fetch(input, init);
      },
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...request, query: request.query ?? "" }, sink as never) }),
          }),
        }),
      ],
    });
    try {
      const before = await client.query(PRODUCT, { sku }, { requestPolicy: "network-only" }).toPromise();
      expect(before.error).toBeUndefined();
      expect(sent[0]?.method, "urql sends a query as GET").toBe("GET");
      const onHand = before.data.product.stock.onHand as number;

      const events: any[] = [];
      const { unsubscribe } = client.subscription(CHANGES, { skus: [sku] }).subscribe((r) => events.push(r));
      try {
        await new Promise((r) => setTimeout(r, 300));
        const received = await client.mutation(RECEIVE, { input: { sku, quantity: 2 } }).toPromise();
        expect(received.error).toBeUndefined();
        expect(sent.at(-1)?.method, "a mutation is POSTed").toBe("POST");
        expect(received.data.receiveStock).toMatchObject({ level: { onHand: onHand + 2 }, errors: [] });
        const deadline = Date.now() + 10_000;
        while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(events[0]?.error).toBeUndefined();
        expect(events[0]?.data?.stockChanged).toMatchObject({ movement: { type: "RECEIVE", onHandDelta: 2 }, level: { onHand: onHand + 2 } });
      } finally {
        unsubscribe();
      }
    } finally {
      sse.dispose();
    }
  });

  it("graphql-sse's client: a query, a mutation and a subscription over Server-Sent Events", async () => {
    const client = createSseClient({ url: svc.url, headers: { authorization: `Bearer ${key}` } });
    try {
      const [before] = await take(client.iterate({ query: PRODUCT, variables: { sku } }), 1);
      expect(before!.errors).toBeUndefined();
      const onHand = (before!.data as any).product.stock.onHand as number;

      const events = take(client.iterate({ query: CHANGES, variables: { skus: [sku] } }), 1);
      await new Promise((r) => setTimeout(r, 300));
      const [received] = await take(client.iterate({ query: RECEIVE, variables: { input: { sku, quantity: 4 } } }), 1);
      expect((received!.data as any).receiveStock).toMatchObject({ level: { onHand: onHand + 4 }, errors: [] });
      const [change] = await events;
      expect((change!.data as any).stockChanged).toMatchObject({ movement: { type: "RECEIVE", onHandDelta: 4 }, level: { onHand: onHand + 4 } });

      // One mutation, one change: nothing was retried.
      const after = await receive(1);
      expect(after.data.receiveStock.level.onHand).toBe(onHand + 5);
    } finally {
      client.dispose();
    }
  });
});
