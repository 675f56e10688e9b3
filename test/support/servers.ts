// Throwaway PostgreSQL and Redis servers on free ports: for the test run
// (global-setup.ts) and for `npm run bench`. Nothing here depends on vitest.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { connectPostgres } from "../../src/db/client.js";

/** How a test may restart the Redis server (only possible for the one started here). */
export type RedisServerInfo =
  | {
      managed: true;
      port: number;
      /** pid of the first redis-server; after a restart the current pid is in pidFile. */
      pid: number;
      pidFile: string;
      logFile: string;
      command: string;
      args: string[];
    }
  | { managed: false };

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** A server we cannot run on this machine at all; locally that means "skip", in CI "fail". */
export class Unavailable extends Error {}

// ---------------------------------------------------------------- PostgreSQL

/** A throwaway PostgreSQL cluster that a test may stop, start and restart as an operator would (pg_ctl). */
export interface PostgresServer {
  url: string;
  /** `pg_ctl -m <mode> restart` as the postgres user; resolves once it accepts connections again. */
  restart(mode: "fast" | "immediate"): Promise<void>;
  /** `pg_ctl -m <mode> stop`: down until start(). */
  stop(mode: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster; `cleanups` gets what stops and removes it.
 * Tests run it with fsync off (speed, nothing to keep); `durable` keeps
 * PostgreSQL's production defaults (fsync, synchronous_commit), as the bench does.
 * The URL returned names its TCP port, or with `socket` its Unix socket
 * (libpq's `host=/dir`).
 */
export async function startPostgres(cleanups: Array<() => Promise<void>>, opts: { durable?: boolean; socket?: boolean } = {}): Promise<string> {
  return (await startPostgresServer(cleanups, opts)).url;
}

/** startPostgres, with the means to restart the server. */
export async function startPostgresServer(cleanups: Array<() => Promise<void>>, opts: { durable?: boolean; socket?: boolean } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  // PostgreSQL refuses to run as root, so drop to the postgres user via spawn's uid/gid:
  // unlike `runuser`, that keeps the pid we hold equal to the postmaster's own.
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;

  const dir = mkdtempSync(join(tmpdir(), "test-pg-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const dataDir = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  // pg_ctl, running as the postgres user, appends to it after a restart.
  closeSync(openSync(logFile, "a"));
  if (asUser) chownSync(logFile, asUser.uid, asUser.gid);

  execFileSync(join(bin, "initdb"), ["-D", dataDir, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--no-sync"], {
    cwd: dir, // the postgres user may not be allowed into the caller's cwd
    stdio: ["ignore", "ignore", "pipe"],
    ...asUser,
  });

  const port = await freePort();
  const serverArgs = [
    ...["-k", dir, "-h", "127.0.0.1", "-p", String(port)],
    ...(opts.durable ? [] : ["-c", "fsync=off"]),
    ...["-c", "max_connections=300", "-c", "shared_buffers=128MB"],
  ];
  const child = spawnLogged(join(bin, "postgres"), ["-D", dataDir, ...serverArgs], logFile, { cwd: dir, ...asUser });
  // After a restart the postmaster is pg_ctl's, not our child: postmaster.pid names it.
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return child.pid!;
    }
  };
  // SIGINT is postgres' "fast" shutdown; SIGTERM would wait for every client to leave.
  cleanups.push(() => stopPid(postmasterPid(), "SIGINT"));

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const accepting = async () => {
    const sql = connectPostgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
  await waitUntil(`PostgreSQL on port ${port}`, logFile, child, accepting);
  // Not execFileSync: whatever the caller drives (load, subscribers) goes on meanwhile.
  const pgCtl = (...args: string[]) =>
    new Promise<void>((resolve, reject) =>
      execFile(join(bin, "pg_ctl"), ["-D", dataDir, "-w", "-t", "60", ...args], { cwd: dir, ...asUser }, (err, _out, stderr) =>
        err ? reject(new Error(`pg_ctl ${args.at(-1)}: ${err.message}\n${stderr}`)) : resolve(),
      ),
    );
  const options = ["-o", serverArgs.join(" "), "-l", logFile];
  return {
    url: opts.socket ? `postgres://postgres@localhost:${port}/postgres?host=${encodeURIComponent(dir)}` : url,
    async restart(mode) {
      await pgCtl("-m", mode, ...options, "restart");
      await waitUntil(`PostgreSQL on port ${port} after restart`, logFile, undefined, accepting);
    },
    async stop(mode) {
      await pgCtl("-m", mode, "stop");
    },
    async start() {
      await pgCtl(...options, "start");
      await waitUntil(`PostgreSQL on port ${port} after start`, logFile, undefined, accepting);
    },
  };
}

function findPostgresBin(): string {
  try {
    const bin = execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (existsSync(join(bin, "postgres")) && existsSync(join(bin, "initdb"))) return bin;
  } catch {
    // no pg_config (or only the libpq one): fall back to Debian's layout
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a) || b.localeCompare(a))[0];
  if (!newest) throw new Unavailable("no PostgreSQL server binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)");
  return join(root, newest, "bin");
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
    return { uid, gid };
  } catch {
    throw new Unavailable("running as root but there is no 'postgres' OS user to run the server as");
  }
}

// --------------------------------------------------------------------- Redis

/** A throwaway Redis without persistence. */
export async function startRedis(cleanups: Array<() => Promise<void>>): Promise<RedisServerInfo & { managed: true }> {
  const command = findOnPath("redis-server");
  if (!command) throw new Unavailable("redis-server not found on PATH");

  const dir = mkdtempSync(join(tmpdir(), "test-redis-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const info = {
    managed: true as const,
    port,
    pid: 0,
    pidFile: join(dir, "redis.pid"),
    logFile: join(dir, "redis.log"),
    command,
    args: redisArgs(port, dir),
  };

  const child = spawnLogged(command, info.args, info.logFile, { cwd: dir });
  info.pid = child.pid!;
  writeFileSync(info.pidFile, String(info.pid));
  // A test may have restarted Redis, so stop whichever pid the file names at the end.
  cleanups.push(() => stopPid(Number(readFileSync(info.pidFile, "utf8")), "SIGTERM"));

  await waitUntil(`Redis on port ${port}`, info.logFile, child, () => pingRedis(port));
  return info;
}

function redisArgs(port: number, dir: string): string[] {
  // No persistence: a restarted Redis starts empty, like after a crash without AOF.
  return ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
}

/** Raw RESP ping, so waiting does not fill the log with ioredis reconnect noise. */
export function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

// ------------------------------------------------------------------- helpers

/** Server output goes to a file: an undrained pipe would eventually block the server. */
export function spawnLogged(command: string, args: string[], logFile: string, options: { cwd: string; uid?: number; gid?: number; detached?: boolean }): ChildProcess {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { ...options, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
    return child;
  } finally {
    closeSync(fd);
  }
}

export async function waitUntil(what: string, logFile: string, child: ChildProcess | undefined, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}:\n${tail(logFile)}`);
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

/** Signal one pid we started, escalating to SIGKILL if it is still there after the grace period. */
export async function stopPid(pid: number, signal: NodeJS.Signals): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

/** Alive and not a zombie: a Redis restarted by an exited worker may never be reaped in a container. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state letter follows the parenthesised command name in /proc/<pid>/stat.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
