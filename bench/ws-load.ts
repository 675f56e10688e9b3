// The live scenario's subscribers, in a process of their own (forked by run.ts,
// talking over IPC): one WebSocket per product page watching one SKU, plus
// dashboards watching everything. Measures commit-to-receipt latency and loss.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { quantile } from "./measure.js";

export type ToWsLoad =
  | { type: "start"; url: string; key: string; skus: string[]; dashboards: number }
  /** The sequences committed in the measured window, per sku; wait up to graceMs for all of them. */
  | { type: "expect"; bySku: Record<string, string[]>; graceMs: number };

export type FromWsLoad =
  | { type: "ready"; connected: number; failed: number; errors: string[] }
  | {
      type: "report";
      subscribers: number;
      messages: number;
      lost: number;
      duplicates: number;
      p50: number;
      p99: number;
      max: number;
      /** p99 of this process's own event-loop delay (ms): high means the receiver, not the server, was slow. */
      loopDelayP99: number;
      errors: string[];
    };

const QUERY = `subscription Watch($skus: [String!]) { stockChanged(skus: $skus) { sequence movement { createdAt } } }`;
const CONNECT_AT_ONCE = 50;

interface Subscriber {
  /** null: a dashboard (everything). */
  sku: string | null;
  client: Client;
  /** sequence -> latency (ms) from the movement's created_at to receipt. */
  got: Map<string, number>;
  duplicates: number;
}

const subscribers: Subscriber[] = [];
const errors: string[] = [];
const send = (m: FromWsLoad) => process.send!(m);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function subscribe(url: string, key: string, sku: string | null): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => resolve(sub), error: (e) => reject(e instanceof Error ? e : new Error(String((e as { message?: string })?.message ?? e))) },
    });
    const sub: Subscriber = { sku, client, got: new Map(), duplicates: 0 };
    client.subscribe<{ stockChanged: { sequence: string; movement: { createdAt: string } } }>(
      { query: QUERY, variables: sku === null ? {} : { skus: [sku] } },
      {
        next: (v) => {
          const change = v.data?.stockChanged;
          if (!change) {
            if (v.errors && errors.length < 5) errors.push(JSON.stringify(v.errors));
            return;
          }
          if (sub.got.has(change.sequence)) sub.duplicates++;
          else sub.got.set(change.sequence, Date.now() - Date.parse(change.movement.createdAt));
        },
        error: (e) => {
          if (errors.length < 5) errors.push(String((e as Error)?.message ?? JSON.stringify(e)));
        },
        complete: () => {},
      },
    );
  });
}

async function start(m: Extract<ToWsLoad, { type: "start" }>): Promise<void> {
  const wanted: Array<string | null> = [...m.skus, ...Array.from({ length: m.dashboards }, () => null)];
  let failed = 0;
  for (let i = 0; i < wanted.length; i += CONNECT_AT_ONCE) {
    const opened = await Promise.allSettled(wanted.slice(i, i + CONNECT_AT_ONCE).map((sku) => subscribe(m.url, m.key, sku)));
    for (const o of opened) {
      if (o.status === "fulfilled") subscribers.push(o.value);
      else {
        failed++;
        if (errors.length < 5) errors.push(String(o.reason));
      }
    }
  }
  send({ type: "ready", connected: subscribers.length, failed, errors });
  loopDelay.enable();
}

async function expect(m: Extract<ToWsLoad, { type: "expect" }>): Promise<void> {
  const all = Object.values(m.bySku).flat();
  const expectedOf = (s: Subscriber) => (s.sku === null ? all : (m.bySku[s.sku] ?? []));
  const missing = () => subscribers.reduce((n, s) => n + expectedOf(s).filter((q) => !s.got.has(q)).length, 0);
  const deadline = Date.now() + m.graceMs;
  while (missing() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

  const latencies: number[] = [];
  for (const s of subscribers) {
    for (const q of expectedOf(s)) {
      const ms = s.got.get(q);
      if (ms !== undefined) latencies.push(ms);
    }
  }
  send({
    type: "report",
    subscribers: subscribers.length,
    messages: latencies.length,
    lost: missing(),
    duplicates: subscribers.reduce((n, s) => n + s.duplicates, 0),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    errors,
  });
  await Promise.allSettled(subscribers.map((s) => s.client.dispose()));
  process.disconnect();
}

process.on("message", (m: ToWsLoad) => {
  const work = m.type === "start" ? start(m) : expect(m);
  work.catch((e: Error) => {
    console.error(`ws-load: ${e.stack ?? e}`);
    process.exit(1);
  });
});
