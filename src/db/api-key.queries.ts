import { asc, eq, inArray, isNull, and, sql } from "drizzle-orm";
import type { Executor } from "./client.js";
import { anyOf } from "./rows.js";
import { apiKeys } from "./schema.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(ex: Executor, row: { name: string; role: ApiKeyRow["role"]; channel?: string; keyHash: string; prefix: string }) {
  const rows = await ex.insert(apiKeys).values(row).onConflictDoNothing({ target: apiKeys.name }).returning();
  return rows[0] ?? null;
}

export async function apiKeyByHash(ex: Executor, keyHash: string): Promise<ApiKeyRow | null> {
  const rows = await ex.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
  return rows[0] ?? null;
}

/** Which of these key hashes belong to keys not revoked: one statement for any number. */
export async function validKeyHashes(ex: Executor, keyHashes: string[]): Promise<Set<string>> {
  if (keyHashes.length === 0) return new Set();
  const rows = await ex
    .select({ keyHash: apiKeys.keyHash })
    .from(apiKeys)
    .where(and(inArray(apiKeys.keyHash, keyHashes), isNull(apiKeys.revokedAt)));
  return new Set(rows.map((r) => r.keyHash));
}

export function listApiKeys(ex: Executor): Promise<ApiKeyRow[]> {
  return ex.select().from(apiKeys).orderBy(asc(apiKeys.id));
}

export async function apiKeysByIds(ex: Executor, ids: readonly number[]): Promise<ApiKeyRow[]> {
  if (ids.length === 0) return [];
  return ex.select().from(apiKeys).where(anyOf(apiKeys.id, ids));
}

export async function revokeApiKey(ex: Executor, name: string): Promise<ApiKeyRow | null> {
  const rows = await ex
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
    .returning();
  return rows[0] ?? null;
}

export async function apiKeyByName(ex: Executor, name: string): Promise<ApiKeyRow | null> {
  const rows = await ex.select().from(apiKeys).where(eq(apiKeys.name, name));
  return rows[0] ?? null;
}

export async function countApiKeys(ex: Executor): Promise<number> {
  const rows = await ex.select({ n: sql<string>`count(*)` }).from(apiKeys);
  return Number(rows[0]?.n ?? 0);
}
