// What one load run measured, whoever generated the load (autocannon, the raw-SQL loop, the WebSocket clients).
import { readdirSync, readFileSync } from "node:fs";

export interface Measured {
  /** Completed requests (or transactions) in the measured window. */
  requests: number;
  seconds: number;
  /** requests / seconds */
  throughput: number;
  p50: number;
  p99: number;
  max: number;
  /** Transport errors, non-2xx, GraphQL errors and unexpected refusals. */
  errors: number;
  /** How the requests ended: "ok", a StockErrorCode, or "error" (with the error's code if it has one). */
  outcomes: Record<string, number>;
  /** The server's CPU time (all its processes) per request in the measured window, in µs; API rows only. */
  serverCpuMicros?: number;
}

export function count(outcomes: Record<string, number>, key: string, n = 1): void {
  outcomes[key] = (outcomes[key] ?? 0) + n;
}

/** The q-quantile (0..1) of unsorted values, nearest-rank; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** How many requests ended in an outcome not among `expected`. */
export function errorsOf(outcomes: Record<string, number>, expected: readonly string[]): number {
  return Object.entries(outcomes)
    .filter(([k]) => !expected.includes(k))
    .reduce((a, [, n]) => a + n, 0);
}

export function summarize(latenciesMs: readonly number[], seconds: number, outcomes: Record<string, number>, expected: readonly string[]): Measured {
  const requests = latenciesMs.length;
  const errors = errorsOf(outcomes, expected);
  return {
    requests,
    seconds,
    throughput: seconds > 0 ? requests / seconds : 0,
    p50: quantile(latenciesMs, 0.5),
    p99: quantile(latenciesMs, 0.99),
    max: latenciesMs.reduce((a, b) => Math.max(a, b), 0),
    errors,
    outcomes,
  };
}

/**
 * A closed loop: `concurrency` workers each run `op` back to back until
 * `seconds` have passed or `amount` ops have started. `op` returns how it
 * ended; `ctx` lives as long as its worker (like autocannon's per connection).
 */
export async function closedLoop(opts: {
  concurrency: number;
  seconds?: number;
  amount?: number;
  op: (i: number, ctx: Record<string, unknown>) => Promise<string>;
  expected?: readonly string[];
}): Promise<Measured> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const start = performance.now();
  const until = opts.seconds === undefined ? Infinity : start + opts.seconds * 1000;
  let next = 0;
  const worker = async () => {
    const ctx: Record<string, unknown> = {};
    for (;;) {
      if (performance.now() >= until) return;
      const i = next++;
      if (opts.amount !== undefined && i >= opts.amount) return;
      const t0 = performance.now();
      let outcome: string;
      try {
        outcome = await opts.op(i, ctx);
      } catch (e) {
        // Named by the error's code where it has one (a database error's SQLSTATE: 40P01 is a deadlock).
        const code = (e as { code?: unknown } | null)?.code;
        outcome = typeof code === "string" ? `error ${code}` : "error";
      }
      latencies.push(performance.now() - t0);
      count(outcomes, outcome);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return summarize(latencies, (performance.now() - start) / 1000, outcomes, opts.expected ?? ["ok"]);
}

/** How a GraphQL response over HTTP ended: "ok", the first StockError code of the payload, or an error kind. */
export function outcomeOf(status: number, body: string): string {
  if (status !== 200) return `http ${status}`;
  let parsed: { data?: Record<string, unknown> | null; errors?: unknown[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return "bad json";
  }
  if (parsed.errors?.length) return "graphql error";
  for (const value of Object.values(parsed.data ?? {})) {
    const payloadErrors = (value as { errors?: Array<{ code: string }> } | null)?.errors;
    if (Array.isArray(payloadErrors) && payloadErrors.length > 0) return payloadErrors[0]!.code;
  }
  return "ok";
}

/**
 * CPU seconds (user + system) used so far by process `pid` and every process
 * under it (cluster workers), from /proc; NaN where there is no /proc.
 */
export function cpuSecondsOfTree(pid: number): number {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return Number.NaN;
  }
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux build Node supports
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const e of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    // Fields after the command name (which may hold spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    const self = Number(e);
    const parent = Number(f[1]);
    ticks.set(self, Number(f[11]) + Number(f[12]));
    children.set(parent, [...(children.get(parent) ?? []), self]);
  }
  if (!ticks.has(pid)) return Number.NaN;
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += ticks.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total / ticksPerSecond;
}
