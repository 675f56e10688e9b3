// HTTP load with autocannon: keep-alive connections, each sending GraphQL
// operations back to back (closed loop), every response classified.
import autocannon from "autocannon";
import { count, errorsOf, type Measured, outcomeOf } from "./measure.js";

/** Builds one GraphQL request; `ctx` lives as long as the connection (e.g. the orderId a later step confirms). */
export type GraphQLStep = (ctx: Record<string, unknown>) => { query: string; variables?: Record<string, unknown> };

export interface HttpLoadOptions {
  url: string;
  key: string;
  connections: number;
  /** Run for this long, unless `amount` is given (then until that many responses). */
  seconds?: number;
  amount?: number;
  /** Sent in turn on every connection, round and round. */
  steps: GraphQLStep[];
  /** Outcomes that are not errors (e.g. INSUFFICIENT_STOCK when stock runs out on purpose). */
  expected?: readonly string[];
}

export async function httpLoad(opts: HttpLoadOptions): Promise<Measured> {
  const outcomes: Record<string, number> = {};
  let responses = 0;
  // autocannon ends a run on its 1 s tick, so its own duration of a run of
  // `amount` requests is rounded up to the next second: time it here instead.
  const startedAt = performance.now();
  let lastAt = startedAt;
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    pipelining: 1,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.seconds ?? 10 }),
    timeout: 30,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${opts.key}` },
    requests: opts.steps.map((step) => ({
      method: "POST" as const,
      setupRequest: (req, ctx) => ({ ...req, body: JSON.stringify(step(ctx as Record<string, unknown>)) }),
      onResponse: (status: number, body: string) => {
        responses++;
        lastAt = performance.now();
        count(outcomes, outcomeOf(status, body));
      },
    })),
  });
  const transport = result.errors + result.timeouts;
  if (transport > 0) count(outcomes, "transport error", transport);
  const errors = errorsOf(outcomes, ["ok", ...(opts.expected ?? [])]);
  const seconds = (lastAt - startedAt) / 1000;
  return {
    requests: responses,
    seconds,
    throughput: seconds > 0 ? responses / seconds : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors,
    outcomes,
  };
}
