// A flood of made-up keys from one address: past the address's rate, no key
// is looked up in the database any more. Key look-ups are cached briefly,
// and a revocation still reaches every instance.
import { randomBytes } from "node:crypto";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, start } from "../../src/app.js";
import { configWith } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { hasRealPostgres } from "../support/databases.js";
import { startTestService, type TestService } from "../support/service.js";
import { fresh } from "./schema-operations.js";

const backend = hasRealPostgres() ? "postgres" : "pglite";
const PER_MINUTE = 20;
const FLOOD = 300;

const madeUpKey = () => `sk_${randomBytes(32).toString("base64url")}`;

describe(`a flood of made-up keys (${backend})`, () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService(backend, { rateLimitPerMinute: PER_MINUTE });
    expect((await svc.gql(`{ me { name } }`)).status).toBe(200); // a key in use from the same address
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("looks keys up only while the address is within its rate, then answers 429 without asking the database", async () => {
    const statuses: number[] = [];
    const before = svc.service.database.queryCount();
    for (let i = 0; i < FLOOD; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(svc.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${madeUpKey()}` }, body: `{"query":"{ me { name } }"}` }),
        ),
      );
      for (const res of batch) {
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }
    const statements = svc.service.database.queryCount() - before;
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(PER_MINUTE);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(FLOOD - PER_MINUTE);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // At most one look-up per allowed request (the rest is the relay's and the hub's own polling).
    expect(statements, `${statements} statements for ${FLOOD} requests`).toBeLessThan(PER_MINUTE + 40);

    // WebSocket connections with made-up keys from that address: refused alike, without a look-up.
    const wsBefore = svc.service.database.queryCount();
    const codes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = createClient({ url: svc.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${madeUpKey()}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => {} });
        const code = await new Promise<number>((resolve) => client.on("closed", (e) => resolve((e as { code: number }).code)));
        await client.dispose();
        return code;
      }),
    );
    expect(new Set(codes)).toEqual(new Set([4429]));
    expect(svc.service.database.queryCount() - wsBefore).toBeLessThan(40);
  });

  it("still serves a key in use from that address, at the key's own rate", async () => {
    const res = await svc.gql(`{ me { name } }`);
    expect(res.status).toBe(200);
    expect(res.data.me.name).toBe("admin");
  });
});

describe.skipIf(!hasRealPostgres())("revoking a key", () => {
  let a: TestService;
  let b: RunningService;

  beforeAll(async () => {
    a = await startTestService("postgres");
    // A second instance on the same database.
    b = await start(configWith({ ...a.config, port: 0 }), createLogger("error"));
  });

  afterAll(async () => {
    await b?.dispose();
    await a?.close();
  });

  it("takes effect on another instance that has the key cached, within about a second", async () => {
    const name = fresh("revoked");
    const key = (await a.gql(`mutation { createApiKey(input: { name: "${name}", role: VIEWER }) { key } }`)).data.createApiKey.key as string;
    const onB = () => fetch(b.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: `{"query":"{ me { name } }"}` });
    expect((await onB()).status).toBe(200); // now cached on b
    expect((await a.gql(`mutation { revokeApiKey(name: "${name}") { errors { code } } }`)).data.revokeApiKey.errors).toEqual([]);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 10_000) {
      status = (await onB()).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });
});
