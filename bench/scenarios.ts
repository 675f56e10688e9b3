// The HTTP scenarios, each with its raw-SQL baseline at the same concurrency:
// warm up, then measure for a bounded time (or a fixed number of requests).
import { type GraphQLStep, httpLoad } from "./http-load.js";
import { closedLoop, cpuSecondsOfTree, type Measured } from "./measure.js";
import type { LevelRef, RawSql } from "./raw-sql.js";
import type { Row } from "./report.js";

export interface Knobs {
  seconds: number;
  warmupSeconds: number;
  pool: number;
  spreadSkus: number;
  hotRequests: number;
  hotStock: number;
  liveSubscribers: number;
  liveDashboards: number;
  liveRate: number;
  pgliteSkus: number;
}

/** What every scenario needs: the server under test, the baseline's driver, the shared data. */
export interface Bench {
  knobs: Knobs;
  /** Prefix of this run's skus and orderIds. */
  run: string;
  url: string;
  /** The server's process (its workers are under it): its CPU time is measured per request. */
  serverPid: number;
  key: string;
  raw: RawSql;
  /** The spread scenario's levels (knobs.spreadSkus of them, plenty of stock). */
  spread: LevelRef[];
  /** Prints the row and keeps it for the table. */
  add(row: Row): Row;
}

export const RESERVE = `mutation Reserve($input: ReserveStockInput!) { reserveStock(input: $input) { reservation { id } errors { code } } }`;
const CONFIRM = `mutation Confirm($input: OrderRefInput!) { confirmReservation(input: $input) { reservation { id } errors { code } } }`;
const RELEASE = `mutation Release($input: OrderRefInput!) { releaseReservation(input: $input) { reservation { id } errors { code } } }`;
const CHECK = `query Check($items: [StockLineInput!]!) { checkStock(items: $items) { available lines { sku available sufficient } } }`;
export const PRODUCTS = `query Products($first: Int) {
  products(first: $first) { nodes { sku name levels { onHand reserved available lowStock warehouse { code name } } } pageInfo { hasNextPage endCursor } }
}`;

let sequence = 0;
export const newOrderId = (b: Bench, tag: string) => `${b.run}-${tag}-${(sequence++).toString(36)}`;
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

export const reserveStep =
  (b: Bench, tag: string, sku: () => string): GraphQLStep =>
  () => ({ query: RESERVE, variables: { input: { orderId: newOrderId(b, tag), items: [{ sku: sku(), quantity: 1 }] } } });

/** Warm-up on `warm` (default: the measured steps), then a measured run of knobs.seconds. */
export async function apiLoad(
  b: Bench,
  connections: number,
  steps: GraphQLStep[],
  opts: { url?: string; pid?: number; warm?: GraphQLStep[]; amount?: number; expected?: string[] } = {},
): Promise<Measured> {
  const url = opts.url ?? b.url;
  const pid = opts.pid ?? b.serverPid;
  await httpLoad({ url, key: b.key, connections, seconds: b.knobs.warmupSeconds, steps: opts.warm ?? steps, expected: opts.expected });
  const cpuBefore = cpuSecondsOfTree(pid);
  const m = await httpLoad({ url, key: b.key, connections, steps, seconds: b.knobs.seconds, amount: opts.amount, expected: opts.expected });
  return { ...m, serverCpuMicros: ((cpuSecondsOfTree(pid) - cpuBefore) / Math.max(1, m.requests)) * 1e6 };
}

async function rawLoad(
  b: Bench,
  concurrency: number,
  op: (i: number, ctx: Record<string, unknown>) => Promise<string>,
  opts: { warm?: (i: number, ctx: Record<string, unknown>) => Promise<string>; amount?: number; expected?: string[] } = {},
): Promise<Measured> {
  await closedLoop({ concurrency, seconds: b.knobs.warmupSeconds, op: opts.warm ?? op, expected: opts.expected });
  return closedLoop({ concurrency, seconds: opts.amount === undefined ? b.knobs.seconds : undefined, amount: opts.amount, op, expected: opts.expected });
}

/**
 * Asks checkStock about every sku once (100 lines a request), so the
 * server's catalog cache knows them all, as it would after running a while:
 * the figures are then the steady state, not the first touch of each sku.
 */
export async function primeCatalog(url: string, key: string, skus: readonly string[]): Promise<void> {
  for (let i = 0; i < skus.length; i += 100) {
    const body = await gql({ url, key }, CHECK, { items: skus.slice(i, i + 100).map((sku) => ({ sku, quantity: 1 })) });
    if (body.errors) throw new Error(`priming the catalog: ${JSON.stringify(body.errors).slice(0, 300)}`);
  }
}

