import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/client.js";
import { sql } from "drizzle-orm";
import { runMigrations } from "../../src/db/migrate.js";
import { hasRealPostgres } from "../support/databases.js";
import { startPostgres } from "../support/servers.js";

describe.skipIf(!hasRealPostgres())("DATABASE_URL", () => {
  const cleanups: Array<() => Promise<void>> = [];
  let socketUrl: string;
  beforeAll(async () => {
    socketUrl = await startPostgres(cleanups, { socket: true });
  }, 60_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("names a Unix socket the libpq way (?host=/dir), used by the pool, the sessions and the migrations", async () => {
    expect(socketUrl).toMatch(/\?host=%2F/);
    const database: Database = await openDatabase({ url: socketUrl, dataDir: "unused", poolSize: 2 });
    try {
      await runMigrations(database, socketUrl);
      // inet_server_addr() is null on a Unix-socket connection, an address over TCP.
      expect(await database.rows(sql`select inet_server_addr() as addr, count(*)::int as n from relay_state`)).toEqual([{ addr: null, n: 1 }]);
      const session = await database.session();
      expect(await session.query("select inet_server_addr() as addr")).toEqual([{ addr: null }]);
      await session.release();
      expect(database.description).toContain("/");
    } finally {
      await database.close();
    }
  });
});
