// Runs the built service as its own process, as `npm start` does, for
// multi-instance, crash and shutdown tests.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../src/paths.js";

export interface ServiceProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null if killed by a signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string): Promise<{ data?: T; errors?: any[]; status: number }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const TEST_ADMIN_KEY = "sk_test_admin_key_0123456789abcdef0123456789";

/** `nodeArgs` go before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
export async function spawnService(env: Record<string, string>, timeoutMs = 30_000, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeArgs, join(projectRoot, "dist", "src", "main.js")], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ADMIN_API_KEY: TEST_ADMIN_KEY, LOG_LEVEL: "info", EXPIRY_SWEEP_MS: "500", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+\/graphql)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    void exited.then(() => reject(new Error(`service exited before listening:\n${out}`)));
  });
  return {
    url,
    pid: child.pid!,
    child,
    output: () => out,
    exited,
    async gql(query, variables = {}, key = TEST_ADMIN_KEY) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await res.json()) as object), status: res.status };
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
