// Proves the test harness itself: the real servers from global-setup are up and
// the per-file database and Redis-restart helpers work.
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, hasRealPostgres, hasRealRedis, realPostgresUrl, realRedisUrl, restartRedis } from "./support/databases.js";

describe.skipIf(!hasRealPostgres())("real PostgreSQL", () => {
  it("answers select 1", async () => {
    const sql = postgres(realPostgresUrl(), { max: 1 });
    try {
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
    }
  });

  it("creates an isolated database and drops it even with a connection left open", async () => {
    const db = await createTestDatabase("harness");
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await sql`create table t (x int)`;
    expect(await sql`select current_database() as name`).toEqual([{ name: new URL(db.url).pathname.slice(1) }]);

    await db.drop(); // the open connection above must not block this
    await sql.end({ timeout: 1 }).catch(() => {});

    const admin = postgres(realPostgresUrl(), { max: 1 });
    try {
      const left = await admin`select 1 from pg_database where datname = ${new URL(db.url).pathname.slice(1)}`;
      expect(left).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});

describe.skipIf(!hasRealRedis())("real Redis", () => {
  const redis = new Redis(realRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: null });
  redis.on("error", () => {}); // refused reconnects during restartRedis() are expected
  afterAll(() => redis.quit().catch(() => {}));

  it("answers PING", async () => {
    await redis.connect();
    expect(await redis.ping()).toBe("PONG");
  });

  it.skipIf(!inject("redisServer").managed)("comes back empty on the same port after restartRedis()", async () => {
    await redis.set("harness:key", "before");
    await restartRedis();
    // ioredis reconnects on its own; the new server has no persistence.
    expect(await redis.get("harness:key")).toBeNull();
    await restartRedis(); // twice, so the pid file hand-over is exercised
    expect(await redis.ping()).toBe("PONG");
  });
});
