// A corpus of hostile input against the live server: every argument of every
// operation (generated from the schema) gets values outside docs/design.md's limits;
// then malformed HTTP requests and abusive WebSocket clients. Each must get a
// clear error; afterwards the ledger and every level are exactly as before,
// the invariants hold and /healthz answers.
import { request as httpRequest } from "node:http";
import { sql } from "drizzle-orm";
import { buildSchema, type GraphQLSchema, isEnumType, isScalarType, printSchema } from "graphql";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { startTestService, type TestService } from "../support/service.js";
import { documentOf, type Fixture, fresh, type Leaf, leavesOf, minimalArgs, type RootOperation, rootOperations, validFiller, withLeaf } from "./schema-operations.js";

const backend = hasRealPostgres() ? "postgres" : "pglite";
const built = await createSchema({ publicRead: true });
const schema: GraphQLSchema = buildSchema(printSchema(built));
const operations = rootOperations(schema);

// ---------------------------------------------------------------- the limits of docs/design.md, per argument

type Valid = (v: unknown) => boolean;
const int = (lo: number, hi: number): Valid => (v) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const INT32 = int(-(2 ** 31), 2 ** 31 - 1);
const code: Valid = (v) => typeof v === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(v);
const controls = (s: string) => /[\p{Cc}\p{Cf}\p{Cs}]/u.test(s.replace(/[\n\t]/g, ""));
const text = (max: number, required: boolean): Valid => (v) => typeof v === "string" && v.length <= max && !(required && v.trim() === "") && !controls(v);
const printable = (max: number): Valid => (v) => typeof v === "string" && v.length >= 1 && v.length <= max && !/[\p{Cc}\p{Cf}\p{Cs}]/u.test(v);

/** What each argument accepts, by name ("op.name" for one operation's own meaning). */
const VALID: Record<string, Valid> = {
  sku: code,
  skus: code,
  warehouse: code,
  warehouses: code,
  code,
  channel: code,
  "createApiKey.name": code,
  "revokeApiKey.name": code,
  name: text(200, true),
  reason: text(500, false),
  "adjustStock.reason": text(500, true),
  orderId: printable(128),
  reference: printable(128),
  from: code,
  to: code,
  "closeTransfer.reason": text(500, true),
  idempotencyKey: printable(255),
  search: (v) => typeof v === "string" && v.length <= 200,
  after: () => false, // only cursors and sequences the service handed out; none of the corpus is one
  id: () => false, // only ids the service handed out (a well-formed id of nothing is null, not an error); none of the corpus is one
  ids: () => false,
  quantity: int(1, 1_000_000),
  delta: (v) => int(-1_000_000, 1_000_000)(v) && v !== 0,
  countedQuantity: int(0, 1_000_000),
  threshold: int(0, 1_000_000),
  lowStockThreshold: int(0, 1_000_000),
  initialStock: int(0, 1_000_000),
  ttlSeconds: int(1, 86_400),
  first: int(1, 500),
  expectedVersion: INT32, // any version: a wrong one is a VERSION_CONFLICT, not bad input
  priority: INT32,
  lot: (v) => typeof v === "string" && /^[A-Za-z0-9._/-]{1,64}$/.test(v),
  expiresOn: (v) => typeof v === "string" && /^(20\d\d|21\d\d)-\d\d-\d\d$/.test(v) && !Number.isNaN(Date.parse(v)),
  withinDays: int(0, 3650),
  minShelfLifeDays: int(0, 3650),
  removalDays: int(0, 3650),
  latitude: (v) => typeof v === "number" && Math.abs(v) <= 90,
  longitude: (v) => typeof v === "number" && Math.abs(v) <= 180,
};
/** How many items a list argument takes. */
const LIST_LENGTH: Record<string, (n: number) => boolean> = {
  items: (n) => n >= 1 && n <= 100,
  lines: (n) => n >= 1 && n <= 100,
  skus: (n) => n <= 500,
  warehouses: (n) => n <= 500,
  ids: (n) => n <= 100,
};

