import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().default("./data"),
  REDIS_URL: z.string().url().optional(),
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(1800),
  EXPIRY_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(2000),
  ADMIN_API_KEY: z.string().min(24).optional(),
  PUBLIC_READ: bool.default(true),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  COALESCE_RESERVES: bool.default(true),
  COALESCE_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(200),
  COALESCE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  // Repeater (the subscription stream) allows at most 1024 pending pushes.
  SUBSCRIBER_BUFFER: z.coerce.number().int().min(1).max(1000).default(1000),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  LOG_LEVEL: z.enum(["silent", "error", "warn", "info", "debug"]).default("info"),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Named prepared statements (false behind a pooler that cannot keep them, e.g. PgBouncer before 1.21 in transaction mode). */
  databasePreparedStatements: boolean;
  dataDir: string;
  redisUrl: string | undefined;
  reservationTtlSeconds: number;
  expirySweepMs: number;
  adminApiKey: string | undefined;
  publicRead: boolean;
  rateLimitPerMinute: number;
  coalesceReserves: boolean;
  coalesceMaxBatch: number;
  /** Coalesced batches in flight at once (each holds a connection of the pool). */
  coalesceConcurrency: number;
  /** Events a subscriber may have waiting before its connection is closed (4503). */
  subscriberBuffer: number;
  logLevel: "silent" | "error" | "warn" | "info" | "debug";
  /** Instances of the service in this process's cluster (node:cluster), sharing its port. */
  workers: number;
  /** Test-only fault injection; never set in production. */
  faults: { haltRelayBeforePublish: boolean };
};

/** Parses the environment once, at the edge. Nothing else reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.WORKERS > 1 && (!e.DATABASE_URL || !e.REDIS_URL)) {
    throw new Error("invalid configuration: WORKERS > 1 needs DATABASE_URL and REDIS_URL (the embedded database and in-process pub/sub serve one process)");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    reservationTtlSeconds: e.RESERVATION_TTL_SECONDS,
    expirySweepMs: e.EXPIRY_SWEEP_MS,
    adminApiKey: e.ADMIN_API_KEY,
    publicRead: e.PUBLIC_READ,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    coalesceReserves: e.COALESCE_RESERVES,
    coalesceMaxBatch: e.COALESCE_MAX_BATCH,
    coalesceConcurrency: e.COALESCE_CONCURRENCY,
    subscriberBuffer: e.SUBSCRIBER_BUFFER,
    logLevel: e.LOG_LEVEL,
    workers: e.WORKERS,
    faults: { haltRelayBeforePublish: env.STOCK_FAULT_HALT_RELAY_BEFORE_PUBLISH === "1" },
  };
}

/** A complete config for tests and scripts: defaults plus overrides. */
export function configWith(overrides: Partial<Config>): Config {
  return { ...loadConfig({}), ...overrides };
}
