import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { CommitWith, Tx } from "../db/client.js";
import { claimIdempotencyKey, idempotencyKeyOf, pruneIdempotencyKeys, saveIdempotentResult } from "../db/idempotency.queries.js";
import * as limit from "./limits.js";
import { StockRefusal } from "./stock.errors.js";
import type { Actor } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

/** Keys are kept at least this long (Shopify keeps its inventory idempotency keys a day too). */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

/**
 * Runs a mutation once per idempotency key, as Shopify requires for
 * inventory mutations: the same key with the same input returns the first
 * result (and changes nothing more); the same key with another input is
 * refused with IDEMPOTENCY_KEY_REUSED. Without a key, `work` just runs.
 *
 * The key is claimed first in the mutation's own transaction, so a retry
 * racing the first attempt waits for it and then returns its result, and a
 * first attempt that failed (rolled back) leaves no key behind. Only results
 * of changes that committed are kept. Keys belong to the caller (the API key
 * name): two clients never see each other's.
 */
export class Idempotency {
  constructor(private readonly uow: UnitOfWork) {}

  /** The database, for writes that need no transaction of their own. */
  get database() {
    return this.uow.database.db;
  }

  async run<T>(
    operation: string,
    input: { idempotencyKey?: string | null },
    actor: Actor,
    work: (tx: Tx, commit?: CommitWith) => Promise<T>,
    secret: ReadonlyArray<keyof T> = [],
  ): Promise<T> {
    if (input.idempotencyKey == null) return this.uow.run((tx, commit) => work(tx, commit));
    const key = limit.idempotencyKey(input.idempotencyKey);
    const requestHash = hashOf(operation, input);
    return this.uow.run(async (tx) => {
      if (!(await claimIdempotencyKey(tx, { actor: actor.name, key, operation, requestHash }))) {
        const first = (await idempotencyKeyOf(tx, actor.name, key))!;
        if (first.operation !== operation || first.requestHash !== requestHash) {
          throw new StockRefusal(
            "IDEMPOTENCY_KEY_REUSED",
            `idempotency key "${key}" was used for another ${first.operation === operation ? "input" : `operation (${first.operation})`}; use a new key for a new request`,
          );
        }
        return revive(first.result, actor, secret) as T;
      }
      // The result is written after the work, so no COMMIT goes out with it.
      const result = await work(tx);
      await saveIdempotentResult(tx, actor.name, key, seal(result, actor, secret));
      return result;
    });
  }

  /** Forgets keys past the retention time (the expiry sweeper calls it). */
  prune(): Promise<number> {
    return pruneIdempotencyKeys(this.uow.database.db, IDEMPOTENCY_RETENTION_HOURS);
  }
}

/** SHA-256 of the operation and its input (keys sorted, the idempotency key itself left out). */
function hashOf(operation: string, input: object): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === "object" && !(v instanceof Date)) {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k, x]) => k !== "idempotencyKey" && x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, canonical(x)]),
      );
    }
    return v;
  };
  return createHash("sha256").update(operation).update("\0").update(JSON.stringify(canonical(input))).digest("hex");
}

// Results go through JSON: dates come back as Dates (fields named …At), and
// the fields named `secret` (a new API key) are sealed with a key only the
// caller can give again (derived from their own API key, never stored).
const DATE_FIELD = /At$/;

function seal(result: unknown, actor: Actor, secret: ReadonlyArray<PropertyKey>): unknown {
  if (secret.length === 0 || !result || typeof result !== "object") return result;
  const out: Record<string, unknown> = { ...(result as Record<string, unknown>) };
  for (const field of secret) {
    const value = out[field as string];
    if (typeof value !== "string") continue;
    if (!actor.seal) {
      out[field as string] = null;
      continue;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", Buffer.from(actor.seal, "hex"), iv);
    const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    out[field as string] = { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
  }
  return out;
}

function revive(stored: unknown, actor: Actor, secret: ReadonlyArray<PropertyKey>): unknown {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string" && key && DATE_FIELD.test(key)) return new Date(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  const out = walk(stored) as Record<string, unknown>;
  for (const field of secret) {
    const value = out?.[field as string] as { sealed?: string } | null | undefined;
    if (!value?.sealed) continue;
    out[field as string] = unseal(value.sealed, actor);
  }
  return out;
}

function unseal(sealed: string, actor: Actor): string | null {
  if (!actor.seal) return null;
  const raw = Buffer.from(sealed, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", Buffer.from(actor.seal, "hex"), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return null; // another caller's seal: nothing to show
  }
}
