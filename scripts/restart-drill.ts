// npm run drill:restart [-- --restarts 20 --concurrency 8 --instances 1]
//
// Restarts PostgreSQL under the running service, again and again, as an
// operator (or a managed database's failover) would: starts a throwaway
// PostgreSQL (and Redis with --instances 2), the service as `npm start` runs
// it, reserves at a fixed concurrency, and restarts PostgreSQL with pg_ctl,
// alternating -m fast and -m immediate. After each restart: the service must
// still run, serve again within 10 s, and every reserve it acknowledged must
// be in the ledger. At the end: the invariants, and a subscriber that saw
// every movement once. Prints a line per restart and a summary; exits 1 if
// any check failed. Needs PostgreSQL's server binaries (run as root, it runs
// them as the postgres user).
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/client.js";
import { sql } from "drizzle-orm";
import { CLEAN, checkInvariants } from "../test/support/invariants.js";
import { type ServiceProcess, spawnService, TEST_ADMIN_KEY } from "../test/support/process.js";
import { missingFromLedger, servesAgain, startReserveLoad } from "../test/support/reserve-load.js";
import { startPostgresServer, startRedis } from "../test/support/servers.js";
import { collect, wsClient } from "../test/support/ws-client.js";

const CHANGES = `subscription($skus:[String!],$after:String){ stockChanged(skus:$skus, after:$after){ sequence } }`;
const SERVE_AGAIN_WITHIN_MS = 10_000;

const { values: args } = parseArgs({
  options: {
    restarts: { type: "string", default: "20" },
    concurrency: { type: "string", default: "8" },
    instances: { type: "string", default: "1" },
  },
});
const restarts = Number(args.restarts);
const concurrency = Number(args.concurrency);
const instances = Number(args.instances);
if (!(restarts >= 1 && concurrency >= 1 && (instances === 1 || instances === 2))) {
  console.error("usage: npm run drill:restart -- [--restarts N] [--concurrency N] [--instances 1|2]");
  process.exit(2);
}

const cleanups: Array<() => Promise<void>> = [];
const services: ServiceProcess[] = [];
const failures: string[] = [];
const fail = (msg: string) => {
  failures.push(msg);
  console.log(`  FAILED: ${msg}`);
};

