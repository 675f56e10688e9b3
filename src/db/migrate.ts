import { join } from "node:path";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { drizzle } from "drizzle-orm/postgres-js";
import { connectPostgres, type Database } from "./client.js";

import { projectRoot } from "../paths.js";

export const migrationsFolder = join(projectRoot, "drizzle");

const MIGRATION_LOCK = 7_411_001;

/**
 * Applies pending migrations. On PostgreSQL several instances may start at once:
 * one session-level advisory lock makes them take turns.
 */
export async function runMigrations(database: Database, url?: string): Promise<void> {
  if (database.kind === "pglite" || !url) {
    await migratePglite(database.db as never, { migrationsFolder });
    return;
  }
  const client = connectPostgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzle({ client }), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}
