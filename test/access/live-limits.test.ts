// What stays open is bounded: WebSockets and subscriptions per key and per
// address, what one event may cost a key's subscriptions, and the bytes a
// socket may have waiting for a reader that does not read. And subscribers
// that differ only in a variable their operation does not use share one
// execution per event.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { hasRealPostgres } from "../support/databases.js";
import { startTestService, type TestService, uniqueSku } from "../support/service.js";
import { fresh } from "./schema-operations.js";

const backend = hasRealPostgres() ? "postgres" : "pglite";

interface RawSocket {
  socket: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  /** Bytes received so far. */
  bytes(): number;
}

/** A graphql-ws socket spoken to by hand; resolves once acknowledged (or closed). */
async function rawSocket(url: string, key: string | null): Promise<RawSocket> {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  const messages: any[] = [];
  let bytes = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  socket.on("message", (d) => {
    bytes += (d as Buffer).length;
    messages.push(JSON.parse(String(d)));
  });
  socket.on("error", () => {});
  await new Promise<void>((resolve) => {
    socket.once("open", () => resolve());
    socket.once("close", () => resolve());
  });
  if (socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: "connection_init", payload: key ? { authorization: `Bearer ${key}` } : {} }));
    await Promise.race([closed, until(() => messages.some((m) => m.type === "connection_ack"))]);
  }
  return { socket, messages, closed, bytes: () => bytes };
}

