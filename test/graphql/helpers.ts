// Small helpers shared by the API test files: answers without errors, the
// ledger's watermark, and a fingerprint of everything a mutation could change.
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import type { TestService } from "../support/service.js";

export interface GqlAnswer<T = any> {
  data?: T;
  errors?: any[];
  status: number;
}

/** The answer's data, failing the test with the errors if there are any. */
export function dataOf<T = any>(res: GqlAnswer<T>): T {
  expectNoLeak(res);
  expect(res.errors, `unexpected errors: ${JSON.stringify(res.errors)}`).toBeUndefined();
  expect(res.status).toBe(200);
  return res.data as T;
}

/** Runs an operation that must succeed and returns its data. */
export async function must<T = any>(t: TestService, query: string, variables: Record<string, unknown> = {}, key?: string | null): Promise<T> {
  return dataOf<T>(await t.gql<T>(query, variables, key));
}

/**
 * Waits until the ledger listing in sequence order shows everything committed
 * so far (it stops at the commit-safe watermark, which trails commits slightly).
 */
export async function settle(t: TestService): Promise<void> {
  const d = await must(t, `{ stockMovements(first: 1, newestFirst: true) { nodes { sequence } } }`);
  const last = d.stockMovements.nodes[0]?.sequence;
  if (last !== undefined) expect(await t.service.services.hub.reached(Number(last))).toBe(true);
}

/**
 * Statements sent while answering `query`. Other work in the process
 * (the hub's catch-up poll) may add a statement now and then, never
 * remove one, so the least of a few runs is the request's own count.
 */
export async function statements(t: TestService, query: string, variables: Record<string, unknown> = {}): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 5; i++) {
    const before = t.service.database.queryCount();
    const res = await t.gql(query, variables);
    const used = t.service.database.queryCount() - before;
    dataOf(res);
    least = Math.min(least, used);
  }
  return least;
}

/** Row counts of every table a mutation writes, plus every level's counters: equal before and after means nothing changed. */
export async function fingerprint(t: TestService): Promise<Record<string, unknown>> {
  const [counts] = await t.service.database.rows<Record<string, string>>(sql`
    select (select count(*) from stock_movements) as movements,
           (select count(*) from stock_alerts) as alerts,
           (select count(*) from stock_levels) as levels,
           (select count(*) from reservations) as reservations,
           (select count(*) from reservation_lines) as lines,
           (select count(*) from products) as products,
           (select count(*) from warehouses) as warehouses,
           (select count(*) from deductions) as deductions,
           (select coalesce(string_agg(concat_ws('/', id, on_hand, reserved, version, low_stock_threshold), ',' order by id), '')
              from stock_levels) as level_state,
           (select coalesce(string_agg(concat_ws('/', id, status, expires_at), ',' order by id), '') from reservations) as reservation_state,
           (select count(*) from transfer_events) as transfer_events,
           (select coalesce(string_agg(concat_ws('/', id, status, version), ',' order by id), '') from transfers) as transfer_state,
           (select coalesce(string_agg(concat_ws('/', id, received, lost), ',' order by id), '') from transfer_lines) as transfer_line_state`);
  return { ...counts };
}

/** Every `message` anywhere in a value: GraphQL errors and StockErrors in payloads alike. */
function messagesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(messagesIn);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "message" && typeof v === "string" ? [v] : messagesIn(v)));
}

/** No error of the answer shows SQL, a file path or a stack trace, or echoes a huge input back. */
export function expectNoLeak(res: GqlAnswer): void {
  for (const message of messagesIn([res.errors, res.data])) {
    expect(/\bselect\b|\binsert\b|at \/|\.ts:|\n\s+at /i.test(message), `leaks internals: ${message}`).toBe(false);
    expect(message.length, `echoes its input back: ${message.slice(0, 100)}`).toBeLessThan(1_000);
  }
  for (const e of res.errors ?? []) {
    const message = String(e.message);
    expect(e.extensions?.stacktrace, message).toBeUndefined();
    expect(e.extensions?.exception, message).toBeUndefined();
    expect(e.extensions?.code, message).not.toBe("INTERNAL_SERVER_ERROR");
    expect(JSON.stringify(e).length, `an error echoes its input back: ${message.slice(0, 100)}`).toBeLessThan(2_000);
  }
}
