import "./node-env.js"; // first: before graphql-js and express load
import cluster from "node:cluster";
import { start } from "./app.js";
import { runPrimary } from "./cluster.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./log.js";

const config = loadConfig();
const log = createLogger(config.logLevel);

// A promise rejected with nobody listening is a bug, but not one that leaves
// stock half-written (every change is one transaction): log it loudly and go
// on serving rather than end the process (Node's default) with one instance
// and nobody to restart it. A synchronous uncaught exception still ends it.
process.on("unhandledRejection", (reason) => {
  const detail = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  log.error(`unhandled promise rejection (a bug; the service goes on): ${detail}`);
});

if (config.workers > 1 && cluster.isPrimary) {
  await runPrimary(config, log).catch((err: Error) => {
    log.error(`could not start: ${err.message}`);
    process.exit(1);
  });
} else {
  await serve();
}

async function serve(): Promise<void> {
  const service = await start(config, log).catch((err: Error) => {
    log.error(`could not start: ${err.message}`);
    process.exit(1);
  });

  log.info(`stock service listening on ${service.url} (WebSocket subscriptions on the same URL)`);
  log.info(`in a browser: playground ${service.url} · live dashboard ${new URL("/dashboard", service.url).href}`);
  log.info(`database: ${service.database.description}`);
  log.info(`pub/sub: ${config.redisUrl ? `Redis ${new URL(config.redisUrl).host}` : "in-process (one instance)"}`);
  if (service.bootstrapKey) {
    log.info(`first start: created the ADMIN API key below. It is shown once; keep it.`);
    process.stdout.write(`\n    ADMIN API key: ${service.bootstrapKey}\n\n`);
  }

  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down`);
      const force = setTimeout(() => {
        log.error("shutdown took too long; exiting");
        process.exit(1);
      }, 15_000);
      force.unref();
      service
        .dispose()
        .then(() => process.exit(0))
        .catch((err: Error) => {
          log.error(`shutdown failed: ${err.message}`);
          process.exit(1);
        });
    });
  }
}
