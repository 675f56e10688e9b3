import "reflect-metadata";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { ApiKeyService } from "./access/api-keys.service.js";
import { repeatEvery } from "./background.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./db/client.js";
import { runMigrations } from "./db/migrate.js";
import { type EventBus, inProcessBus } from "./events/bus.js";
import { syncCatalog } from "./events/catalog-sync.js";
import { LedgerHub } from "./events/hub.js";
import { redisBus } from "./events/redis-bus.js";
import { LedgerRelay } from "./events/relay.js";
import type { Services } from "./graphql/context.js";
import type { Context } from "./graphql/context.js";
import { enforceExecutionBudgets, withinBudget } from "./graphql/execution-limits.js";
import { queryLimiter } from "./graphql/query-limits.js";
import { createSchema } from "./graphql/schema.js";
import { sharedSubscribe } from "./graphql/shared-subscribe.js";
import { createLogger, type Logger } from "./log.js";
import { LiveConnections, ServerCloseCode } from "./server/connections.js";
import { OperationGate } from "./server/gate.js";
import { createHttpApp } from "./server/http.js";
import { rateLimiterFor } from "./server/rate-limit.js";
import { eventStreams } from "./server/sse.js";
import { OriginPolicy } from "./server/transport.js";
import { attachWebSocket } from "./server/ws.js";
import { Catalog } from "./stock/catalog.js";
import { startExpirySweeper } from "./stock/expiry-sweeper.js";
import { Idempotency } from "./stock/idempotency.js";
import { Ledger } from "./stock/ledger.js";
import { LotService } from "./stock/lot.service.js";
import { QueryService } from "./stock/query.service.js";
import { ReserveBatchRunner, ReserveCoalescer } from "./stock/reserve-batch.js";
import { ReservationService } from "./stock/reservation.service.js";
import { StockService } from "./stock/stock.service.js";
import { WarehouseService } from "./stock/warehouse.service.js";
import { TransferService } from "./stock/transfer.service.js";
import { UnitOfWork } from "./stock/unit-of-work.js";

export interface RunningService {
  url: string;
  port: number;
  services: Services;
  database: Database;
  relay: LedgerRelay;
  /** The first ADMIN key, when this start created it (print it once). */
  bootstrapKey: string | null;
  /** Graceful: stop accepting, finish in-flight requests, close sockets (1001), flush the relay, close pools. */
  dispose(): Promise<void>;
}

/**
 * What must happen once before any instance serves: migrations, and the
 * first ADMIN key on an empty database (returned when this call created it).
 * start() does it too; a cluster's primary does it before forking workers.
 */
export async function prepareDatabase(config: Config): Promise<string | null> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    return await prepare(database, config);
  } finally {
    await database.close();
  }
}

async function prepare(database: Database, config: Config): Promise<string | null> {
  await runMigrations(database, config.databaseUrl);
  return new ApiKeyService(database).bootstrap(config.adminApiKey);
}

/** A readiness check that takes longer than this counts as failed (a load balancer must not wait on it). */
const READY_TIMEOUT_MS = 2000;

/** Whether `work` succeeds within `ms`. */
function withinMs(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([work.then(() => true, () => false), late]).finally(() => clearTimeout(timer));
}