try {
  const pg = await startPostgresServer(cleanups);
  const env: Record<string, string> = { DATABASE_URL: pg.url };
  if (instances === 2) env.REDIS_URL = `redis://127.0.0.1:${(await startRedis(cleanups)).port}`;
  for (let i = 0; i < instances; i++) services.push(await spawnService(env));
  const database = await openDatabase({ url: pg.url, dataDir: "unused", poolSize: 2 });
  cleanups.push(() => database.close());

  const sku = `DRILL-${Date.now().toString(36)}`.toUpperCase();
  const created = await services[0]!.gql(`mutation($i:CreateProductInput!){ createProduct(input:$i){ errors{ code } } }`, {
    i: { sku, name: "restart drill", initialStock: 1_000_000 },
  });
  if (created.data?.createProduct.errors.length !== 0) throw new Error(`could not create the product: ${JSON.stringify(created)}`);
  const [receive] = await database.rows<{ id: string }>(sql`select m.id::text from stock_movements m join products p on p.id = m.product_id where p.sku = ${sku}`);
  const client = wsClient(services[0]!.url, TEST_ADMIN_KEY);
  const subscriber = collect<{ stockChanged: { sequence: string } }>(client, CHANGES, { skus: [sku], after: receive!.id });

  const alive = (s: ServiceProcess) => () => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`the service (pid ${s.pid}) exited:\n${s.output().slice(-3000)}`);
  };
  const load = startReserveLoad({ urls: services.map((s) => s.url), key: TEST_ADMIN_KEY, sku, prefix: sku, concurrency });
  console.log(`PostgreSQL restart drill: ${restarts} restarts, ${instances} instance(s), ${concurrency} reserves at a time\n`);
  console.log(" #  mode       acknowledged  told to retry  served again after  acknowledged, not in the ledger");
  const backAfter: number[] = [];
  for (let n = 1; n <= restarts && failures.length === 0; n++) {
    const mode = n % 2 === 1 ? "fast" : "immediate";
    try {
      await load.more(30);
      const retriesBefore = load.unavailable;
      await pg.restart(mode);
      const ms = Math.max(...(await Promise.all(services.map((s) => servesAgain({ url: s.url, key: TEST_ADMIN_KEY, sku, withinMs: SERVE_AGAIN_WITHIN_MS, alive: alive(s) })))));
      backAfter.push(ms);
      const missing = await missingFromLedger(pg.url, load.acknowledged);
      console.log(
        `${String(n).padStart(2)}  ${mode.padEnd(9)}  ${String(load.acknowledged.size).padStart(12)}  ${String(load.unavailable - retriesBefore).padStart(13)}  ${`${ms} ms`.padStart(18)}  ${missing.length}`,
      );
      if (missing.length > 0) fail(`restart ${n}: acknowledged but not in the ledger: ${missing.slice(0, 5).join(", ")}`);
      if (load.unexpected.length > 0) fail(`restart ${n}: unexpected answers: ${JSON.stringify(load.unexpected.slice(0, 3))}`);
    } catch (err) {
      fail(`restart ${n} (${mode}): ${(err as Error).message}`);
    }
  }
  await load.stop();

  const missing = await missingFromLedger(pg.url, load.acknowledged);
  if (missing.length > 0) fail(`acknowledged but not in the ledger: ${missing.length}`);
  if (load.unexpected.length > 0) fail(`unexpected answers: ${load.unexpected.length}, first ${JSON.stringify(load.unexpected[0])}`);
  const invariants = await checkInvariants(database);
  if (JSON.stringify(invariants) !== JSON.stringify(CLEAN)) fail(`invariants broken: ${JSON.stringify(invariants)}`);
  const ledger = await database.rows<{ id: string }>(
    sql`select m.id::text from stock_movements m join products p on p.id = m.product_id where p.sku = ${sku} and m.version > 1 order by m.id`,
  );
  await subscriber.until((items) => new Set(items.map((i) => i.stockChanged.sequence)).size >= ledger.length, 30_000).catch(() => {});
  const seen = [...new Set(subscriber.items.map((i) => i.stockChanged.sequence))];
  if (JSON.stringify(seen) !== JSON.stringify(ledger.map((m) => m.id))) fail(`the subscriber saw ${seen.length} movements of ${ledger.length} (or out of order)`);
  subscriber.stop();
  await client.dispose();
  for (const s of services) alive(s)();

  const sorted = [...backAfter].sort((a, b) => a - b);
  console.log(`
summary
  restarts done                 ${backAfter.length} of ${restarts}
  service processes             ${services.length}, all still running: ${services.every((s) => s.child.exitCode === null) ? "yes" : "NO"}
  reserves acknowledged         ${load.acknowledged.size}, all in the ledger: ${missing.length === 0 ? "yes" : `NO (${missing.length} missing)`}
  answered 503, then retried    ${load.unavailable}
  other answers                 ${load.unexpected.length}
  served again after            median ${sorted[Math.floor(sorted.length / 2)] ?? "-"} ms, worst ${sorted.at(-1) ?? "-"} ms
  invariants 1-5                ${JSON.stringify(invariants) === JSON.stringify(CLEAN) ? "hold" : "BROKEN"}
  subscriber                    ${seen.length} of ${ledger.length} movements, once each, in order
  result                        ${failures.length === 0 ? "PASS" : `FAIL (${failures.length})`}`);
} catch (err) {
  fail((err as Error).stack ?? String(err));
} finally {
  await Promise.all(services.map((s) => s.stop()));
  for (const c of cleanups.reverse()) await c().catch(() => {});
}
process.exit(failures.length === 0 ? 0 : 1);
