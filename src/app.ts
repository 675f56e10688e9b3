import "reflect-metadata";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { ApiKeyService } from "./access/api-keys.service.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./db/client.js";
import { runMigrations } from "./db/migrate.js";
import { type EventBus, inProcessBus } from "./events/bus.js";
import { LedgerHub } from "./events/hub.js";
import { redisBus } from "./events/redis-bus.js";
import { LedgerRelay } from "./events/relay.js";
import type { Services } from "./graphql/context.js";
import { createSchema } from "./graphql/schema.js";
import { createLogger, type Logger } from "./log.js";
import { createHttpApp } from "./server/http.js";
import { rateLimiterFor } from "./server/rate-limit.js";
import { attachWebSocket } from "./server/ws.js";
import { Catalog } from "./stock/catalog.js";
import { startExpirySweeper } from "./stock/expiry-sweeper.js";
import { Idempotency } from "./stock/idempotency.js";
import { Ledger } from "./stock/ledger.js";
import { QueryService } from "./stock/query.service.js";
import { ReserveBatchRunner, ReserveCoalescer } from "./stock/reserve-batch.js";
import { ReservationService } from "./stock/reservation.service.js";
import { StockService } from "./stock/stock.service.js";
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

/** The composition root: everything is connected here and nowhere else, and dispose() undoes it. */
export async function start(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningService> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    preparedStatements: config.databasePreparedStatements,
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
    const reservations = new ReservationService(uow, catalog, ledger, config.reservationTtlSeconds, coalescer);
    const keys = new ApiKeyService(database, idempotency);
    const services: Services = {
      stock: new StockService(uow, catalog, ledger, idempotency),
      reservations,
      transfers: new TransferService(uow, catalog, ledger, idempotency),
      queries: new QueryService(database, catalog, () => hub.settledUpTo),
      catalog,
      hub,
      keys,
      idempotency,
    };
    const sweeper = startExpirySweeper(reservations, config.expirySweepMs, (m) => log.info(m), idempotency);
    cleanup.push(() => sweeper.stop());

    const schema = await createSchema({ publicRead: config.publicRead, pubSub: bus });
    const server = createServer();
    const limiter = rateLimiterFor(config.rateLimitPerMinute); // one budget per key, over HTTP and WebSocket
    const ready = async (): Promise<Record<string, boolean>> => {
      const checks: Record<string, boolean> = {
        database: await database.db.execute(sql`select 1`).then(() => true, () => false),
      };
      if (config.redisUrl) checks.redis = await bus.ping();
      return checks;
    };
    const { listener, apollo, drain } = await createHttpApp({
      schema,
      services,
      server,
      log,
      ready,
      bodyLimit: "1mb",
      publicRead: config.publicRead,
      limiter,
    });
    server.on("request", listener);
    const ws = attachWebSocket({
      schema,
      services,
      server,
      log,
      publicRead: config.publicRead,
      maxPayload: 1024 * 1024,
      maxSubscriptionsPerConnection: 100,
      revocationCheckMs: 2000,
      limiter,
    });
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
