import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A comma-separated list; empty items dropped. */
const list = z.string().transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean));

/**
 * Every setting, written once: the key is the Config field, the environment
 * variable is the same name in SCREAMING_SNAKE_CASE (rateLimitPerMinute is
 * RATE_LIMIT_PER_MINUTE). The README's configuration table describes them.
 */
const settings = z.object({
  port: int(0, 65535).default(4000),
  host: z.string().default("127.0.0.1"),
  databaseUrl: z.string().url().optional(),
  databasePoolSize: int(1, 500).default(20),
  /** Named prepared statements (false behind a pooler that cannot keep them, e.g. PgBouncer before 1.21 in transaction mode). */
  databasePreparedStatements: bool.default(true),
  dataDir: z.string().default("./data"),
  redisUrl: z.string().url().optional(),
  reservationTtlSeconds: int(1, 86_400).default(1800),
  expirySweepMs: int(100, 3_600_000).default(2000),
  /** A lot whose sellBy is this many days away or fewer raises LOT_EXPIRING (once). */
  lotWarningDays: int(0, 3650).default(30),
  adminApiKey: z.string().min(24).optional(),
  publicRead: bool.default(true),
  rateLimitPerMinute: int(0, 10_000_000).default(6000),
  coalesceReserves: bool.default(true),
  coalesceMaxBatch: int(1, 1000).default(200),
  /** Coalesced batches in flight at once (each holds a connection of the pool). */
  coalesceConcurrency: int(1, 100).default(4),
  /** Events a subscriber may have waiting before its connection is closed (4503). Repeater allows at most 1024 pending pushes. */
  subscriberBuffer: int(1, 1000).default(1000),
  /** Instances of the service in this process's cluster (node:cluster), sharing its port. */
  workers: int(1, 64).default(1),
  logLevel: z.enum(["silent", "error", "warn", "info", "debug"]).default("info"),

  /** Browser origins (scheme://host[:port]) allowed besides the service's own, for HTTP (CORS) and WebSocket; `*` allows any. */
  allowedOrigins: list.default([]),
  /** Serve the browser pages' source maps (/assets/*.map). */
  serveSourceMaps: bool.default(false),
  /** A query (or one subscription event) that runs longer is stopped and answered with an error. */
  maxExecutionMs: int(1, 600_000).default(10_000),
  /** A query (or one subscription event) whose answer grows past this many bytes is stopped and answered with an error. */
  maxResponseBytes: int(1000, 1_000_000_000).default(8_000_000),
  /** WebSocket connections open at once per client address (before any key is checked). */
  wsMaxConnectionsPerAddress: int(1, 1_000_000).default(1000),
  /** WebSocket connections open at once per API key. */
  wsMaxConnectionsPerKey: int(1, 1_000_000).default(1000),
  wsMaxSubscriptionsPerConnection: int(1, 10_000).default(100),
  /** Bytes a WebSocket or event stream may have waiting to be sent before it is closed as a slow reader (4503). */
  wsMaxBufferedBytes: int(1024, 1_000_000_000).default(4_000_000),
  /** Open subscriptions (WebSocket and Server-Sent Events) per API key, and per client address. */
  maxSubscriptionsPerKey: int(1, 1_000_000).default(5000),
  maxSubscriptionsPerAddress: int(1, 1_000_000).default(5000),
  /**
   * What the distinct subscriptions of one key (or address) may cost per event: the sum of
   * their estimated costs, each counted once however many subscribers share its execution.
   */
  subscriptionCostBudget: int(1, 100_000_000).default(10_000),
});

export type Config = z.output<typeof settings> & {
  /** Test-only fault injection; never set in production. */
  faults: { haltRelayBeforePublish: boolean };
};

const envName = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** Parses the environment once, at the edge. Nothing else reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const given: Record<string, string> = {};
  for (const key of Object.keys(settings.shape)) {
    const value = env[envName(key)];
    if (value !== undefined && value !== "") given[key] = value;
  }
  const parsed = settings.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map((p) => envName(String(p))).join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.workers > 1 && (!config.databaseUrl || !config.redisUrl)) {
    throw new Error("invalid configuration: WORKERS > 1 needs DATABASE_URL and REDIS_URL (the embedded database and in-process pub/sub serve one process)");
  }
  return { ...config, faults: { haltRelayBeforePublish: env.STOCK_FAULT_HALT_RELAY_BEFORE_PUBLISH === "1" } };
}

/** A complete config for tests and scripts: defaults plus overrides. */
export function configWith(overrides: Partial<Config>): Config {
  return { ...loadConfig({}), ...overrides };
}