function validity(op: RootOperation, leaf: Leaf): Valid {
  const rule = VALID[`${op.name}.${leaf.name}`] ?? VALID[leaf.name];
  if (rule) return rule;
  if (isEnumType(leaf.type)) {
    const values = leaf.type.getValues().map((v) => v.name);
    return (v) => typeof v === "string" && values.includes(v);
  }
  if (isScalarType(leaf.type) && leaf.type.name === "Boolean") return (v) => typeof v === "boolean";
  throw new Error(`no limit known for ${op.name}(${leaf.path.join(".")}): add it to VALID (docs/design.md, Bad input)`);
}

// ---------------------------------------------------------------- the corpus

const MEGABYTE = "A".repeat(1_000_000);
const SQL = ["'; DROP TABLE stock_movements; --", "' OR '1'='1", "1); DELETE FROM stock_levels; --", "$1", "%", "\\"];
const CONTROL = ["\u0000", "A\u0000B", "\u0007bell", "\u001b[2Jclear", "line\r\nbreak", "\u0085next", "\ud800", "order\u200b1", "\u202eevil", "A\ufeffB"];
/** Ids this service never hands out: old numeric ids, other encodings, other types, out-of-range and non-canonical ones. */
const b64 = (s: string) => Buffer.from(s).toString("base64");
const NOT_IDS = [
  "1",
  "0",
  "-1",
  "UHJvZHVjdDox\n",
  b64("Product:0"),
  b64("Product:01"),
  b64("Product:1 "),
  b64("Product:abc"),
  b64("Product:99999999999"),
  b64("StockMovement:99999999999999999"),
  b64("User:1"),
  b64("product:1"),
  b64(":1"),
  b64("Product"),
  Buffer.from("Product:1").toString("base64url") + "==",
  "UHJvZHVjdDox=",
  "UHJvZHVjdDo\u00e9",
];
const HOSTILE: Record<string, unknown[]> = {
  ID: ["", "   ", MEGABYTE, ...CONTROL, ...SQL, ...NOT_IDS, 123, false, ["a"], { a: 1 }, null],
  Int: [-1, 0, 1_000_001, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1.5, -0.5, "1", true, null],
  String: ["", "   ", MEGABYTE, ...CONTROL, ...SQL, 123, false, ["a"], { a: 1 }, null],
  Boolean: ["true", 1, null],
  Float: [90.5, -90.5, 180.5, -180.5, 1e300, "1", true, null],
  Date: ["", "2026-13-01", "2026-02-30", "1999-12-31", "2200-01-01", "12/03/2026", "2026-12-03T00:00:00Z", 20261203, null],
  enum: ["NOT_A_VALUE", "admin", "", 1, null],
};

interface Case {
  op: RootOperation;
  where: string;
  value: unknown;
  args: Record<string, unknown>;
}

function corpus(fx: Fixture): Case[] {
  const cases: Case[] = [];
  const show = (v: unknown) => (typeof v === "string" && v.length > 40 ? `"${v.slice(0, 12)}…" (${v.length} chars)` : JSON.stringify(v));
  for (const op of operations) {
    const baseline = minimalArgs(op, validFiller(fx));
    const lists = new Set<string>();
    for (const leaf of leavesOf(op)) {
      const valid = validity(op, leaf);
      const values = isEnumType(leaf.type) ? HOSTILE.enum! : HOSTILE[leaf.type.name];
      if (!values) throw new Error(`no hostile values for type ${leaf.type.name}`);
      for (const value of values) {
        if (value === null ? !leaf.required : valid(value)) continue; // not hostile here
        cases.push({ op, where: leaf.path.join("."), value: show(value), args: withLeaf(baseline, leaf.path, value) });
      }
      // The lists themselves: empty, and far too long.
      if (leaf.inList) {
        const listPath = leaf.path.slice(0, -1);
        const key = listPath.join(".");
        const listName = String(listPath.at(-1));
        if (lists.has(key)) continue;
        lists.add(key);
        const okLength = LIST_LENGTH[listName];
        if (!okLength) throw new Error(`no length limit known for ${op.name}(${key}): add it to LIST_LENGTH`);
        const item = itemOf(baseline, listPath) ?? "MAIN"; // an optional list of codes has no baseline item
        for (const n of [0, 1000]) {
          if (okLength(n)) continue;
          cases.push({ op, where: key, value: `${n} items`, args: withLeaf(baseline, listPath, Array.from({ length: n }, () => structuredClone(item))) });
        }
      }
    }
  }
  return cases;
}