/** The composition root: everything is connected here and nowhere else, and dispose() undoes it. */
export async function start(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningService> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    preparedStatements: config.databasePreparedStatements,
    log: (m) => log.warn(m),
  });
  const cleanup: Array<() => Promise<void>> = [() => database.close()];
  const undo = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  };
  try {
    const bootstrapKey = await prepare(database, config);
    const bus: EventBus = config.redisUrl ? redisBus(config.redisUrl, (m) => log.warn(m)) : inProcessBus();
    cleanup.push(() => bus.dispose());

    const catalog = new Catalog(database);
    const uow = new UnitOfWork(database);
    const hub = new LedgerHub(database, bus, { catchUpMs: 500, maxBuffered: config.subscriberBuffer, log: (m) => log.warn(m) });
    await hub.start();
    cleanup.push(() => hub.stop());
    const catalogSync = syncCatalog(hub, catalog, (m) => log.warn(m));
    cleanup.push(() => catalogSync.stop());
    const relay = new LedgerRelay(database, bus, {
      pollMs: 250,
      electionMs: 1000,
      minCycleMs: 5,
      recordEveryMs: 100,
      haltBeforePublish: config.faults.haltRelayBeforePublish,
      log: (m) => log.info(m),
      debug: (m) => log.debug(m),
    });
    uow.onCommit(() => relay.kick());
    await relay.start();
    cleanup.push(() => relay.stop());

    const ledger = new Ledger();
    const idempotency = new Idempotency(uow);
    const coalescer = config.coalesceReserves
      ? new ReserveCoalescer(new ReserveBatchRunner(uow, ledger), { maxBatch: config.coalesceMaxBatch, maxConcurrent: config.coalesceConcurrency })
      : null;
    const lots = new LotService(uow, catalog, ledger, config.lotWarningDays);
    const reservations = new ReservationService(uow, catalog, ledger, config.reservationTtlSeconds, coalescer);
    const keys = new ApiKeyService(database, idempotency);
    const services: Services = {
      stock: new StockService(uow, catalog, ledger, idempotency),
      warehouses: new WarehouseService(catalog, idempotency),
      reservations,
      transfers: new TransferService(uow, catalog, ledger, idempotency),
      queries: new QueryService(database, catalog, () => hub.settledUpTo),
      catalog,
      hub,
      keys,
      idempotency,
      lots,
    };
    const sweeper = startExpirySweeper(reservations, config.expirySweepMs, (m) => log.info(m), idempotency, lots);
    cleanup.push(() => sweeper.stop());

    const schema = await createSchema({ publicRead: config.publicRead, pubSub: bus });
    enforceExecutionBudgets(schema);
    const queryLimits = queryLimiter(schema);
    // The one way in for HTTP, WebSocket and event streams: one rate per key (per address without one).
    const gate = new OperationGate({
      services,
      keys,
      limiter: rateLimiterFor(config.rateLimitPerMinute),
      publicRead: config.publicRead,
      execution: { maxExecutionMs: config.maxExecutionMs, maxResponseBytes: config.maxResponseBytes },
    });
    const live = new LiveConnections({
      maxConnectionsPerAddress: config.wsMaxConnectionsPerAddress,
      maxConnectionsPerKey: config.wsMaxConnectionsPerKey,
      maxSubscriptionsPerConnection: config.wsMaxSubscriptionsPerConnection,
      maxSubscriptionsPerKey: config.maxSubscriptionsPerKey,
      maxSubscriptionsPerAddress: config.maxSubscriptionsPerAddress,
      subscriptionCostBudget: config.subscriptionCostBudget,
    });
    // Subscribers with the same operation, used variables and role share each event's execution, within a budget of its own.
    const subscribe = sharedSubscribe({
      scopeOf: (args) => (args.contextValue as Context).principal?.role ?? "anonymous",
      eventContext: (context) => ({ ...(context as Context), budget: gate.budget() }),
      eventResult: (result, context) => withinBudget(result, (context as Context).budget),
    });
    const origins = new OriginPolicy(config.allowedOrigins);
    // Slow-sending clients hold a socket each: headers within 10 s, a whole request within 30 s.
    const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 });
    const ready = async (): Promise<Record<string, boolean>> => {
      const checks: Record<string, boolean> = {
        database: await withinMs(READY_TIMEOUT_MS, database.db.execute(sql`select 1`)),
      };
      if (config.redisUrl) checks.redis = await withinMs(READY_TIMEOUT_MS, bus.ping().then((ok) => ok || Promise.reject(new Error("no PONG"))));
      return checks;
    };
    const maxBufferedBytes = config.wsMaxBufferedBytes;
    const { listener, apollo, drain } = await createHttpApp({
      schema,
      gate,
      queryLimits,
      eventStreams: eventStreams({ schema, gate, live, queryLimits, subscribe, log, maxBufferedBytes }),
      origins,
      server,
      log,
      ready,
      bodyLimit: "1mb",
      serveSourceMaps: config.serveSourceMaps,
    });
    server.on("request", listener);
    const ws = attachWebSocket({ schema, gate, live, queryLimits, subscribe, origins, server, log, maxPayload: 1024 * 1024, maxBufferedBytes });
    // Revocation reaches open connections too, on every instance, within about a second.
    // While the database is unavailable it tries less often, and says so once.
    const revocations = repeatEvery("API key revocation check", 1000, () => live.closeRevoked(keys).then(() => {}), (m) => log.warn(m));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host}:${port}/graphql`;

    let disposing: Promise<void> | null = null;
    return {
      url,
      port,
      services,
      database,
      relay,
      bootstrapKey,
      dispose: () =>
        (disposing ??= (async () => {
          drain();
          await revocations.stop();
          live.closeAll(ServerCloseCode.GoingAway, "server shutting down");
          await ws.dispose();
          log.info("shutdown: WebSockets closed");
          await apollo.stop(); // stops accepting and waits for in-flight requests
          log.info("shutdown: HTTP drained");
          await sweeper.stop();
          const coalesced = reservations.coalescer?.stats();
          if (coalesced) log.info(`reserve coalescer: ${JSON.stringify(coalesced)}`);
          await relay.flush();
          log.info("shutdown: relay flushed");
          await undo();
        })()),
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
