import { and, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "./client.js";
import { idempotencyKeys } from "./schema.js";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/**
 * Claims (actor, key) for this transaction: true if it was free. A concurrent
 * claim of the same key waits here until the first one commits or rolls back.
 */
export async function claimIdempotencyKey(ex: Executor, row: { actor: string; key: string; operation: string; requestHash: string }): Promise<boolean> {
  const rows = await ex.insert(idempotencyKeys).values(row).onConflictDoNothing().returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

export async function idempotencyKeyOf(ex: Executor, actor: string, key: string): Promise<IdempotencyRow | null> {
  const rows = await ex.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
  return rows[0] ?? null;
}

export async function saveIdempotentResult(ex: Executor, actor: string, key: string, result: unknown): Promise<void> {
  await ex
    .update(idempotencyKeys)
    .set({ result })
    .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)));
}

/** Forgets keys older than `hours`; returns how many. */
export async function pruneIdempotencyKeys(ex: Executor, hours: number): Promise<number> {
  const rows = await ex
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - ${hours} * interval '1 hour'`))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
