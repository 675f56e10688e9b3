import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { GraphQLError, GraphQLSchema } from "graphql";
import { WebSocketServer, type WebSocket } from "ws";
import type { Context, Services } from "../graphql/context.js";
import { maskError } from "../graphql/errors.js";
import { createLoaders } from "../graphql/loaders.js";
import { sharedSubscribe } from "../graphql/shared-subscribe.js";
import { CLOSE_SLOW_SUBSCRIBER } from "../graphql/subscriptions.js";
import { QUERY_LIMITS, type QueryLimits, queryLimiter } from "../graphql/query-limits.js";
import type { Logger } from "../log.js";
import type { Actor } from "../stock/types.js";
import { authenticate } from "./principal.js";
import { type RateLimiter, rateLimitMessage } from "./rate-limit.js";

/** Close codes this server uses besides graphql-ws's own. */
export const ServerCloseCode = {
  GoingAway: 1001,
  Unauthorized: CloseCode.Unauthorized, // 4401
  Forbidden: CloseCode.Forbidden, // 4403
  SlowSubscriber: CLOSE_SLOW_SUBSCRIBER,
  /** The client sent messages faster than maxMessagesPerSecond. */
  TooManyMessages: 4429,
} as const;

interface ConnectionState {
  principal: Actor | null;
  keyHash: string | null;
  /** Whose rate-limit bucket this connection's operations take from. */
  caller: string;
  /** Ids of the open subscriptions. */
  subscriptions: Set<string>;
  /** Request id of each running operation, for its errors and the log. */
  requestIds: Map<string, string>;
}

export interface WsOptions {
  schema: GraphQLSchema;
  services: Services;
  server: Server;
  log: Logger;
  publicRead: boolean;
  maxPayload: number;
  maxSubscriptionsPerConnection: number;
  revocationCheckMs: number;
  /** Per key (per address without one), shared with HTTP; null or absent: no limit. */
  limiter?: RateLimiter | null;
  /** Messages a socket may send per second, in bursts of up to twice that; past it: close 4429 (default 50). */
  maxMessagesPerSecond?: number;
  queryLimits?: QueryLimits;
}

/**
 * graphql-ws on the HTTP server's port and path. Keys are checked at connect
 * (refused: close 4401) and again every few seconds, so a revoked key's
 * sockets close within seconds. Returns dispose(), which closes every socket with 1001.
 */