async function until(condition: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const subscribe = (s: RawSocket, id: string, query: string, variables: Record<string, unknown> = {}) =>
  s.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
const errorOf = (s: RawSocket, id: string) => s.messages.find((m) => m.id === id && m.type === "error")?.payload?.[0];

async function viewerKey(svc: TestService): Promise<string> {
  const r = await svc.gql(`mutation { createApiKey(input: { name: "${fresh("viewer")}", role: VIEWER }) { key } }`);
  return r.data.createApiKey.key;
}

describe(`shared execution of subscriptions (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend);
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("runs one execution per event for 50 sockets × 99 subscriptions that differ only in a variable the operation does not use", async () => {
    const key = await viewerKey(svc);
    const sku = uniqueSku("SHARED");
    await svc.gql(`mutation { createProduct(input: { sku: "${sku}", name: "shared" }) { errors { code } } }`);
    // level.product loads the product: one statement per execution of an event.
    const query = `subscription($s: [String!]) { stockChanged(skus: $s) { sequence level { product { name } } } }`;
    const sockets = await Promise.all(Array.from({ length: 50 }, () => rawSocket(svc.url, key)));
    try {
      for (const [half, range] of [[0, [0, 50]], [1, [50, 99]]] as const) {
        if (half === 1) await new Promise((r) => setTimeout(r, 1100)); // within each socket's message rate
        sockets.forEach((s, i) => {
          for (let j = range[0]; j < range[1]; j++) subscribe(s, `s${j}`, query, { s: [sku], unused: i * 99 + j });
        });
      }
      const hub = svc.service.services.hub;
      await until(() => hub.subscriberCount >= 50 * 99, 60_000, "4,950 subscriptions");
      const before = svc.service.database.queryCount();
      await svc.gql(`mutation { receiveStock(input: { sku: "${sku}", quantity: 1 }) { errors { code } } }`);
      const got = (s: RawSocket) => s.messages.filter((m) => m.type === "next").length;
      await until(() => sockets.every((s) => got(s) === 99), 60_000, "every subscription's event");
      const statements = svc.service.database.queryCount() - before;
      for (const s of sockets) for (const m of s.messages.filter((x) => x.type === "next")) expect(m.payload).toEqual({ data: { stockChanged: { sequence: expect.any(String), level: { product: { name: "shared" } } } } });
      expect(statements, `${statements} statements for one event to 4,950 subscribers`).toBeLessThan(100);
    } finally {
      for (const s of sockets) s.socket.close();
    }
  }, 180_000);
});

describe(`connection and subscription caps (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, {
      wsMaxConnectionsPerAddress: 8,
      wsMaxConnectionsPerKey: 3,
      maxSubscriptionsPerKey: 5,
      subscriptionCostBudget: 10,
    });
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("closes a key's connection past its cap with 4429", async () => {
    const key = await viewerKey(svc);
    const open = await Promise.all(Array.from({ length: 3 }, () => rawSocket(svc.url, key)));
    try {
      for (const s of open) expect(s.socket.readyState).toBe(WebSocket.OPEN);
      const fourth = await rawSocket(svc.url, key);
      expect(await fourth.closed).toEqual({ code: 4429, reason: "at most 3 connections per API key" });
    } finally {
      for (const s of open) s.socket.close();
    }
  });

  it("caps a key's subscriptions across its sockets, and what one event may cost them", async () => {
    const key = await viewerKey(svc);
    const [a, b] = await Promise.all([rawSocket(svc.url, key), rawSocket(svc.url, key)]);
    const skus = [1, 2, 3].map(() => uniqueSku("CAP"));
    const sku = (n: number) => skus[n - 1]!;
    for (const s of skus) await svc.gql(`mutation { createProduct(input: { sku: "${s}", name: "cap" }) { errors { code } } }`);
    // Cost 4 each: distinct skus are distinct executions; the third would bring the key to 12 of 10.
    const q = `subscription($s: [String!]) { stockChanged(skus: $s) { sequence level { onHand } } }`;
    try {
      subscribe(a, "d1", q, { s: [sku(1)] });
      subscribe(a, "d2", q, { s: [sku(2)] });
      subscribe(b, "d3", q, { s: [sku(3)] });
      await until(() => errorOf(b, "d3") !== undefined, 10_000, "the third distinct subscription refused");
      expect(errorOf(b, "d3")).toMatchObject({
        message: expect.stringMatching(/would cost 12 per event; at most 10/),
        extensions: { code: "BAD_USER_INPUT" },
      });
      // The same operation and variables again share an execution: no extra cost, up to 5 subscriptions of the key.
      subscribe(b, "same1", q, { s: [sku(1)] });
      subscribe(b, "same2", q, { s: [sku(1)] });
      subscribe(a, "same3", q, { s: [sku(2)] });
      subscribe(b, "same4", q, { s: [sku(2)] });
      await until(() => errorOf(b, "same4") !== undefined || errorOf(a, "same3") !== undefined, 10_000, "the sixth subscription refused");
      const refused = [errorOf(b, "same1"), errorOf(b, "same2"), errorOf(a, "same3"), errorOf(b, "same4")].filter(Boolean);
      expect(refused).toHaveLength(1);
      expect(refused[0].message).toBe("at most 5 subscriptions per API key");
      expect(a.socket.readyState).toBe(WebSocket.OPEN);
      expect(b.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it("closes connections past the cap of one address with 4429, before any key is checked", async () => {
    const sockets: RawSocket[] = [];
    try {
      for (let i = 0; i < 9; i++) sockets.push(await rawSocket(svc.url, null));
      const refused = await Promise.all(sockets.map((s) => (s.socket.readyState === WebSocket.OPEN ? null : s.closed)));
      expect(refused.filter(Boolean)).toContainEqual({ code: 4429, reason: "at most 8 connections per client address" });
    } finally {
      for (const s of sockets) s.socket.close();
    }
  });
});

describe(`event streams (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, { wsMaxConnectionsPerKey: 3 });
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("counts event streams as connections of their key, and ends them when the key is revoked", async () => {
    const name = fresh("sse");
    const key = (await svc.gql(`mutation { createApiKey(input: { name: "${name}", role: VIEWER }) { key } }`)).data.createApiKey.key as string;
    const open = () =>
      fetch(svc.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: `subscription { stockChanged { sequence } }` }),
      });
    const streams = [await open(), await open(), await open()];
    for (const s of streams) expect(s.status).toBe(200);
    const fourth = await open();
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as any).errors[0].message).toBe("at most 3 connections per API key");

    await svc.gql(`mutation { revokeApiKey(name: "${name}") { errors { code } } }`);
    for (const s of streams) {
      const text = await s.text(); // ends once the server ends the stream
      expect(text).toMatch(/"code":"UNAUTHENTICATED"/);
      expect(text).toMatch(/event: complete/);
    }
  });
});

describe(`a reader that does not read (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, { wsMaxBufferedBytes: 64 * 1024 });
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("is closed with 4503 and a resume point once its queued bytes pass the limit, well before its event buffer fills", async () => {
    const key = await viewerKey(svc);
    const sku = uniqueSku("PAUSED");
    await svc.gql(`mutation { createProduct(input: { sku: "${sku}", name: "paused" }) { errors { code } } }`);
    const reasons = Array.from({ length: 30 }, (_, i) => `r${i}: reason`).join(" ");
    const query = `subscription($s: [String!]) { stockChanged(skus: $s) { sequence movement { ${reasons} } } }`;
    const hub = svc.service.services.hub;
    // The service's own (the catalog following new levels) stay.
    const others = hub.subscriberCount;
    const reader = await rawSocket(svc.url, key);
    for (let i = 0; i < 50; i++) subscribe(reader, `p${i}`, query, { s: [sku] });
    await until(() => hub.subscriberCount === others + 50, 20_000, "50 subscriptions");
    (reader.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    // Each event is about 50 × 15 KB; 30 of them are far fewer than the 1,000 events a subscriber may have waiting.
    const reason = "x".repeat(500);
    for (let i = 0; i < 30 && hub.subscriberCount > others; i++) {
      const r = await svc.gql(`mutation($r: String) { receiveStock(input: { sku: "${sku}", quantity: 1, reason: $r }) { errors { code } } }`, { r: reason });
      expect(r.data.receiveStock.errors).toEqual([]);
    }
    // The server has given up on it: its subscriptions are gone while it still reads nothing.
    await until(() => hub.subscriberCount === others, 20_000, "the paused reader's subscriptions to end");

    (reader.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await reader.closed;
    expect(closed.code).toBe(4503);
    expect(closed.reason).toMatch(/^slow reader: over 65536 bytes \(\d+\) waiting; resume with after: "\d+"$/);
    const after = /after: "(\d+)"/.exec(closed.reason)![1]!;
    const received = reader.messages.filter((m) => m.type === "next").map((m) => Number(m.payload.data.stockChanged.sequence));
    expect(Math.min(...received.slice(-50))).toBeGreaterThanOrEqual(Number(after));
  });
});
