import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database, Executor } from "../db/client.js";
import type { Idempotency } from "../stock/idempotency.js";
import { SQLSTATE, sqlState } from "../db/errors.js";
import { apiKeyByHash, apiKeyByName, type ApiKeyRow, countApiKeys, insertApiKey, listApiKeys, revokeApiKey, validKeyHashes } from "../db/api-key.queries.js";
import * as limit from "../stock/limits.js";
import { InputRejected, StockRefusal } from "../stock/stock.errors.js";
import { ROLES } from "../stock/enums.js";
import type { Actor, Role } from "../stock/types.js";

/** A key as stored (its hash, never the key): what the API layer shows of it is the ApiKey type's fields. */
export type ApiKeyRecord = ApiKeyRow;

const KEY_PREFIX = "sk_";
/**
 * How long a look-up is trusted without asking the database again, either
 * way: a revocation on another instance takes effect here within this time.
 */
const CACHE_MS = 1000;
/** Entries per cache; a full one starts over (a flood of made-up keys must not grow memory). */
const CACHE_ENTRIES = 10_000;

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
  // Valid keys apart from refused ones, so a flood of made-up keys cannot push out the keys in use.
  private readonly valid = new Map<string, { actor: Actor; until: number }>();
  private readonly refused = new Map<string, { reason: "invalid" | "revoked"; until: number }>();
  /** Look-ups in flight by key hash: requests with one key whose cached answer lapsed at once share one. */
  private readonly lookups = new Map<string, Promise<Authentication>>();

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
      this.valid.delete(row.keyHash);
      return row;
    }
    const existing = await apiKeyByName(this.database.db, n);
    if (!existing) throw new StockRefusal("INVALID_STATE", `no API key named "${n}"`);
    return existing; // already revoked: revoking again changes nothing
  }

  /** Who a bearer key belongs to; a revoked key is as good as none. At most one database look-up per key and second. */
  async authenticate(bearer: string | null | undefined): Promise<Authentication> {
    const known = this.peek(bearer);
    if (known) return known;
    const keyHash = hashKey(bearer!);
    const inFlight = this.lookups.get(keyHash);
    if (inFlight) return inFlight;
    const lookup = this.lookUp(bearer!, keyHash).finally(() => this.lookups.delete(keyHash));
    this.lookups.set(keyHash, lookup);
    return lookup;
  }

  private async lookUp(bearer: string, keyHash: string): Promise<Authentication> {
    const row = await apiKeyByHash(this.database.db, keyHash);
    // The lookup is by hash; compare again in constant time so no timing
    // difference depends on how much of a guess was right.
    const match = row !== null && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(keyHash));
    const until = Date.now() + CACHE_MS;
    if (match && row.revokedAt === null) {
      const actor: Actor = { name: row.name, role: row.role, channel: row.channel, seal: sealOf(bearer) };
      remember(this.valid, keyHash, { actor, until });
      return { ok: true, actor, keyHash };
    }
    const reason = match ? "revoked" : "invalid";
    this.valid.delete(keyHash);
    remember(this.refused, keyHash, { reason, until });
    return { ok: false, reason };
  }

  /** What authenticate would answer, when it can answer without the database; undefined when it would have to ask. */
  peek(bearer: string | null | undefined): Authentication | undefined {
    if (!bearer) return { ok: false, reason: "missing" };
    if (bearer.length > 200) return { ok: false, reason: "invalid" };
    const keyHash = hashKey(bearer);
    const now = Date.now();
    const valid = this.valid.get(keyHash);
    if (valid && valid.until >= now) return { ok: true, actor: valid.actor, keyHash };
    const refused = this.refused.get(keyHash);
    if (refused && refused.until >= now) return { ok: false, reason: refused.reason };
    return undefined;
  }

  /**
   * Whether this key was valid when last looked up, however long ago (while
   * this instance remembers it): a key in use, not a guess. Its look-up may be
   * due again; the answer of that look-up is what counts.
   */
  wasValid(bearer: string): boolean {
    return bearer.length <= 200 && this.valid.has(hashKey(bearer));
  }

  /** Which of these keys (by hash) are still valid now; asks the database, once for all of them. */
  stillValid(keyHashes: string[]): Promise<Set<string>> {
    return validKeyHashes(this.database.db, keyHashes);
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

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= CACHE_ENTRIES) cache.clear();
  cache.set(key, value);
}