/** The first item of the list at `listPath` in the baseline, if it has one. */
function itemOf(args: Record<string, unknown>, listPath: (string | number)[]): unknown {
  let at: any = args;
  for (const k of [...listPath, 0]) at = at?.[k];
  return at;
}

// ---------------------------------------------------------------- helpers

const ALLOWED_CODES = new Set(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_REQUEST", "OPERATION_RESOLUTION_FAILURE"]);
/** Server-side words that must never reach a client. */
const LEAK = /\n\s+at |node_modules|drizzle|postgres|pglite|relation "|violates|syntax error at or near|\.ts:\d+/i;

interface Answer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    // checked by the caller
  }
  return { status: res.status, text, body, headers: res.headers };
}

/** A clear refusal: 4xx or 200, errors with a message and a known code (or a payload's business error), nothing internal. */
function expectClearError(a: Answer, label: string, opName?: string) {
  expect(a.status, `${label}: ${a.text.slice(0, 300)}`).toBeLessThan(500);
  expect(a.body, `${label}: not JSON: ${a.text.slice(0, 200)}`).toBeTypeOf("object");
  expect(a.text.length, `${label}: the answer echoes too much`).toBeLessThan(64 * 1024);
  expect(a.text, `${label}: leaks internals`).not.toMatch(LEAK);
  const top = a.body?.errors as any[] | undefined;
  if (top?.length) {
    for (const e of top) {
      expect(typeof e.message === "string" && e.message.length > 0, `${label}: error without a message`).toBe(true);
      expect(ALLOWED_CODES.has(e.extensions?.code), `${label}: code ${e.extensions?.code}: ${e.message}`).toBe(true);
      expect(e.stacktrace ?? e.extensions?.stacktrace, label).toBeUndefined();
    }
    return;
  }
  const payloadErrors = opName ? a.body?.data?.[opName]?.errors : undefined;
  expect(payloadErrors?.length, `${label}: accepted: ${a.text.slice(0, 300)}`).toBeGreaterThan(0);
  for (const e of payloadErrors) expect(e.code, label).toMatch(/^[A-Z_]+$/);
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function wsClient(url: string, key: string | null): Client {
  // Not lazy: one socket for the whole sequence (a lazy client closes between operations and may race its next one).
  return createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: key ? { authorization: `Bearer ${key}` } : {}, retryAttempts: 0, lazy: false });
}

/** The first answer to an operation over WebSocket, or "silent" after `ms`. */
function firstAnswer(client: Client, query: string, variables: Record<string, unknown>, ms = 5000): Promise<any> {
  return new Promise((resolve) => {
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      resolve({ kind: "silent" });
    }, ms);
    const done = (v: unknown) => {
      clearTimeout(timer);
      stop();
      resolve(v);
    };
    stop = client.subscribe({ query, variables }, {
      next: (v) => done(v.errors ? { kind: "error", errors: v.errors } : { kind: "next", data: v.data }),
      error: (e) => done(Array.isArray(e) ? { kind: "error", errors: e } : { kind: "closed", code: (e as any).code, reason: (e as any).reason }),
      complete: () => {},
    });
  });
}

