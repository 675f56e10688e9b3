// The HTTP side of the transport as browsers and GraphQL clients meet it:
// content negotiation before anything runs, GET queries, CORS and the
// WebSocket origin allow-list, the headers of every API answer, client
// mistakes answered 4xx (and not logged as failures), source maps kept in.
import { readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, start } from "../../src/app.js";
import { configWith } from "../../src/config.js";
import type { Logger } from "../../src/log.js";
import { projectRoot } from "../../src/paths.js";
import { uniqueSku } from "../support/service.js";

const ADMIN = "sk_test_admin_key_0123456789abcdef0123456789";
const SHOP = "http://shop.example";

/** A logger that keeps what it is told, by level. */
function capturing(): Logger & { lines: Record<"error" | "warn" | "info" | "debug", string[]> } {
  const lines = { error: [] as string[], warn: [] as string[], info: [] as string[], debug: [] as string[] };
  return { lines, error: (m) => lines.error.push(m), warn: (m) => lines.warn.push(m), info: (m) => lines.info.push(m), debug: (m) => lines.debug.push(m) };
}

describe("HTTP transport", () => {
  let svc: RunningService;
  let dataDir: string;
  const log = capturing();
  const sku = uniqueSku("HTTP");

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(svc.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}`, ...headers }, body: JSON.stringify(body) });
  const onHand = async () => ((await (await post({ query: `{ product(sku: "${sku}") { stock { onHand } } }` })).json()) as any).data.product.stock.onHand as number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "stock-http-"));
    svc = await start(configWith({ port: 0, dataDir, adminApiKey: ADMIN, logLevel: "error", allowedOrigins: [SHOP] }), log);
    await post({ query: `mutation { createProduct(input: { sku: "${sku}", name: "http", initialStock: 10 }) { errors { code } } }` });
  });

  afterAll(async () => {
    await svc?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers 406 to a mutation whose Accept it cannot serve, without running it", async () => {
    const receive = { query: `mutation { receiveStock(input: { sku: "${sku}", quantity: 5 }) { level { onHand } } }` };
    for (const accept of ["text/html", "application/xml", "application/json;q=0, text/plain"]) {
      const res = await post(receive, { accept });
      expect(res.status, accept).toBe(406);
      const body = (await res.json()) as any;
      expect(body.errors[0].message).toMatch(/accept application\/graphql-response\+json, application\/json, text\/event-stream/);
    }
    expect(await onHand()).toBe(10);
    // And served when the client can read the answer.
    const ok = await post(receive, { accept: "application/graphql-response+json" });
    expect(ok.status).toBe(200);
    expect(await onHand()).toBe(15);
  });

  it("serves queries over GET without a preflight header (urql's default), and still refuses mutations over GET", async () => {
    const get = (query: string) =>
      fetch(`${svc.url}?query=${encodeURIComponent(query)}`, { headers: { accept: "application/graphql-response+json, application/json", authorization: `Bearer ${ADMIN}` } });
    const q = await get(`{ product(sku: "${sku}") { sku } }`);
    expect(q.status).toBe(200);
    expect(await q.json()).toEqual({ data: { product: { sku } } });
    const before = await onHand();
    const m = await get(`mutation { receiveStock(input: { sku: "${sku}", quantity: 1 }) { errors { code } } }`);
    expect(m.status).toBe(405);
    expect(await onHand()).toBe(before);
    // A browser asking for a page still gets the playground.
    const page = await fetch(svc.url, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("marks every API answer no-store and nosniff, refusals included", async () => {
    const answers = [
      await post({ query: `{ me { name } }` }),
      await post({ query: `{ me { name } }` }, { authorization: "Bearer sk_nope" }),
      await fetch(`${svc.url}?query=${encodeURIComponent("{ warehouses { code } }")}`),
    ];
    for (const res of answers) {
      expect(res.headers.get("cache-control"), String(res.status)).toBe("no-store");
      expect(res.headers.get("x-content-type-options"), String(res.status)).toBe("nosniff");
    }
  });

  it("answers client mistakes 4xx with a client code, and does not log them as failures", async () => {
    const errorsBefore = log.lines.error.length;
    // A subscription sent as one HTTP request.
    const sub = await post({ query: `subscription { stockChanged { sequence } }` });
    expect(sub.status).toBe(400);
    expect(((await sub.json()) as any).errors[0]).toMatchObject({ message: expect.stringMatching(/WebSocket.*Server-Sent Events/), extensions: { code: "BAD_REQUEST" } });
    // An automatic persisted query whose hash does not match its text.
    const query = `{ me { name } }`;
    const wrong = createHash("sha256").update(`${query} `).digest("hex");
    const apq = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(apq.status).toBe(400);
    expect(((await apq.json()) as any).errors[0]).toMatchObject({ message: "provided sha does not match query", extensions: { code: "BAD_REQUEST" } });
    // A client that goes away halfway through its body.
    await new Promise<void>((resolve) => {
      const socket = connect(svc.port, "127.0.0.1", () => {
        socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n{"query":`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(log.lines.error.slice(errorsBefore)).toEqual([]);
  });

  it("lets pages of the configured origins call over HTTP (CORS), and only those", async () => {
    const preflight = (origin: string) =>
      fetch(svc.url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
    const allowed = await preflight(SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
    const other = await preflight("http://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const call = await post({ query: `{ me { name } }` }, { origin: SHOP });
    expect(call.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(call.headers.get("access-control-expose-headers")).toMatch(/x-request-id/);
  });

  it("accepts WebSockets from the service's own pages, configured origins and non-browser clients, and refuses other pages", async () => {
    const opens = (origin: string | undefined) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(svc.url.replace(/^http/, "ws"), "graphql-transport-ws", origin ? { origin } : {});
        ws.on("open", () => {
          ws.close();
          resolve("open");
        });
        ws.on("unexpected-response", (_req, res) => {
          resolve(`refused ${res.statusCode}`);
          ws.terminate();
        });
        ws.on("error", () => {});
      });
    expect(await opens(undefined)).toBe("open");
    expect(await opens(SHOP)).toBe("open");
    expect(await opens(new URL(svc.url).origin)).toBe("open");
    expect(await opens("http://evil.example")).toBe("refused 403");
    expect(await opens("null")).toBe("refused 403");
  });

  it("serves no source maps unless configured", async () => {
    const map = readdirSync(join(projectRoot, "dist", "web", "assets")).find((f) => f.endsWith(".js.map"));
    expect(map).toBeDefined();
    expect((await fetch(new URL(`/assets/${map}`, svc.url))).status).toBe(404);
    expect((await fetch(new URL(`/assets/${map!.replace(/\.map$/, "")}`, svc.url))).status).toBe(200);

    const dir = mkdtempSync(join(tmpdir(), "stock-maps-"));
    const withMaps = await start(configWith({ port: 0, dataDir: dir, adminApiKey: ADMIN, logLevel: "error", serveSourceMaps: true }), capturing());
    try {
      expect((await fetch(new URL(`/assets/${map}`, withMaps.url))).status).toBe(200);
    } finally {
      await withMaps.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
