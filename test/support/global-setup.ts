// Starts throwaway PostgreSQL and Redis servers for the whole test run and
// hands their URLs to test files through vitest's provide/inject.
import type { TestProject } from "vitest/node";
import { type RedisServerInfo, startPostgres, startRedis, Unavailable } from "./servers.js";

// Existing helpers import these from here.
export { isAlive, pingRedis, spawnLogged, stopPid, waitUntil, type RedisServerInfo } from "./servers.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** "" when no PostgreSQL is available (local runs only; CI throws instead). */
    databaseUrl: string;
    /** "" when no Redis is available (local runs only; CI throws instead). */
    redisUrl: string;
    redisServer: RedisServerInfo;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // Collected as we go so a failure halfway still stops what already started.
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error("[global-setup] cleanup failed:", e));
    cleanups.length = 0;
  };
  try {
    provide("databaseUrl", process.env.TEST_DATABASE_URL || (await orSkip("PostgreSQL", () => startPostgres(cleanups))));
    if (process.env.TEST_REDIS_URL) {
      provide("redisUrl", process.env.TEST_REDIS_URL);
      provide("redisServer", { managed: false });
    } else {
      const redis = await orSkip("Redis", () => startRedis(cleanups));
      provide("redisUrl", redis ? `redis://127.0.0.1:${redis.port}` : "");
      provide("redisServer", redis || { managed: false });
    }
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function orSkip<T>(name: string, start: () => Promise<T>): Promise<T | ""> {
  try {
    return await start();
  } catch (error) {
    // CI must fail loudly rather than silently skipping the suites that need the server.
    if (!(error instanceof Unavailable) || process.env.CI) throw error;
    console.warn(`[global-setup] WARNING: ${name} unavailable (${error.message}); tests needing it will be skipped.`);
    return "";
  }
}
