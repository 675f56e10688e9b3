// Per-key rate limits: the token bucket itself, then the live server over HTTP (429) and WebSocket.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { RateLimiter, rateLimiterFor } from "../../src/server/rate-limit.js";
import { startTestService, type TestService } from "../support/service.js";
import { fresh } from "./schema-operations.js";

describe("RateLimiter", () => {
  it("allows a minute's worth at once, then one more per 60/perMinute seconds", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1000);
    now += 500;
    expect(limiter.take("a")).toBe(500);
    now += 500;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBeGreaterThan(0);
    expect(limiter.take("b"), "callers have buckets of their own").toBe(0);
    now += 3_600_000;
    for (let i = 0; i < 60; i++) expect(limiter.take("a"), "a bucket never holds more than a minute's worth").toBe(0);
    expect(limiter.take("a")).toBeGreaterThan(0);
  });

  it("stays bounded in memory: callers with a full bucket are forgotten first", () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now, 3);
    for (let i = 0; i < 10; i++) limiter.take("busy");
    limiter.take("idle-1");
    now += 60_000; // idle-1 and busy refill
    for (let i = 0; i < 10; i++) limiter.take("busy");
    limiter.take("idle-2");
    limiter.take("new"); // the table is full: full buckets (idle-1) go
    expect(limiter.take("busy"), "busy is still limited: not forgotten").toBeGreaterThan(0);
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
