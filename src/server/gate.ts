import type { ApiKeyService, Authentication } from "../access/api-keys.service.js";
import type { Context, Services } from "../graphql/context.js";
import { ExecutionBudget, type ExecutionLimits } from "../graphql/execution-limits.js";
import { createLoaders } from "../graphql/loaders.js";
import type { Actor } from "../stock/types.js";
import { type RateLimiter, rateLimitMessage } from "./rate-limit.js";

/** Who is calling, as the gate admitted them. */
export interface Caller {
  principal: Actor | null;
  /** The key's hash, to check it again later (open connections); null when anonymous. */
  keyHash: string | null;
  /** The client's address, as this process sees it. */
  address: string;
  /** Whose rate-limit window the caller's operations take from: the key's, or the address's without one. */
  bucket: string;
}

/** A request turned away before GraphQL ran, in terms every transport can answer. */
export interface Refusal {
  status: number;
  message: string;
  code: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function isRefusal(x: Caller | Refusal | null): x is Refusal {
  return x !== null && "status" in x;
}

/** The key in `Authorization: Bearer <key>` (HTTP header, WebSocket connectionParams). */
export function bearerOf(header: unknown): string | null {
  if (typeof header !== "string") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

const UNAUTHENTICATED: Record<"invalid" | "revoked" | "missing", string> = {
  invalid: "this API key is not valid",
  revoked: "this API key has been revoked",
  missing: "an API key is required",
};

export interface GateOptions {
  services: Services;
  keys: ApiKeyService;
  limiter: RateLimiter | null;
  /** Anonymous callers may use the PUBLIC operations; false: every operation needs a key. */
  publicRead: boolean;
  execution: ExecutionLimits;
}

/**
 * The one way in, for HTTP, WebSocket and Server-Sent Events alike: who is
 * calling (a bad or revoked key is refused, never treated as none), whether
 * they are within their rate, and the context their operation runs with.
 *
 * Nothing here asks the database for a caller who is over their limit: keys
 * are looked up through a short cache, anonymous callers and bad keys take
 * from their address's window, and an address with nothing left is refused
 * before a key never seen valid is looked up. So a flood of made-up keys
 * costs at most one look-up per allowed request, and keys in use behind the
 * same address (a proxy, an office) keep working.
 */
export class OperationGate {
  constructor(private readonly opts: GateOptions) {}

  get limiter(): RateLimiter | null {
    return this.opts.limiter;
  }

  /** Who is calling, without taking from their rate (a WebSocket connects; its operations are taken one by one). */
  async identify(authorization: unknown, address: string | undefined): Promise<Caller | Refusal> {
    const addr = address ?? "unknown";
    const byAddress = `ip:${addr}`;
    if (authorization == null || authorization === "") {
      if (!this.opts.publicRead) return (await this.tooFast(byAddress)) ?? unauthenticated("missing");
      return { principal: null, keyHash: null, address: addr, bucket: byAddress };
    }
    const bearer = bearerOf(authorization);
    let auth: Authentication | undefined = bearer ? this.opts.keys.peek(bearer) : { ok: false, reason: "invalid" };
    if (!auth) {
      // A key in use whose cached answer has lapsed is looked up again whatever its
      // address did (others may share that address); one never seen needs room in it.
      const limiter = this.opts.limiter;
      const waitMs = limiter && !this.opts.keys.wasValid(bearer!) ? await limiter.waitOf(byAddress) : 0;
      if (waitMs > 0) return rateLimited(limiter!.perMinute, waitMs);
      auth = await this.opts.keys.authenticate(bearer);
    }
    if (!auth.ok) return (await this.tooFast(byAddress)) ?? unauthenticated(auth.reason);
    return { principal: auth.actor, keyHash: auth.keyHash, address: addr, bucket: `key:${auth.actor.name}` };
  }

  /** Takes one operation from the caller's rate: null when allowed. */
  take(caller: Caller): Promise<Refusal | null> {
    return this.tooFast(caller.bucket);
  }

  /** identify, then take: one HTTP request or event stream. */
  async admit(authorization: unknown, address: string | undefined): Promise<Caller | Refusal> {
    const caller = await this.identify(authorization, address);
    if (isRefusal(caller)) return caller;
    return (await this.take(caller)) ?? caller;
  }

  /** The context one operation runs with; long-lived ones (subscriptions) load without a cache. */
  context(caller: Caller, requestId: string, extra: { long?: boolean; closeConnection?: Context["closeConnection"] } = {}): Context {
    const { services } = this.opts;
    return {
      services,
      loaders: createLoaders(services.queries, extra.long ? { cache: false } : {}),
      principal: caller.principal,
      requestId,
      budget: new ExecutionBudget(this.opts.execution),
      ...(extra.closeConnection ? { closeConnection: extra.closeConnection } : {}),
    };
  }

  /** A new budget for one more execution under the same limits (a subscription's next event). */
  budget(): ExecutionBudget {
    return new ExecutionBudget(this.opts.execution);
  }

  private async tooFast(bucket: string): Promise<Refusal | null> {
    const limiter = this.opts.limiter;
    if (!limiter) return null;
    const waitMs = await limiter.take(bucket);
    return waitMs > 0 ? rateLimited(limiter.perMinute, waitMs) : null;
  }
}

function unauthenticated(reason: "invalid" | "revoked" | "missing"): Refusal {
  return { status: 401, message: UNAUTHENTICATED[reason], code: "UNAUTHENTICATED", headers: { "www-authenticate": 'Bearer realm="stock"' } };
}

function rateLimited(perMinute: number, waitMs: number): Refusal {
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  return {
    status: 429,
    message: rateLimitMessage(perMinute, waitMs),
    code: "RATE_LIMITED",
    extensions: { retryAfterSeconds },
    headers: { "retry-after": String(retryAfterSeconds) },
  };
}
