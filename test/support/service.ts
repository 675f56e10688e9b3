// Starts the real service (HTTP + WebSocket) for a test file and talks to it as a client would.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningService, start } from "../../src/app.js";
import { type Config, configWith } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { createTestDatabase } from "./databases.js";

export type Backend = "pglite" | "postgres";

export interface TestService {
  service: RunningService;
  url: string;
  /** The ADMIN key created on first start. */
  adminKey: string;
  config: Config;
  /** POST a GraphQL operation; returns the parsed JSON body (data and errors). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<{ data?: T; errors?: any[]; status: number }>;
  close(): Promise<void>;
}

/**
 * A fresh service on a fresh database: PGlite in a temp dir, or a new
 * database on the real PostgreSQL of the test run.
 */
export async function startTestService(backend: Backend, overrides: Partial<Config> = {}): Promise<TestService> {
  const cleanups: Array<() => Promise<void>> = [];
  let databaseUrl: string | undefined;
  let dataDir = "./data";
  if (backend === "postgres") {
    const db = await createTestDatabase("svc");
    databaseUrl = db.url;
    cleanups.push(() => db.drop());
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "stock-pglite-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  }
  const config = configWith({
    port: 0,
    databaseUrl,
    dataDir,
    adminApiKey: "sk_test_admin_key_0123456789abcdef0123456789",
    expirySweepMs: 200,
    logLevel: "error",
    ...overrides,
  });
  const service = await start(config, createLogger(config.logLevel));
  const adminKey = config.adminApiKey!;
  return {
    service,
    url: service.url,
    adminKey,
    config,
    async gql(query, variables = {}, key = adminKey) {
      const res = await fetch(service.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: any[] };
      return { ...body, status: res.status };
    },
    async close() {
      await service.dispose();
      for (const c of cleanups.reverse()) await c();
    },
  };
}

let counter = 0;
/** A sku no other test uses. */
export function uniqueSku(prefix = "SKU"): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`.toUpperCase();
}