/** A raw graphql-ws socket, for what the client library would never send. */
async function rawSocket(url: string, key: string, init = true) {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  socket.on("message", (d) => messages.push(JSON.parse(String(d))));
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  if (init) {
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${key}` } }));
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.type === "connection_ack")) {
      if (Date.now() > deadline) throw new Error(`no connection_ack: ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return { socket, messages, closed };
}

// ---------------------------------------------------------------- the tests

describe(`hostile input (${backend})`, () => {
  let svc: TestService;
  let fx: Fixture;

  const snapshot = async () => {
    const db = svc.service.database;
    return {
      movements: await db.rows(sql`select count(*)::int as n, coalesce(max(id), 0)::text as last from stock_movements`),
      levels: await db.rows(sql`select id, on_hand, reserved, version, low_stock_threshold from stock_levels order by id`),
      reservations: await db.rows(sql`select id, order_id, status, expires_at from reservations order by id`),
      products: await db.rows(sql`select id, sku, name from products order by id`),
      warehouses: await db.rows(sql`select id, code, name, priority from warehouses order by id`),
      keys: await db.rows(sql`select name, role, revoked_at from api_keys order by id`),
      alerts: await db.rows(sql`select count(*)::int as n from stock_alerts`),
      transfers: await db.rows(sql`select id, reference, status, version from transfers order by id`),
      transferLines: await db.rows(sql`select id, received, lost from transfer_lines order by id`),
      transferEvents: await db.rows(sql`select count(*)::int as n from transfer_events`),
    };
  };
  const gql = (query: string, variables: Record<string, unknown> = {}, key: string | null = svc.adminKey) =>
    send(svc.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  const healthy = async () => {
    const res = await fetch(new URL("/healthz", svc.url));
    expect(res.status).toBe(200);
    const me = await gql(`{ me { name } }`);
    expect(me.body).toEqual({ data: { me: { name: "admin" } } });
  };

  beforeAll(async () => {
    svc = await startTestService(backend);
    fx = { sku: fresh("HOSTILE"), orderId: fresh("HOSTILE-ORDER"), warehouse: fresh("HOSTILE-WH"), nodeId: "" };
    const warehouse = await gql(`mutation($i: CreateWarehouseInput!) { createWarehouse(input: $i) { errors { code } } }`, {
      i: { code: fx.warehouse, name: "hostile" },
    });
    expect(warehouse.body.data.createWarehouse.errors).toEqual([]);
    const created = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } errors { code } } }`, {
      i: { sku: fx.sku, name: "hostile", initialStock: 100, lowStockThreshold: 10 },
    });
    expect(created.body.data.createProduct.errors).toEqual([]);
    fx.nodeId = created.body.data.createProduct.product.id;
    const reserved = await gql(`mutation($i: ReserveStockInput!) { reserveStock(input: $i) { errors { code } } }`, {
      i: { orderId: fx.orderId, items: [{ sku: fx.sku, quantity: 5 }] },
    });
    expect(reserved.body.data.reserveStock.errors).toEqual([]);
  });

  afterAll(async () => {
    await svc?.close();
  });

  it("refuses every out-of-limit argument of every operation clearly, and changes nothing", async () => {
    const before = await snapshot();
    const cases = corpus(fx);
    const http = cases.filter((c) => c.op.kind !== "Subscription");
    const ws = cases.filter((c) => c.op.kind === "Subscription");
    expect(http.length).toBeGreaterThan(300);
    expect(ws.length).toBeGreaterThan(10);

    await pool(http, 4, async (c) => {
      const a = await gql(documentOf(c.op, c.args), c.args);
      expectClearError(a, `${c.op.name}(${c.where} = ${c.value})`, c.op.name);
    });

    const client = wsClient(svc.url, svc.adminKey);
    try {
      for (const c of ws) {
        const first = await firstAnswer(client, documentOf(c.op, c.args), c.args);
        const label = `${c.op.name}(${c.where} = ${c.value}) over WebSocket`;
        expect(first.kind, `${label}: ${JSON.stringify(first)}`).toBe("error");
        for (const e of first.errors) expect(ALLOWED_CODES.has(e.extensions?.code), `${label}: ${JSON.stringify(e)}`).toBe(true);
        await new Promise((r) => setTimeout(r, 30)); // stay under the per-socket message rate
      }
    } finally {
      await client.dispose();
    }

    expect(await snapshot()).toEqual(before);
    expect(await checkInvariants(svc.service.database)).toEqual(CLEAN);
    await healthy();
  });

  it("refuses malformed, oversized and abusive HTTP requests clearly, and changes nothing", async () => {
    const before = await snapshot();
    const json = (body: string, headers: Record<string, string> = {}) => ({
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${svc.adminKey}`, ...headers },
      body,
    });
    const q = (query: string) => json(JSON.stringify({ query }));
    const nest = (depth: number) => `{ products { nodes { ${"levels { product { ".repeat(depth)}sku${" } }".repeat(depth)} } } }`;
    const fragments = Array.from({ length: 24 }, (_, i) => `fragment F${i + 1} on Product { ...F${i} ...F${i} }`).join(" ");
    const receive = (i: number) => `m${i}: receiveStock(input: { sku: "${fx.sku}", quantity: 1 }) { errors { code } }`;

    const requests: Array<[string, RequestInit, number[]]> = [
      ["deep nesting", q(nest(10)), [400]],
      ["deep introspection", q(`{ __schema { types { ${"fields { type { ".repeat(6)}name${" } }".repeat(6)} } } }`), [400]],
      ["1,000 aliases", q(`{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: warehouses { code }`).join(" ")} }`), [400]],
      ["1,000 aliased mutations", q(`mutation { ${Array.from({ length: 1000 }, (_, i) => receive(i)).join(" ")} }`), [400]],
      ["31 aliased mutations", q(`mutation { ${Array.from({ length: 31 }, (_, i) => receive(i)).join(" ")} }`), [400]],
      ["3,000 repeated fields", q(`{ products { nodes { ${"sku ".repeat(3000)} } } }`), [400]],
      ["a fragment bomb", q(`{ products { nodes { ...F24 } } } fragment F0 on Product { sku } ${fragments}`), [400]],
      ["a fragment cycle", q(`{ products { nodes { ...A } } } fragment A on Product { ...B } fragment B on Product { ...A }`), [400]],
      ["60,000 tokens", q(`{ ${"__typename ".repeat(60_000)} }`), [400]],
      ["1,000 directives", q(`{ warehouses ${"@include(if: true) ".repeat(1000)} { code } }`), [400]],
      ["a page of pages", q(`{ products(first: 500) { nodes { movements(first: 500) { nodes { sku } } } } }`), [400]],
      ["first beyond the limit", json(JSON.stringify({ query: `query($n: Int) { stockMovements(first: $n) { nodes { sku } } }`, variables: { n: 100_000 } })), [200, 400]],
      ["a 10 MB body", json(JSON.stringify({ query: `{ me { name } }`, pad: "x".repeat(10 * 1024 * 1024) })), [413]],
      ["a 1 MB string literal", q(`{ product(sku: "${MEGABYTE}") { sku } }`), [200, 400]],
      ["malformed JSON", json(`{"query": "{ me { name } }"`), [400]],
      ["JSON that is not an object", json(`"{ me { name } }"`), [400]],
      ["JSON null", json(`null`), [400]],
      ["an empty object", json(`{}`), [400]],
      ["a query that is not a string", json(`{"query": 5}`), [400]],
      ["variables that are not an object", json(`{"query": "{ me { name } }", "variables": "x"}`), [400]],
      ["an unknown operation name", json(`{"query": "query A { me { name } }", "operationName": "B"}`), [400]],
      ["a syntax error", q(`{ me { name `), [400]],
      ["bytes that are not UTF-8", json(Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d]) as unknown as string), [400]],
      ["an unsupported charset", json(`{"query": "{ me { name } }"}`, { "content-type": "application/json; charset=latin1" }), [415]],
      ["text/plain (CSRF)", json(`{"query": "mutation { expireReservations { expiredCount } }"}`, { "content-type": "text/plain" }), [400]],
      ["a form (CSRF)", json(`query=mutation%20%7B%20expireReservations%20%7B%20expiredCount%20%7D%20%7D`, { "content-type": "application/x-www-form-urlencoded" }), [400]],
      ["multipart (CSRF)", json(`--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { name } }\r\n--x--`, { "content-type": "multipart/form-data; boundary=x" }), [400]],
      ["application/xml", json(`<query>{ me { name } }</query>`, { "content-type": "application/xml" }), [400, 415]],
      ["no content type", { method: "POST", headers: { authorization: `Bearer ${svc.adminKey}` }, body: new Blob([`{"query": "{ me { name } }"}`]) }, [400]],
      ["a batch", json(JSON.stringify([{ query: `{ me { name } }` }, { query: `{ me { name } }` }])), [400]],
      ["a batch of 500 mutations", json(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ query: `mutation { ${receive(i)} }` })))), [400]],
      ["a mutation over GET", { method: "GET", headers: { authorization: `Bearer ${svc.adminKey}`, "apollo-require-preflight": "1" } }, [400, 405]],
      ["the product/levels cycle, twice aliased", q(`{ ${["a", "b"].map((a) => `${a}: products(first: 50) { nodes { ${"levels { product { ".repeat(3)}sku${" } }".repeat(3)} } }`).join(" ")} }`), [400]],
      ["a mutation whose answer the client cannot accept", json(JSON.stringify({ query: `mutation { ${receive(0)} }` }), { accept: "text/html" }), [406]],
      ["a subscription as one HTTP request", q(`subscription { stockChanged { sequence } }`), [400]],
      ["a persisted query with the wrong hash", json(JSON.stringify({ query: `{ me { name } }`, extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } })), [400]],
    ];
    for (const [label, init, statuses] of requests) {
      const url = label === "a mutation over GET" ? `${svc.url}?query=${encodeURIComponent(`mutation { ${receive(0)} }`)}` : svc.url;
      const a = await send(url, init);
      expect(statuses, `${label}: status ${a.status}: ${a.text.slice(0, 300)}`).toContain(a.status);
      if (a.status === 200) {
        expect(a.body.errors?.[0]?.extensions?.code, `${label}: ${a.text.slice(0, 300)}`).toBe("BAD_USER_INPUT");
      }
      expectClearError(a, label);
    }

    const limit = (await send(svc.url, q(nest(10)))).body.errors[0];
    expect(limit.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxDepth" });
    expect(limit.extensions.requestId).toMatch(/\S/);
    const aliases = (await send(svc.url, q(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { name }`).join(" ")} }`))).body.errors[0];
    expect(aliases.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "maxAliases" });

    // A huge header is the HTTP server's to refuse (431), before any of ours runs.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(svc.url, { method: "POST", headers: { "content-type": "application/json", "x-padding": "x".repeat(64 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(`{"query": "{ me { name } }"}`);
    });
    expect(status).toBe(431);

    expect(await snapshot()).toEqual(before);
    await healthy();
  });

  it("answers a request id in every error it masks or refuses", async () => {
    const a = await send(svc.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-me-123" },
      body: JSON.stringify({ query: `mutation { expireReservations { expiredCount } }` }),
    });
    expect(a.headers.get("x-request-id")).toBe("trace-me-123");
    expect(a.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", requestId: "trace-me-123" });
    // A request id that could forge log lines is replaced.
    const b = await send(svc.url, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "x FAKE id" }, body: "{" });
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.body.errors[0].extensions.requestId).toBe(b.headers.get("x-request-id"));
  });

  it("stores SQL and wildcards in free text verbatim, and never runs them", async () => {
    const tricky = "'; DROP TABLE stock_movements; -- % _ \\ \"quoted\"";
    const sku = fresh("VERBATIM");
    const created = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { product { name } errors { code } } }`, {
      i: { sku, name: tricky, initialStock: 3 },
    });
    expect(created.body.data.createProduct).toEqual({ product: { name: tricky }, errors: [] });
    const received = await gql(`mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { movement { reason } errors { code } } }`, {
      i: { sku, quantity: 1, reason: tricky },
    });
    expect(received.body.data.receiveStock).toEqual({ movement: { reason: tricky }, errors: [] });
    const orderId = `${tricky} ${fresh("O")}`;
    const reserved = await gql(`mutation($i: ReserveStockInput!) { reserveStock(input: $i) { reservation { orderId } errors { code } } }`, {
      i: { orderId, items: [{ sku, quantity: 1 }] },
    });
    expect(reserved.body.data.reserveStock).toEqual({ reservation: { orderId }, errors: [] });
    expect((await gql(`query($o: String!) { reservation(orderId: $o) { orderId } }`, { o: orderId })).body.data.reservation).toEqual({ orderId });
    // LIKE wildcards match themselves only.
    for (const search of ["%", "_", "\\", "' OR '1'='1"]) {
      const found = await gql(`query($f: ProductFilter) { products(filter: $f, first: 500) { nodes { name } } }`, { f: { search } });
      expect(found.body.errors).toBeUndefined();
      for (const p of found.body.data.products.nodes) expect(p.name.toLowerCase()).toContain(search.toLowerCase());
    }
    expect(await checkInvariants(svc.service.database)).toEqual(CLEAN);
    await healthy();
  });

  it("survives abusive WebSocket clients, and changes nothing", async () => {
    const before = await snapshot();
    const sub = (id: string, query = `subscription { stockChanged { sequence } }`) => JSON.stringify({ id, type: "subscribe", payload: { query } });

    // A flood of subscribe messages: cut off with 4429.
    const flood = await rawSocket(svc.url, svc.adminKey);
    for (let i = 0; i < 2000; i++) flood.socket.send(sub(`f${i}`));
    expect(await flood.closed).toMatchObject({ code: 4429 });

    // At most 100 subscriptions per connection, within the message rate.
    const many = await rawSocket(svc.url, svc.adminKey);
    for (let i = 0; i < 60; i++) many.socket.send(sub(`s${i}`));
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 60; i < 105; i++) many.socket.send(sub(`s${i}`));
    const deadline = Date.now() + 10_000;
    const capped = () => many.messages.filter((m) => m.type === "error" && /at most 100 subscriptions/.test(m.payload?.[0]?.message ?? ""));
    while (capped().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(capped().length).toBe(5);
    expect(capped()[0].payload[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(many.socket.readyState).toBe(WebSocket.OPEN);
    many.socket.close();

    // Garbage, oversized messages, operations before connection_init, a wrong subprotocol: closed with a reason.
    const garbage = await rawSocket(svc.url, svc.adminKey);
    garbage.socket.send("{ this is not json");
    expect(await garbage.closed).toMatchObject({ code: 4400 });
    const huge = await rawSocket(svc.url, svc.adminKey);
    huge.socket.send(sub("big", `subscription { stockChanged(skus: ["${"A".repeat(2 * 1024 * 1024)}"]) { sequence } }`));
    expect((await huge.closed).code).toBe(1009);
    const early = await rawSocket(svc.url, svc.adminKey, false);
    early.socket.send(sub("early"));
    expect(await early.closed).toMatchObject({ code: 4401 });
    const wrongProtocol = new WebSocket(svc.url.replace(/^http/, "ws"), "graphql-ws");
    const wp = await new Promise<number>((resolve) => wrongProtocol.on("close", (code) => resolve(code)).on("error", () => {}));
    expect([1006, 4406], "a client that wants the old protocol is refused").toContain(wp);

    // Bad operations get an error and the connection stays up.
    const client = wsClient(svc.url, svc.adminKey);
    try {
      const bad: Array<[string, string, Record<string, unknown>]> = [
        ["a syntax error", `subscription { stockChanged { sequence `, {}],
        ["an unknown field", `subscription { stockChanged { nope } }`, {}],
        ["deep nesting", `subscription { stockChanged { level { product { levels { product { levels { product { levels { product { levels { product { levels { product { sku } } } } } } } } } } } } } }`, {}],
        ["1,000 aliases", `subscription { stockChanged { ${Array.from({ length: 1000 }, (_, i) => `a${i}: sequence`).join(" ")} } }`, {}],
        ["60,000 tokens", `subscription { stockChanged { ${"sequence ".repeat(60_000)} } }`, {}],
        ["a hostile mutation", `mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, { i: { sku: fx.sku, quantity: -5 } }],
        ["1,000 aliased mutations", `mutation { ${Array.from({ length: 1000 }, (_, i) => `m${i}: expireReservations { expiredCount }`).join(" ")} }`, {}],
        ["two operations, none named", `query A { me { name } } query B { me { name } }`, {}],
      ];
      for (const [label, query, variables] of bad) {
        const first = await firstAnswer(client, query, variables);
        expect(first.kind, `${label}: ${JSON.stringify(first).slice(0, 300)}`).toBe("error");
        const e = first.errors[0];
        expect(ALLOWED_CODES.has(e.extensions?.code), `${label}: ${JSON.stringify(e).slice(0, 300)}`).toBe(true);
        expect(e.extensions.requestId, label).toMatch(/\S/);
        expect(JSON.stringify(first), label).not.toMatch(LEAK);
      }
      // Still usable.
      expect(await firstAnswer(client, `query { me { name } }`, {})).toEqual({ kind: "next", data: { me: { name: "admin" } } });
    } finally {
      await client.dispose();
    }

    expect(await snapshot()).toEqual(before);
    await healthy();
  });
});