/** One GraphQL request over HTTP with the bench's key (outside the measured load). */
export async function gql(
  server: { url: string; key: string },
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

const okCount = (m: Measured) => `ok=${(m.outcomes.ok ?? 0).toLocaleString("en-US")}`;

/** Reserve 1 unit of a random sku among knobs.spreadSkus. */
export async function spread(b: Bench, connections: number): Promise<void> {
  const raw = await rawLoad(b, connections, () => b.raw.reserve(newOrderId(b, "rs"), pick(b.spread)));
  const baseline = b.add({ scenario: "baseline: spread reserve (raw SQL)", connections, m: raw, checks: okCount(raw), pass: raw.errors === 0 });
  const m = await apiLoad(b, connections, [reserveStep(b, "as", () => pick(b.spread).sku)]);
  b.add({ scenario: "spread reserve", connections, m, baseline, checks: okCount(m), pass: m.errors === 0 });
}

/** knobs.hotRequests reserves of 1 unit of one sku holding knobs.hotStock: exactly hotStock succeed. */
export async function hot(b: Bench, connections: number): Promise<void> {
  const { hotStock, hotRequests } = b.knobs;
  const seedOne = async (tag: string, stock: number) => (await b.raw.seed(`${b.run}-${tag}${connections}`, 1, stock))[0]!;
  const warm = await seedOne("hotwarm", 1_000_000_000);
  const expected = ["INSUFFICIENT_STOCK"];

  const rawLevel = await seedOne("hotraw", hotStock);
  const raw = await rawLoad(b, connections, () => b.raw.reserve(newOrderId(b, "rh"), rawLevel), {
    warm: () => b.raw.reserve(newOrderId(b, "rw"), warm),
    amount: hotRequests,
    expected: ["ok", ...expected],
  });
  const baseline = b.add({ scenario: "baseline: hot SKU reserve (raw SQL)", connections, m: raw, ...(await hotChecks(b, rawLevel, raw)) });

  const apiLevel = await seedOne("hotapi", hotStock);
  const m = await apiLoad(b, connections, [reserveStep(b, "ah", () => apiLevel.sku)], {
    warm: [reserveStep(b, "aw", () => warm.sku)],
    amount: hotRequests,
    expected,
  });
  b.add({ scenario: "hot SKU reserve", connections, m, baseline, ...(await hotChecks(b, apiLevel, m)) });
}

/**
 * The hot SKU again, on a product that tracks lots (5 lots): each reserve
 * also picks its lot first-expiry-first-out. Coalescing keeps working for it.
 */
export async function hotLots(b: Bench, connections: number): Promise<void> {
  const { hotStock, hotRequests } = b.knobs;
  const seed = (tag: string, stock: number) => b.raw.seedLots(`${b.run}-${tag}${connections}`, stock, 5);
  const warm = await seed("lotwarm", 1_000_000_000);
  const expected = ["INSUFFICIENT_STOCK"];
  const rawLevel = await seed("lotraw", hotStock);
  const raw = await rawLoad(b, connections, () => b.raw.reserveLots(newOrderId(b, "rk"), rawLevel), {
    warm: () => b.raw.reserveLots(newOrderId(b, "rkw"), warm),
    amount: hotRequests,
    expected: ["ok", ...expected],
  });
  const baseline = b.add({ scenario: "baseline: hot SKU reserve, 5 lots (raw SQL)", connections, m: raw, ...(await hotChecks(b, rawLevel, raw)) });
  const apiLevel = await seed("lotapi", hotStock);
  const m = await apiLoad(b, connections, [reserveStep(b, "ak", () => apiLevel.sku)], {
    warm: [reserveStep(b, "akw", () => warm.sku)],
    amount: hotRequests,
    expected,
  });
  b.add({ scenario: "hot SKU reserve, 5 lots", connections, m, baseline, ...(await hotChecks(b, apiLevel, m)) });
}

async function hotChecks(b: Bench, level: LevelRef, m: Measured): Promise<{ checks: string; pass: boolean }> {
  const { hotStock, hotRequests } = b.knobs;
  const s = await b.raw.levelState(level.levelId);
  const batches = await b.raw.reservesPerTransaction(level.levelId);
  const ok = m.outcomes.ok ?? 0;
  const oversell = Math.max(0, s.reserved - hotStock, s.reserved - s.onHand);
  return {
    checks: `ok=${ok}/${hotStock} oversell=${oversell} held=${s.activeHeld}; reserves/transaction avg ${batches.average.toFixed(1)} max ${batches.largest}`,
    pass: m.errors === 0 && m.requests === hotRequests && ok === hotStock && s.reserved === hotStock && s.activeHeld === hotStock && oversell === 0,
  };
}

/**
 * Reserve 1 unit of a random sku stocked in three warehouses, the line naming
 * none: allocated (PRIORITY + MINIMIZE) by the server, by the first warehouse
 * by priority that has it in the baseline (the same choice here). Half the
 * skus serve the baseline, half the server.
 */
export async function multiWarehouse(b: Bench, connections: number, levels: readonly LevelRef[]): Promise<void> {
  const products = [...new Map(levels.map((l) => [l.productId, l])).values()];
  const half = Math.floor(products.length / 2);
  const rawSide = products.slice(0, half);
  const apiSide = products.slice(half);
  const raw = await rawLoad(b, connections, () => b.raw.reserveAllocated(newOrderId(b, "rm"), pick(rawSide).productId), { expected: ["ok", "INSUFFICIENT_STOCK"] });
  const baseline = b.add({ scenario: "baseline: reserve over 3 warehouses (raw SQL)", connections, m: raw, checks: okCount(raw), pass: raw.errors === 0 });
  const m = await apiLoad(b, connections, [reserveStep(b, "am", () => pick(apiSide).sku)], { expected: ["INSUFFICIENT_STOCK"] });
  b.add({ scenario: "reserve with allocation, 3 warehouses", connections, m, baseline, checks: okCount(m), pass: m.errors === 0 });
}

/** reserve → confirm (or → release), one order after another per connection; throughput counts requests. */
export async function lifecycle(b: Bench, connections: number, to: "CONFIRMED" | "RELEASED"): Promise<void> {
  const name = to === "CONFIRMED" ? "confirm" : "release";
  const raw = await rawLoad(b, connections, async (_, ctx) => {
    const pending = ctx.orderId as string | undefined;
    if (pending) {
      ctx.orderId = undefined;
      return b.raw.finish(pending, to);
    }
    const orderId = newOrderId(b, "rl");
    const outcome = await b.raw.reserve(orderId, pick(b.spread));
    if (outcome === "ok") ctx.orderId = orderId;
    return outcome;
  });
  const baseline = b.add({ scenario: `baseline: reserve → ${name} (raw SQL)`, connections, m: raw, checks: okCount(raw), pass: raw.errors === 0 });
  const m = await apiLoad(b, connections, [
    (ctx) => {
      ctx.orderId = newOrderId(b, "al");
      return { query: RESERVE, variables: { input: { orderId: ctx.orderId, items: [{ sku: pick(b.spread).sku, quantity: 1 }] } } };
    },
    (ctx) => ({ query: to === "CONFIRMED" ? CONFIRM : RELEASE, variables: { input: { orderId: ctx.orderId } } }),
  ]);
  b.add({ scenario: `reserve → ${name}`, connections, m, baseline, checks: okCount(m), pass: m.errors === 0 });
}

/** checkStock of 5 lines, and products(first: 100) with levels and warehouses. */
export async function reads(b: Bench, connections: number, statements: Record<number, number>): Promise<void> {
  const fiveSkus = () => {
    const skus = new Set<string>();
    while (skus.size < Math.min(5, b.spread.length)) skus.add(pick(b.spread).sku);
    return [...skus];
  };
  const rawCheck = await rawLoad(b, connections, () => b.raw.checkStock(fiveSkus()));
  const baseCheck = b.add({ scenario: "baseline: stock of 5 skus (raw SQL)", connections, m: rawCheck, checks: okCount(rawCheck), pass: rawCheck.errors === 0 });
  const check = await apiLoad(b, connections, [() => ({ query: CHECK, variables: { items: fiveSkus().map((sku) => ({ sku, quantity: 1 })) } })]);
  b.add({ scenario: "checkStock, 5 lines", connections, m: check, baseline: baseCheck, checks: okCount(check), pass: check.errors === 0 });

  const rawPage = await rawLoad(b, connections, () => b.raw.productsPage(100));
  const basePage = b.add({ scenario: "baseline: 100 products + levels (raw SQL)", connections, m: rawPage, checks: okCount(rawPage), pass: rawPage.errors === 0 });
  const page = await apiLoad(b, connections, [() => ({ query: PRODUCTS, variables: { first: 100 } })]);
  const counts = Object.entries(statements).map(([first, n]) => `first ${first}: ${n}`);
  const constant = new Set(Object.values(statements)).size === 1;
  b.add({
    scenario: "products(first: 100) + levels",
    connections,
    m: page,
    baseline: basePage,
    checks: `${okCount(page)} SQL/request ${counts.join(", ")}${constant ? " (constant)" : " (NOT constant)"}`,
    pass: page.errors === 0 && constant,
  });
}
