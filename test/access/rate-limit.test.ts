// Per-key rate limits: the limiter itself, then the live server over HTTP (429) and WebSocket.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MessageRateLimiter, RateLimiter, rateLimiterFor } from "../../src/server/rate-limit.js";
import { startTestService, type TestService } from "../support/service.js";
import { fresh } from "./schema-operations.js";

describe("RateLimiter", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("allows a minute's worth, then says how long until the caller's window starts over", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const limiter = new RateLimiter(60);
    for (let i = 0; i < 60; i++) expect(await limiter.take("a")).toBe(0);
    const wait = await limiter.take("a");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60_000);
    expect(await limiter.waitOf("a"), "waitOf tells the same without taking").toBeGreaterThan(0);
    expect(await limiter.take("b"), "callers have windows of their own").toBe(0);
    expect(await limiter.waitOf("c"), "a caller never seen has everything left").toBe(0);
    vi.advanceTimersByTime(60_000);
    for (let i = 0; i < 60; i++) expect(await limiter.take("a"), "a new window holds a minute's worth again").toBe(0);
    expect(await limiter.take("a")).toBeGreaterThan(0);
  });

  it("lets a WebSocket send its rate each second, with bursts of up to twice that", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const messages = new MessageRateLimiter(50);
    for (let i = 0; i < 100; i++) expect(await messages.take("s")).toBe(true);
    expect(await messages.take("s")).toBe(false);
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 50; i++) expect(await messages.take("s"), "the next second's rate").toBe(true);
    expect(await messages.take("s")).toBe(false);
  });

  it("is off at RATE_LIMIT_PER_MINUTE=0", () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: "0" }).rateLimitPerMinute).toBe(0);
    expect(rateLimiterFor(0)).toBeNull();
    expect(loadConfig({}).rateLimitPerMinute).toBeGreaterThanOrEqual(1000);
  });
});

describe("rate limit on the live server", () => {
  const PER_MINUTE = 20;
  let svc: TestService;
  let keyA: string;
  let keyB: string;

  const post = async (key: string | null, query = `{ me { name } }`) => {
    const res = await fetch(svc.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any };
  };

  beforeAll(async () => {
    svc = await startTestService("pglite", { rateLimitPerMinute: PER_MINUTE });
    const create = async () => {
      const r = await post(svc.adminKey, `mutation { createApiKey(input: { name: "${fresh("rl")}", role: VIEWER }) { key } }`);
      return r.body.data.createApiKey.key as string;
    };
    keyA = await create();
    keyB = await create();
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("answers 429 with Retry-After and RATE_LIMITED past the limit, per key", async () => {
    const answers = [];
    for (let i = 0; i < PER_MINUTE + 5; i++) answers.push(await post(keyA));
    expect(answers.slice(0, PER_MINUTE).map((a) => a.status)).toEqual(Array(PER_MINUTE).fill(200));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    const first = limited[0]!;
    expect(Number(first.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(first.body.errors[0].message).toMatch(/rate limit/i);
    expect(first.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: Number(first.retryAfter) });
    expect(first.body.errors[0].extensions.requestId).toMatch(/\S/);

    // Another key, and anonymous callers (limited by address), have budgets of their own.
    expect((await post(keyB)).status).toBe(200);
    expect((await post(null)).status).toBe(200);
  });

  it("takes WebSocket operations from the same budget, answering RATE_LIMITED", async () => {
    const client = createClient({
      url: svc.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${keyA}` },
      retryAttempts: 0,
      lazy: false,
    });
    try {
      const result = await new Promise<any>((resolve) => {
        client.subscribe({ query: `{ me { name } }` }, { next: (v) => resolve(v), error: (e) => resolve({ errors: e }), complete: () => {} });
      });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result)).toBe("RATE_LIMITED");
      expect(result.errors[0].extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await client.dispose();
    }
  });
});
