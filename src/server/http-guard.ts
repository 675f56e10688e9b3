import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLError } from "graphql";
import type { ApiKeyService } from "../access/api-keys.service.js";
import type { Context } from "../graphql/context.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Actor } from "../stock/types.js";
import { authenticate, unauthenticated } from "./principal.js";
import { type RateLimiter, rateLimitMessage } from "./rate-limit.js";

/** A request turned away before GraphQL ran: answered in GraphQL's shape. */
export interface Refusal {
  status: number;
  message: string;
  code: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Writes a refusal as `{ errors: [...] }` with the request id in its extensions. */
export function sendRefusal(res: ServerResponse, requestId: string | null, r: Refusal): void {
  const body = JSON.stringify({ errors: [{ message: r.message, extensions: { code: r.code, ...r.extensions, ...(requestId ? { requestId } : {}) } }] });
  res.statusCode = r.status;
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

const PLAIN_TOKEN = /^[\w.-]{1,64}$/;

/** The client's X-Request-Id when it is a plain token, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && PLAIN_TOKEN.test(given) ? given : randomUUID();
}

export interface AccessGuardOptions {
  keys: ApiKeyService;
  limiter: RateLimiter | null;
  /** Anonymous callers may use the PUBLIC operations; false: every request needs a key. */
  publicRead: boolean;
}

/**
 * Before the body is even read: who is calling (a bad or revoked key is 401,
 * never anonymous), and whether they are within their rate (429 with
 * Retry-After). Keyed callers are limited per key, everyone else per address.
 */
export async function admit(opts: AccessGuardOptions, req: IncomingMessage): Promise<{ actor: Actor | null } | { refusal: Refusal }> {
  const auth = await authenticate(opts.keys, req.headers.authorization);
  const actor = auth?.ok ? auth.actor : null;
  if (opts.limiter) {
    const waitMs = opts.limiter.take(actor ? `key:${actor.name}` : `ip:${req.socket.remoteAddress ?? "unknown"}`);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      return {
        refusal: {
          status: 429,
          message: rateLimitMessage(opts.limiter.perMinute, waitMs),
          code: "RATE_LIMITED",
          extensions: { retryAfterSeconds },
          headers: { "retry-after": String(retryAfterSeconds) },
        },
      };
    }
  }
  if ((auth && !auth.ok) || (!auth && !opts.publicRead)) {
    return {
      refusal: {
        status: 401,
        message: unauthenticated(auth && !auth.ok ? auth.reason : "missing").message,
        code: "UNAUTHENTICATED",
        headers: { "www-authenticate": 'Bearer realm="stock"' },
      },
    };
  }
  return { actor };
}

/**
 * The shape limits of a query (depth, aliases, fields, root fields) before
 * Apollo parses and validates it: graphql-js's overlapping-fields rule is
 * quadratic in the fields of a selection set, so a validation rule, which runs
 * beside it, would come too late. Apollo offers no hook between parsing and
 * validation whose errors it answers as such, hence this gate in front of it.
 */
export function shapeRefusal(limiter: QueryLimiter, query: unknown): Refusal | null {
  if (typeof query !== "string") return null;
  const [error] = limiter.shapeErrorsOfText(query);
  return error ? { status: 400, message: error.message, code: "BAD_USER_INPUT", extensions: error.extensions } : null;
}

function refusal(error: GraphQLError, requestId: string): GraphQLError {
  Object.assign(error.extensions, { requestId, http: { status: 400 } });
  return error;
}

/** The cost limit for HTTP: it needs the variables, so it is checked once Apollo knows the operation. */
export function queryLimitsPlugin(limiter: QueryLimiter): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return; // Apollo has refused it already
          const [error] = limiter.complexityErrors(document, operation, request.variables);
          if (error) throw refusal(error, contextValue.requestId);
        },
      };
    },
  };
}
