import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database, Executor } from "../db/client.js";
import type { Idempotency } from "../stock/idempotency.js";
import { SQLSTATE, sqlState } from "../db/errors.js";
import { apiKeyByHash, apiKeyByName, type ApiKeyRow, countApiKeys, insertApiKey, listApiKeys, revokeApiKey } from "../db/api-key.queries.js";
import * as limit from "../stock/limits.js";
import { InputRejected, StockRefusal } from "../stock/stock.errors.js";
import type { Actor, Role } from "../stock/types.js";

const KEY_PREFIX = "sk_";
const ROLES: readonly Role[] = ["VIEWER", "SERVICE", "ADMIN"];
/** How long a verified key is trusted without asking the database again. */
const CACHE_MS = 2000;

/** A secret only the holder of `key` can give again: what the results kept for them are sealed with. */
function sealOf(key: string): string {
  return createHash("sha256").update("stock-service result seal\0").update(key).digest("hex");
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** 256 random bits, url-safe: `sk_` + 43 characters. */
export function newKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

export type Authentication = { ok: true; actor: Actor; keyHash: string } | { ok: false; reason: "missing" | "invalid" | "revoked" };

/**
 * API keys: random, shown once, stored only as a SHA-256 hash (they carry 256
 * bits of entropy, so a slow password hash would add nothing but latency),
 * each with a name (the ledger's actor) and a role; revocable.
 */
export class ApiKeyService {
  private cache = new Map<string, { actor: Actor | null; revoked: boolean; until: number }>();

  constructor(
    private readonly database: Database,
    /** For createApiKey's idempotency keys (absent: the CLI and start-up, which take none). */
    private readonly idempotency?: Idempotency,
  ) {}

  /**
   * A new key in a sales channel (default: the default channel, all a single
   * shop needs). With an idempotency key, a retry returns the same key again
   * (kept sealed with the caller's own key, see stock/idempotency.ts).
   */
  async create(
    name: string,
    role: Role,
    channel?: string | null,
    by?: { actor: Actor; idempotencyKey?: string | null },
  ): Promise<{ key: string; record: ApiKeyRow }> {
    const n = limit.warehouseCode(name, "name");
    if (!ROLES.includes(role)) throw new InputRejected(`role must be one of ${ROLES.join(", ")}`, "role");
    const ch = limit.channel(channel);
    const insert = async (ex: Executor) => {
      const key = newKey();
      const record = await insertApiKey(ex, { name: n, role, channel: ch, keyHash: hashKey(key), prefix: key.slice(0, 10) });
      if (!record) throw new StockRefusal("DUPLICATE", `an API key named "${n}" already exists`);
      return { key, record };
    };
    try {
      if (by && this.idempotency) {
        const input = { name: n, role, channel: ch, idempotencyKey: by.idempotencyKey };
        return await this.idempotency.run("createApiKey", input, by.actor, (tx) => insert(tx), ["key"]);
      }
      return await insert(this.database.db);
    } catch (err) {
      if (sqlState(err) === SQLSTATE.uniqueViolation) throw new StockRefusal("DUPLICATE", `an API key named "${n}" already exists`);
      throw err;
    }
  }

  list(): Promise<ApiKeyRow[]> {
    return listApiKeys(this.database.db);
  }

  async revoke(name: string): Promise<ApiKeyRow> {
    const n = limit.warehouseCode(name, "name");
    const row = await revokeApiKey(this.database.db, n);
    if (row) {
      this.cache.delete(row.keyHash);
      return row;
    }
    const existing = await apiKeyByName(this.database.db, n);
    if (!existing) throw new StockRefusal("INVALID_STATE", `no API key named "${n}"`);
    return existing; // already revoked: revoking again changes nothing
  }

  /** Who a bearer key belongs to; a revoked key is as good as none. */
  async authenticate(bearer: string | null | undefined): Promise<Authentication> {
    if (!bearer) return { ok: false, reason: "missing" };
    if (bearer.length > 200) return { ok: false, reason: "invalid" };
    const keyHash = hashKey(bearer);
    const now = Date.now();
    let hit = this.cache.get(keyHash);
    if (!hit || hit.until < now) {
      const row = await apiKeyByHash(this.database.db, keyHash);
      // The lookup is by hash; compare again in constant time so no timing
      // difference depends on how much of a guess was right.
      const match = row !== null && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(keyHash));
      hit = {
        actor: match ? { name: row.name, role: row.role, channel: row.channel, seal: sealOf(bearer) } : null,
        revoked: match && row.revokedAt !== null,
        until: now + CACHE_MS,
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(keyHash, hit);
    }
    if (!hit.actor) return { ok: false, reason: "invalid" };
    if (hit.revoked) return { ok: false, reason: "revoked" };
    return { ok: true, actor: hit.actor, keyHash };
  }

  /** Whether the key behind `keyHash` is still valid now (asks the database). */
  async stillValid(keyHash: string): Promise<boolean> {
    const row = await apiKeyByHash(this.database.db, keyHash);
    return row !== null && row.revokedAt === null;
  }

  /**
   * On an empty key table: create the first ADMIN key (from ADMIN_API_KEY if
   * given). Returns the key only when it was generated here, to print once.
   */
  async bootstrap(adminKey: string | undefined): Promise<string | null> {
    if ((await countApiKeys(this.database.db)) > 0) return null;
    const key = adminKey ?? newKey();
    await insertApiKey(this.database.db, { name: "admin", role: "ADMIN", keyHash: hashKey(key), prefix: key.slice(0, 10) });
    return adminKey ? null : key;
  }
}
