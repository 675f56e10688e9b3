// `npm run bench`: the service under load against the database's own limit.
// Starts PostgreSQL and Redis as the tests do (or uses DATABASE_URL /
// REDIS_URL), runs the built server as its own process, and drives it over
// HTTP (autocannon, keep-alive) and WebSockets, each scenario beside the same
// transaction done with the postgres driver alone. See the README, "Benchmark".
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { start } from "../src/app.js";
import { configWith } from "../src/config.js";
import { openDatabase } from "../src/db/client.js";
import { createLogger } from "../src/log.js";
import { projectRoot } from "../src/paths.js";
import { startPostgres, startRedis } from "../test/support/servers.js";
import { CLEAN, checkInvariants } from "../test/support/invariants.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../test/support/process.js";
import { live, type LiveResult } from "./live.js";
import { type ProfileSummary, summarizeProfile } from "./profile.js";
import { RawSql } from "./raw-sql.js";
import { markdownTable, progressHeader, progressLine, ratio, type Row } from "./report.js";
import { apiLoad, type Bench, hot, hotLots, type Knobs, lifecycle, multiWarehouse, primeCatalog, PRODUCTS, reads, reserveStep, spread } from "./scenarios.js";

const GROUPS = ["spread", "hot", "lots", "lifecycle", "reads", "multi", "live", "pglite"] as const;

