// A Redis of a test's own, for tests that restart it (the shared one serves other files meanwhile).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pingRedis, spawnLogged, stopPid, waitUntil } from "./global-setup.js";
import { freePort, isAlive } from "./servers.js";

export interface PrivateRedis {
  url: string;
  restart(downMs?: number): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered until resume() (SIGCONT). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "stock-redis-"));
  const port = await freePort();
  const logFile = join(dir, "redis.log");
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  let child = spawnLogged("redis-server", args, logFile, { cwd: dir });
  await waitUntil(`Redis on ${port}`, logFile, child, () => pingRedis(port));
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart(downMs = 500) {
      await stopPid(child.pid!, "SIGKILL");
      await new Promise((r) => setTimeout(r, downMs));
      child = spawnLogged("redis-server", args, logFile, { cwd: dir });
      await waitUntil(`Redis on ${port}`, logFile, child, () => pingRedis(port));
    },
    pause() {
      process.kill(child.pid!, "SIGSTOP");
    },
    resume() {
      process.kill(child.pid!, "SIGCONT");
    },
    async stop() {
      if (isAlive(child.pid!)) process.kill(child.pid!, "SIGCONT");
      await stopPid(child.pid!, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
