// Helpers for test files that need the real servers started by global-setup.ts.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import postgres from "postgres";
import { connectPostgres } from "../../src/db/client.js";
import { inject } from "vitest";
import { isAlive, pingRedis, spawnLogged, waitUntil } from "./global-setup.js";

export function realPostgresUrl(): string {
  return inject("databaseUrl");
}

export function realRedisUrl(): string {
  return inject("redisUrl");
}

/** False only in local runs without PostgreSQL; use with describe.skipIf(!hasRealPostgres()). */
export function hasRealPostgres(): boolean {
  return realPostgresUrl() !== "";
}

export function hasRealRedis(): boolean {
  return realRedisUrl() !== "";
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file, so files never see each other's rows. */
export async function createTestDatabase(prefix = "t"): Promise<TestDatabase> {
  const adminUrl = realPostgresUrl();
  if (!adminUrl) throw new Error("createTestDatabase: no PostgreSQL (guard the suite with hasRealPostgres())");
  // The name is spliced into DDL, so only allow what needs no quoting.
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`createTestDatabase: bad prefix ${JSON.stringify(prefix)}`);
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;

  await withAdmin(adminUrl, (sql) => sql.unsafe(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, async (sql) => {
        // A pool the test forgot to close would otherwise make DROP DATABASE fail.
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
        await sql.unsafe(`drop database if exists "${name}"`);
      });
    },
  };
}

async function withAdmin<T>(url: string, use: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = connectPostgres(url, { max: 1, onnotice: () => {} });
  try {
    return await use(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Hard-kills the Redis started by global-setup and starts a new, empty one on the
 * same port, as a crash would. Other test files running in parallel share this
 * Redis and will see the outage too.
 */
export async function restartRedis(): Promise<void> {
  const server = inject("redisServer");
  if (!server.managed) throw new Error("restartRedis: Redis was not started by global-setup (TEST_REDIS_URL is set or redis-server is missing)");

  // The file, not server.pid, names the current process: an earlier restart may have replaced it.
  const oldPid = Number(readFileSync(server.pidFile, "utf8"));
  try {
    process.kill(oldPid, "SIGKILL");
  } catch {
    // already gone
  }
  await waitUntil(`old Redis (pid ${oldPid}) to release port ${server.port}`, server.logFile, undefined, async () => !isAlive(oldPid) && !(await accepts(server.port)));

  // Detached, so it outlives this worker; global-setup's teardown stops it via the pid file.
  const child = spawnLogged(server.command, server.args, server.logFile, { cwd: dirname(server.pidFile), detached: true });
  child.unref();
  writeFileSync(server.pidFile, String(child.pid));
  await waitUntil(`restarted Redis on port ${server.port}`, server.logFile, child, () => pingRedis(server.port));
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