export function attachWebSocket(opts: WsOptions) {
  const wss = new WebSocketServer({ server: opts.server, path: "/graphql", maxPayload: opts.maxPayload });
  const states = new WeakMap<WebSocket, ConnectionState>();
  const queryLimits = queryLimiter(opts.schema, opts.queryLimits ?? QUERY_LIMITS);
  const perSecond = opts.maxMessagesPerSecond ?? 50;

  // Registered before graphql-ws's own listener, so a flood is cut off before
  // its messages are handled. A client that keeps sending after the close is dropped.
  wss.on("connection", (socket) => {
    let tokens = perSecond * 2;
    let at = Date.now();
    socket.on("message", () => {
      const now = Date.now();
      tokens = Math.min(perSecond * 2, tokens + ((now - at) * perSecond) / 1000);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      if (socket.readyState === socket.OPEN) socket.close(ServerCloseCode.TooManyMessages, `more than ${perSecond} messages a second`);
      else socket.terminate();
    });
  });

  const handle = useServer<Record<string, unknown>, { state?: ConnectionState }>(
    {
      schema: opts.schema,
      // Subscribers with the same operation, variables and role share each event's execution.
      subscribe: sharedSubscribe((args) => (args.contextValue as Context).principal?.role ?? "anonymous"),
      // Internal messages never go out in close reasons, whatever NODE_ENV says.
      isProd: true,
      onConnect: async (ctx) => {
        const auth = await authenticate(opts.services.keys, ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const socket = ctx.extra.socket as unknown as WebSocket;
        if ((auth && !auth.ok) || (!auth && !opts.publicRead)) {
          socket.close(ServerCloseCode.Unauthorized, auth && !auth.ok && auth.reason === "revoked" ? "API key revoked" : "Unauthorized");
          return false;
        }
        const principal = auth?.ok ? auth.actor : null;
        const state: ConnectionState = {
          principal,
          keyHash: auth?.ok ? auth.keyHash : null,
          caller: principal ? `key:${principal.name}` : `ip:${ctx.extra.request.socket.remoteAddress ?? "unknown"}`,
          subscriptions: new Set(),
          requestIds: new Map(),
        };
        states.set(socket, state);
        ctx.extra.state = state;
        return true;
      },
      // Everything Apollo does for HTTP before execution: rate limit, bounded
      // parse, query limits, validation, cost; graphql-ws then only executes.
      onSubscribe: (ctx, id, payload) => {
        const state = ctx.extra.state!;
        state.requestIds.set(id, randomUUID());
        if (opts.limiter) {
          const waitMs = opts.limiter.take(state.caller);
          if (waitMs > 0) {
            return [queryLimits.error(rateLimitMessage(opts.limiter.perMinute, waitMs), { code: "RATE_LIMITED", retryAfterSeconds: Math.ceil(waitMs / 1000) })];
          }
        }
        const checked = queryLimits.checkOperation(payload);
        if (Array.isArray(checked)) return checked;
        if (checked.operation.operation === "subscription") {
          if (state.subscriptions.size >= opts.maxSubscriptionsPerConnection) {
            return [queryLimits.error(`at most ${opts.maxSubscriptionsPerConnection} subscriptions per connection`)];
          }
          state.subscriptions.add(id);
        }
        return { schema: opts.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables };
      },
      onComplete: (ctx, id) => {
        ctx.extra.state?.subscriptions.delete(id);
        ctx.extra.state?.requestIds.delete(id);
      },
      context: (ctx, id): Context => {
        const socket = ctx.extra.socket as unknown as WebSocket;
        return {
          services: opts.services,
          loaders: createLoaders(opts.services.queries, { cache: false }),
          principal: ctx.extra.state?.principal ?? null,
          requestId: ctx.extra.state?.requestIds.get(id) ?? randomUUID(),
          closeConnection: (code, reason) => socket.close(code, reason),
        };
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        const requestId = ctx.extra.state?.requestIds.get(id);
        return { ...result, errors: result.errors.map((e) => mask(e, requestId, opts.log)) as unknown as GraphQLError[] };
      },
      // An error message ends the operation.
      onError: (ctx, id, _payload, errors) => {
        const requestId = ctx.extra.state?.requestIds.get(id);
        ctx.extra.state?.subscriptions.delete(id);
        ctx.extra.state?.requestIds.delete(id);
        return errors.map((e) => mask(e, requestId, opts.log)) as unknown as GraphQLError[];
      },
    },
    wss,
  );

  // Revocation takes effect on open sockets too.
  const timer = setInterval(async () => {
    const byKey = new Map<string, WebSocket[]>();
    for (const socket of wss.clients) {
      const hash = states.get(socket)?.keyHash;
      if (!hash) continue;
      const sockets = byKey.get(hash);
      if (sockets) sockets.push(socket);
      else byKey.set(hash, [socket]);
    }
    for (const [hash, sockets] of byKey) {
      try {
        if (!(await opts.services.keys.stillValid(hash))) {
          for (const s of sockets) s.close(ServerCloseCode.Unauthorized, "API key revoked");
        }
      } catch {
        // database unavailable: check again next time
      }
    }
  }, opts.revocationCheckMs).unref();

  return {
    clients: () => wss.clients.size,
    async dispose() {
      clearInterval(timer);
      for (const socket of wss.clients) socket.close(ServerCloseCode.GoingAway, "server shutting down");
      await handle.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function mask(e: GraphQLError, requestId: string | undefined, log: Logger) {
  const formatted = e.toJSON();
  return maskError(formatted, e, requestId, (m) => log.error(`ws: ${m}`));
}