// The bench's settings, read once here.
const env = process.env;
const num = (name: string, fallback: number) => {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(v)}`);
  return n;
};
const knobs: Knobs = {
  seconds: num("BENCH_SECONDS", 10),
  warmupSeconds: num("BENCH_WARMUP_SECONDS", 3),
  pool: num("BENCH_POOL", 20),
  spreadSkus: num("BENCH_SPREAD_SKUS", 10_000),
  hotRequests: num("BENCH_HOT_REQUESTS", 20_000),
  hotStock: num("BENCH_HOT_STOCK", 5_000),
  liveSubscribers: num("BENCH_LIVE_SUBSCRIBERS", 1_000),
  liveDashboards: num("BENCH_LIVE_DASHBOARDS", 10),
  liveRate: num("BENCH_LIVE_RATE", 500),
  pgliteSkus: num("BENCH_PGLITE_SKUS", 1_000),
};
const only = new Set((env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean));
for (const g of only) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`BENCH_ONLY: unknown scenario group "${g}" (${GROUPS.join(", ")})`);
const wants = (g: (typeof GROUPS)[number]) => only.size === 0 || only.has(g);
const coalesce = env.BENCH_COALESCE ?? "true";
const cpuProf = env.BENCH_CPU_PROF === "1";
// Instances of the server (WORKERS): one by default, as the service starts; BENCH_WORKERS=2 runs one per core here.
const workers = num("BENCH_WORKERS", 1);
// PostgreSQL as production runs it (every commit flushed to disk), unless BENCH_FSYNC=off.
const fsync = (env.BENCH_FSYNC ?? "on") !== "off";
// How the server and the baseline reach the bench's PostgreSQL: its Unix socket (as pgbench does by default), or TCP with BENCH_PG=tcp.
const pgSocket = (env.BENCH_PG ?? "socket") !== "tcp";
const spreadConnections = [32, 64];
const hotConnections = [64, 256];
const otherConnections = 32;

const cleanups: Array<() => Promise<void>> = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error(`cleanup: ${e.message}`));
  cleanups.length = 0;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const started = new Date();
  const databaseUrl = env.DATABASE_URL || (await startPostgres(cleanups, { durable: fsync, socket: pgSocket }));
  const redisUrl = env.REDIS_URL || `redis://127.0.0.1:${(await startRedis(cleanups)).port}`;
  const profileDir = join(projectRoot, "bench", "profiles", started.toISOString().replace(/[:.]/g, "-"));
  if (cpuProf) mkdirSync(profileDir, { recursive: true });

  const liveSockets = knobs.liveSubscribers + knobs.liveDashboards;
  const server = await spawnService(
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      // The same number of connections as the baseline, shared out among the workers.
      DATABASE_POOL_SIZE: String(Math.ceil(knobs.pool / workers)),
      RATE_LIMIT_PER_MINUTE: "0",
      // The live scenario opens one socket and subscription per page and dashboard, all with one key from one address.
      ...Object.fromEntries(
        ["WS_MAX_CONNECTIONS_PER_ADDRESS", "WS_MAX_CONNECTIONS_PER_KEY", "MAX_SUBSCRIPTIONS_PER_KEY", "MAX_SUBSCRIPTIONS_PER_ADDRESS"].map((k) => [k, String(liveSockets + 100)]),
      ),
      SUBSCRIPTION_COST_BUDGET: String(10 * liveSockets + 1000),
      COALESCE_RESERVES: coalesce,
      EXPIRY_SWEEP_MS: "60000",
      WORKERS: String(workers),
    },
    120_000,
    cpuProf ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
  );
  cleanups.push(async () => void (await server.stop()));
  const raw = new RawSql(databaseUrl, knobs.pool);
  cleanups.push(() => raw.end());

  const machine = await describeMachine(raw, databaseUrl, redisUrl);
  console.log(`stock service bench — ${machine.cpus}× ${machine.cpuModel}, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}`);
  console.log(`${machine.postgres}; Redis ${machine.redis}; load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
  if (loadBefore[0]! > os.cpus().length * 0.5) console.log("WARNING: the machine is busy; figures are noisy (the ratios less so)");
  console.log(
    `measure ${knobs.seconds} s after ${knobs.warmupSeconds} s warm-up; pool ${knobs.pool} (baseline; the server's workers share as many); ${workers} server worker${workers === 1 ? "" : "s"}; coalescing ${coalesce}; PostgreSQL fsync ${fsync ? "on" : "off"}${env.DATABASE_URL ? " (as configured at DATABASE_URL)" : ""}${cpuProf ? `; CPU profile → ${profileDir}` : ""}\n`,
  );
  console.log(progressHeader());

  const rows: Row[] = [];
  const run = `B${started.getTime().toString(36).toUpperCase()}`;
  const b: Bench = {
    knobs,
    run,
    url: server.url,
    serverPid: server.pid,
    key: TEST_ADMIN_KEY,
    raw,
    spread: wants("spread") || wants("lifecycle") || wants("reads") ? await raw.seed(`${run}-S`, knobs.spreadSkus, 1_000_000_000) : [],
    add: (row) => {
      rows.push(row);
      console.log(progressLine(row));
      return row;
    },
  };

  await primeCatalog(server.url, TEST_ADMIN_KEY, b.spread.map((l) => l.sku));

  let statements: Record<number, number> = {};
  let liveResult: LiveResult | null = null;
  try {
    if (wants("spread")) for (const c of spreadConnections) await spread(b, c);
    if (wants("hot")) for (const c of hotConnections) await hot(b, c);
    if (wants("lots")) await hotLots(b, hotConnections[0]!);
    if (wants("lifecycle")) {
      await lifecycle(b, otherConnections, "CONFIRMED");
      await lifecycle(b, otherConnections, "RELEASED");
    }
    if (wants("reads")) {
      statements = await statementsPerRequest(databaseUrl, [10, 100]);
      await reads(b, otherConnections, statements);
    }
    if (wants("multi")) {
      const levels = await raw.seedAcross(`${run}-M`, 2_000, 1_000_000, [`${run}-W1`, `${run}-W2`, `${run}-W3`]);
      await primeCatalog(server.url, TEST_ADMIN_KEY, [...new Set(levels.map((l) => l.sku))]);
      await multiWarehouse(b, otherConnections, levels);
    }
    if (wants("live")) liveResult = await live(b);
    if (wants("pglite")) await embedded(b, rows.find((r) => r.scenario.startsWith("baseline: spread") && r.connections === otherConnections));
  } catch (err) {
    console.error(`\nbench failed: ${(err as Error).stack ?? err}\n--- server output (tail) ---\n${server.output().split("\n").slice(-30).join("\n")}`);
    throw err;
  }

  const invariants = await checkDatabase(databaseUrl);
  await server.stop();
  // One line per worker: their sums, and the largest batch any of them formed.
  const coalescerLine = sumStats([...server.output().matchAll(/reserve coalescer: (.*)/g)].map((m) => JSON.parse(m[1]!) as Record<string, number>));
  const profile = cpuProf ? newestProfile(profileDir) : null;
  const loadAfter = os.loadavg();

  const targets = targetsOf(rows);
  console.log(`\n${markdownTable(rows)}\n`);
  console.log(`invariants (docs/design.md 1-5) after everything: ${JSON.stringify(invariants)}`);
  if (coalescerLine) console.log(`server's reserve coalescer over the whole run: ${coalescerLine}`);
  for (const t of targets) console.log(`target ${t.ok ? "met   " : "missed"}  ${t.name}: ${t.value === null ? "not run" : t.value.toFixed(2)}`);
  if (profile) printProfile(profile);
  console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")}`);

  const file = join(projectRoot, "bench", "results", `${started.toISOString().slice(0, 10)}.json`);
  mkdirSync(join(projectRoot, "bench", "results"), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: started.toISOString(),
        command: "npm run bench",
        settings: { ...knobs, only: [...only], coalesce, workers, fsync: env.DATABASE_URL ? "as configured" : fsync ? "on" : "off", cpuProf },
        machine: { ...machine, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
        rows: rows.map((r) => ({
          scenario: r.scenario,
          connections: r.connections,
          throughput: Math.round(r.m.throughput),
          ratio: ratio(r),
          baseline: r.baseline?.scenario ?? null,
          p50: r.m.p50,
          p99: r.m.p99,
          max: r.m.max,
          requests: r.m.requests,
          seconds: r.m.seconds,
          errors: r.m.errors,
          outcomes: r.m.outcomes,
          checks: r.checks,
          pass: r.pass,
        })),
        statementsPerProductsRequest: statements,
        live: liveResult && { wanted: liveResult.wanted, connected: liveResult.connected, lost: liveResult.lost, duplicates: liveResult.duplicates, messages: liveResult.messages },
        invariants,
        coalescer: coalescerLine ? (JSON.parse(coalescerLine) as unknown) : null,
        targets,
        profile,
        table: markdownTable(rows),
      },
      null,
      2,
    ),
  );
  console.log(`results: ${file}`);
  const failed = rows.filter((r) => !r.pass).length + (JSON.stringify(invariants) === JSON.stringify(CLEAN) ? 0 : 1);
  if (failed > 0) {
    console.log(`${failed} check(s) failed`);
    process.exitCode = 1;
  }
}

