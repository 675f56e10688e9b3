// The live scenario: product pages and dashboards subscribed over WebSockets
// (in a child process, ws-load.ts) while changes are committed at a fixed rate.
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { cpuSecondsOfTree, type Measured } from "./measure.js";
import type { Row } from "./report.js";
import { type Bench, gql, pick } from "./scenarios.js";
import type { FromWsLoad, ToWsLoad } from "./ws-load.js";

const RECEIVE = `mutation Receive($input: ReceiveStockInput!) { receiveStock(input: $input) { movement { sequence } errors { code } } }`;
const MAX_IN_FLIGHT = 64;
const GRACE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LiveResult {
  row: Row;
  wanted: number;
  connected: number;
  lost: number;
  duplicates: number;
  messages: number;
}

export async function live(b: Bench): Promise<LiveResult> {
  const { liveSubscribers, liveDashboards, liveRate, seconds, warmupSeconds } = b.knobs;
  const skus = (await b.raw.seed(`${b.run}-live`, liveSubscribers, 1)).map((l) => l.sku);
  const probe = (await b.raw.seed(`${b.run}-probe`, 1, 1))[0]!.sku;
  await settleRelay(b, probe);

  const child = fork(join(dirname(fileURLToPath(import.meta.url)), "ws-load.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const started = message(child, "ready");
    child.send({ type: "start", url: b.url, key: b.key, skus, dashboards: liveDashboards } satisfies ToWsLoad);
    const ready = await started;
    const wanted = liveSubscribers + liveDashboards;

    await drive(b, skus, liveRate, warmupSeconds, null); // not counted: lets the subscriptions and the relay settle
    await sleep(500);
    const bySku: Record<string, string[]> = {};
    const cpuBefore = cpuSecondsOfTree(b.serverPid);
    const d = await drive(b, skus, liveRate, seconds, bySku);
    const serverCpuMicros = ((cpuSecondsOfTree(b.serverPid) - cpuBefore) / Math.max(1, d.ok)) * 1e6;
    const reported = message(child, "report");
    child.send({ type: "expect", bySku, graceMs: GRACE_MS } satisfies ToWsLoad);
    const r = await reported;

    const errors = d.failed + ready.failed + r.errors.length;
    const m: Measured = { requests: d.ok, seconds: d.seconds, throughput: d.ok / d.seconds, p50: r.p50, p99: r.p99, max: r.max, errors, outcomes: { ok: d.ok }, serverCpuMicros };
    const row: Row = {
      scenario: `live: ${liveSubscribers} pages + ${liveDashboards} dashboards`,
      connections: ready.connected,
      m,
      checks: `changes/s (${Math.round(d.ok / d.seconds)} of ${liveRate} asked); latency commit→receipt; subscribers=${ready.connected}/${wanted} delivered=${r.messages} lost=${r.lost} dup=${r.duplicates}; receiver loop delay p99 ${r.loopDelayP99.toFixed(0)} ms`,
      pass: r.lost === 0 && r.duplicates === 0 && ready.connected === wanted && d.failed === 0,
      note: "req/s = changes committed per second; p50/p99/max = commit → subscriber; server CPU per change, its deliveries included",
    };
    if (r.errors.length > 0 || ready.errors.length > 0) console.error(`live: subscriber errors: ${[...ready.errors, ...r.errors].join("; ")}`);
    return { row: b.add(row), wanted, connected: ready.connected, lost: r.lost, duplicates: r.duplicates, messages: r.messages };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

function message<T extends FromWsLoad["type"]>(child: ChildProcess, type: T): Promise<Extract<FromWsLoad, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWsLoad) => {
      if (m.type !== type) return;
      child.off("message", onMessage);
      resolve(m as Extract<FromWsLoad, { type: T }>);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`ws-load exited (${code}) before "${type}"`)));
  });
}

/** receiveStock of 1 unit of a random sku, `rate` a second for `seconds`; the committed sequences per sku go to `bySku`. */
async function drive(b: Bench, skus: readonly string[], rate: number, seconds: number, bySku: Record<string, string[]> | null) {
  const start = performance.now();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const one = async () => {
    const sku = pick(skus);
    try {
      const body = await gql(b, RECEIVE, { input: { sku, quantity: 1, reason: "bench live" } });
      const sequence = (body.data?.receiveStock as { movement?: { sequence: string } } | undefined)?.movement?.sequence;
      if (!sequence) throw new Error(JSON.stringify(body).slice(0, 200));
      ok++;
      if (bySku) (bySku[sku] ??= []).push(sequence);
    } catch {
      failed++;
    }
  };
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
    for (let k = 0; k < due && inFlight.size < MAX_IN_FLIGHT; k++) {
      sent++;
      const p: Promise<void> = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  return { ok, failed, seconds: (performance.now() - start) / 1000 };
}

/**
 * Earlier scenarios leave the relay a backlog to publish; wait until a change
 * of `probe` reaches a subscriber promptly, so the live figures are its own.
 */
async function settleRelay(b: Bench, probe: string, timeoutMs = 120_000): Promise<void> {
  const client = createClient({
    url: b.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${b.key}` },
    retryAttempts: 0,
  });
  let arrived: (() => void) | null = null;
  const stop = client.subscribe(
    { query: `subscription Probe($skus: [String!]) { stockChanged(skus: $skus) { sequence } }`, variables: { skus: [probe] } },
    { next: () => arrived?.(), error: () => {}, complete: () => {} },
  );
  try {
    await sleep(300);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const t0 = Date.now();
      const got = new Promise<void>((resolve) => (arrived = resolve));
      await gql(b, RECEIVE, { input: { sku: probe, quantity: 1, reason: "bench probe" } });
      await Promise.race([got, sleep(5_000)]);
      if (Date.now() - t0 < 250) return;
    }
    console.error("live: the relay did not settle; live figures include its backlog");
  } finally {
    stop();
    await client.dispose();
  }
}
