import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { GraphQLError } from "graphql";
import type { ApiKeyService } from "../access/api-keys.service.js";
import type { Context } from "../graphql/context.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Actor } from "../stock/types.js";
import { authenticate, unauthenticated } from "./principal.js";
import { type RateLimiter, rateLimitMessage } from "./rate-limit.js";

/** What the guards leave in `res.locals` for the GraphQL context. */
export interface GuardLocals {
  requestId: string;
  principal: Actor | null;
}

export function localsOf(res: Response): GuardLocals {
  return res.locals as GuardLocals;
}

/** An answer in GraphQL's shape for a request refused before GraphQL ran. */
export function sendGraphQLError(res: Response, status: number, message: string, code: string, extensions: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type("application/json")
    .send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions, requestId: localsOf(res).requestId } }] }));
}

/** The client's X-Request-Id when it is a plain token, else a new one; echoed in the response. */
export const assignRequestId: RequestHandler = (req, res, next) => {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
  localsOf(res).requestId = id;
  res.setHeader("x-request-id", id);
  next();
};

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
export function accessGuard(opts: AccessGuardOptions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const auth = await authenticate(opts.keys, req.headers.authorization);
      const actor = auth?.ok ? auth.actor : null;
      if (opts.limiter) {
        const waitMs = opts.limiter.take(actor ? `key:${actor.name}` : `ip:${req.socket.remoteAddress ?? "unknown"}`);
        if (waitMs > 0) {
          const retryAfterSeconds = Math.ceil(waitMs / 1000);
          res.setHeader("retry-after", String(retryAfterSeconds));
          return sendGraphQLError(res, 429, rateLimitMessage(opts.limiter.perMinute, waitMs), "RATE_LIMITED", { retryAfterSeconds });
        }
      }
      if ((auth && !auth.ok) || (!auth && !opts.publicRead)) {
        res.setHeader("www-authenticate", 'Bearer realm="stock"');
        return sendGraphQLError(res, 401, unauthenticated(auth && !auth.ok ? auth.reason : "missing").message, "UNAUTHENTICATED");
      }
      localsOf(res).principal = actor;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Apollo's integration insists that a body parser ran; for a GET, or a POST
 * that is not JSON, none did. Leave the body empty so Apollo answers: CSRF
 * prevention refuses text/plain and forms, other types get "POST body missing".
 */
export const emptyBodyUnlessParsed: RequestHandler = (req, _res, next) => {
  if (!("body" in req)) (req as { body?: unknown }).body = undefined;
  next();
};

/**
 * The shape limits of a query (depth, aliases, fields, root fields) before
 * Apollo parses and validates it: graphql-js's overlapping-fields rule is
 * quadratic in the fields of a selection set, so a validation rule, which runs
 * beside it, would come too late. Apollo offers no hook between parsing and
 * validation whose errors it answers as such, hence this gate in front of it.
 */
export function queryShapeGuard(limiter: QueryLimiter): RequestHandler {
  return (req, res, next) => {
    const query: unknown = req.method === "GET" ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== "string") return next();
    const [error] = limiter.shapeErrorsOfText(query);
    if (!error) return next();
    sendGraphQLError(res, 400, error.message, "BAD_USER_INPUT", error.extensions);
  };
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