/** The embedded default (PGlite, in-process pub/sub): spread reserve, to tell small shops what they get. */
async function embedded(b: Bench, pgBaseline: Row | undefined): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), "bench-pglite-"));
  let server: ServiceProcess | null = null;
  try {
    server = await spawnService({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: "0", COALESCE_RESERVES: coalesce, EXPIRY_SWEEP_MS: "60000" }, 120_000);
    const skus = Array.from({ length: knobs.pgliteSkus }, (_, i) => `${b.run}-E-${i}`);
    const create = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { product { id } errors { code } } }`;
    for (let i = 0; i < skus.length; i += 16) {
      await Promise.all(
        skus.slice(i, i + 16).map(async (sku) => {
          const r = await server!.gql(create, { input: { sku, name: `bench ${sku}`, initialStock: 1_000_000 } }, TEST_ADMIN_KEY);
          if (r.errors?.length || r.status !== 200) throw new Error(`seeding PGlite: ${JSON.stringify(r.errors)}`);
        }),
      );
    }
    await primeCatalog(server.url, TEST_ADMIN_KEY, skus);
    const m = await apiLoad(b, otherConnections, [reserveStep(b, "E", () => skus[Math.floor(Math.random() * skus.length)]!)], { url: server.url, pid: server.pid });
    b.add({
      scenario: `embedded PGlite: spread reserve`,
      connections: otherConnections,
      m,
      baseline: pgBaseline,
      checks: `ok=${(m.outcomes.ok ?? 0).toLocaleString("en-US")} over ${skus.length.toLocaleString("en-US")} skus (ratio: to the PostgreSQL baseline)`,
      pass: m.errors === 0,
    });
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * SQL statements one products(first: n) request costs, counted in-process
 * (database.queryCount()) on a second instance; the least of a few tries, as
 * the relay and the hub poll in the background.
 */
async function statementsPerRequest(databaseUrl: string, pageSizes: number[]): Promise<Record<number, number>> {
  // In-process pub/sub: this short-lived instance publishes nothing (the
  // spawned server holds the relay's leadership), and a hub catches up from the ledger anyway.
  const config = configWith({
    port: 0,
    databaseUrl,
    redisUrl: undefined,
    databasePoolSize: 4,
    rateLimitPerMinute: 0,
    adminApiKey: TEST_ADMIN_KEY,
    expirySweepMs: 3_600_000,
    logLevel: "error",
  });
  const svc = await start(config, createLogger("error"));
  try {
    const out: Record<number, number> = {};
    for (const first of pageSizes) {
      let least = Infinity;
      for (let k = 0; k < 5; k++) {
        const before = svc.database.queryCount();
        const res = await fetch(svc.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TEST_ADMIN_KEY}` },
          body: JSON.stringify({ query: PRODUCTS, variables: { first } }),
        });
        const body = (await res.json()) as { errors?: unknown[] };
        if (body.errors) throw new Error(`products(first: ${first}): ${JSON.stringify(body.errors)}`);
        least = Math.min(least, svc.database.queryCount() - before);
      }
      out[first] = least;
    }
    return out;
  } finally {
    await svc.dispose();
  }
}

