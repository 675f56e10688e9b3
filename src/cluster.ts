import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.js";
import { prepareDatabase } from "./app.js";
import type { Logger } from "./log.js";

/** A worker dying more often than this within a minute means something is wrong with all of them. */
const MAX_RESTARTS_PER_MINUTE = 5;
const SHUTDOWN_TIMEOUT_MS = 20_000;

/**
 * WORKERS > 1: this process (node:cluster's primary) prepares the database
 * (migrations, the first ADMIN key), then runs that many instances of the
 * service on one port. Each worker is an instance like any other: it
 * coalesces its own reserves, and they meet in PostgreSQL and Redis (the
 * config requires both). A worker that dies is replaced; SIGTERM or SIGINT
 * stops every worker gracefully, then this process.
 */
export async function runPrimary(config: Config, log: Logger): Promise<void> {
  const bootstrapKey = await prepareDatabase(config);
  if (bootstrapKey) {
    log.info(`first start: created the ADMIN API key below. It is shown once; keep it.`);
    process.stdout.write(`\n    ADMIN API key: ${bootstrapKey}\n\n`);
  }

  let stopping = false;
  const restarts: number[] = [];
  const fork = () => cluster.fork();
  cluster.on("exit", (worker: Worker, code, signal) => {
    if (stopping) return;
    log.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      log.error(`workers keep dying (${restarts.length} in a minute); stopping`);
      void stop(1);
      return;
    }
    fork();
  });
  cluster.on("online", (worker: Worker) => log.info(`worker ${worker.process.pid} started`));
  for (let i = 0; i < config.workers; i++) fork();
  log.info(`primary ${process.pid}: ${config.workers} workers on port ${config.port || "(any free)"}`);

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const force = setTimeout(() => {
      log.error("workers took too long to stop; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    const codes = await Promise.all(
      workers.map(
        (w) =>
          new Promise<number | null>((resolve) => {
            if (w.isDead()) return resolve(w.process.exitCode);
            w.once("exit", (code) => resolve(code));
            w.process.kill("SIGTERM");
          }),
      ),
    );
    process.exit(exitCode !== 0 || codes.some((c) => c !== 0) ? 1 : 0);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      log.info(`${signal}: stopping the workers`);
      void stop(0);
    });
  }
}