async function checkDatabase(databaseUrl: string) {
  const database = await openDatabase({ url: databaseUrl, dataDir: os.tmpdir(), poolSize: 2 });
  try {
    return await checkInvariants(database);
  } finally {
    await database.close();
  }
}

function targetsOf(rows: readonly Row[]) {
  const find = (scenario: string, c: number) => rows.find((r) => r.scenario === scenario && r.connections === c);
  const r = (row: Row | undefined) => (row ? ratio(row) : null);
  const liveRow = rows.find((x) => x.scenario.startsWith("live:"));
  const at = (name: string, value: number | null, ok: (v: number) => boolean) => ({ name, value, ok: value !== null && ok(value) });
  return [
    at("hot SKU @64 ≥ 3× baseline", r(find("hot SKU reserve", 64)), (v) => v >= 3),
    at("spread @32 ≥ 0.7× baseline", r(find("spread reserve", 32)), (v) => v >= 0.7),
    at("spread @64 ≥ 0.7× baseline", r(find("spread reserve", 64)), (v) => v >= 0.7),
    at("live commit→subscriber p99 ≤ 50 ms", liveRow ? liveRow.m.p99 : null, (v) => v <= 50),
  ];
}

function newestProfile(dir: string): ProfileSummary | null {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  const newest = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return newest ? summarizeProfile(newest) : null;
}

function printProfile(p: ProfileSummary): void {
  console.log(`\nserver CPU profile (${p.seconds.toFixed(0)} s): ${p.file}`);
  console.log(`  self time by area: ${p.byArea.map((a) => `${a.area} ${a.percent}%`).join(", ")}`);
  console.log("  hottest functions (self time):");
  for (const f of p.topFunctions) console.log(`    ${String(f.percent).padStart(5)}%  ${f.fn}`);
}

async function describeMachine(raw: RawSql, databaseUrl: string, redisUrl: string) {
  const [pg] = await raw.sql<{ version: string }[]>`select version()`;
  let redis = new URL(redisUrl).host;
  try {
    redis = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=(\S+)/)?.[1] ?? redis;
  } catch {
    // not on PATH: REDIS_URL points elsewhere
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: (pg?.version ?? "PostgreSQL").split(" on ")[0]!,
    redis,
    databaseManagedByBench: !env.DATABASE_URL,
    database: new URL(databaseUrl).host,
  };
}

main()
  .catch((err: Error) => {
    console.error(err.stack ?? err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());

function sumStats(perWorker: Record<string, number>[]): string | undefined {
  if (perWorker.length === 0) return undefined;
  const total: Record<string, number> = {};
  for (const stats of perWorker) {
    for (const [k, v] of Object.entries(stats)) total[k] = k === "largestBatch" || k === "mostLevels" ? Math.max(total[k] ?? 0, v) : (total[k] ?? 0) + v;
  }
  return JSON.stringify({ workers: perWorker.length, ...total });
}
