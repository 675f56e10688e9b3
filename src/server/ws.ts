import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { WebSocketServer, type WebSocket } from "ws";
import type { Context, Services } from "../graphql/context.js";
import { maskError } from "../graphql/errors.js";
import { createLoaders } from "../graphql/loaders.js";
import type { Logger } from "../log.js";
import type { Actor } from "../stock/types.js";
import { authenticate } from "./principal.js";

/** Close codes this server uses besides graphql-ws's own. */
export const ServerCloseCode = {
  GoingAway: 1001,
  Unauthorized: CloseCode.Unauthorized, // 4401
  Forbidden: CloseCode.Forbidden, // 4403
  SlowSubscriber: 4503,
} as const;

interface ConnectionState {
  principal: Actor | null;
  keyHash: string | null;
  subscriptions: number;
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
}

/**
 * graphql-ws on the HTTP server's port and path. Keys are checked at connect
 * (refused: close 4401) and again every few seconds, so a revoked key's
 * sockets close within seconds. Returns dispose(), which closes every socket with 1001.
 */
export function attachWebSocket(opts: WsOptions) {
  const wss = new WebSocketServer({ server: opts.server, path: "/graphql", maxPayload: opts.maxPayload });
  const states = new WeakMap<WebSocket, ConnectionState>();

  const handle = useServer<Record<string, unknown>, { state?: ConnectionState }>(
    {
      schema: opts.schema,
      onConnect: async (ctx) => {
        const auth = await authenticate(opts.services.keys, ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const socket = ctx.extra.socket as unknown as WebSocket;
        if ((auth && !auth.ok) || (!auth && !opts.publicRead)) {
          socket.close(ServerCloseCode.Unauthorized, auth && !auth.ok && auth.reason === "revoked" ? "API key revoked" : "Unauthorized");
          return false;
        }
        const state = { principal: auth?.ok ? auth.actor : null, keyHash: auth?.ok ? auth.keyHash : null, subscriptions: 0 };
        states.set(socket, state);
        ctx.extra.state = state;
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        const state = ctx.extra.state!;
        const isSubscription = /^\s*subscription\b/.test(payload.query) || /\bsubscription\b/.test(payload.query);
        if (isSubscription && state.subscriptions >= opts.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`at most ${opts.maxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: "BAD_USER_INPUT" } })];
        }
        if (isSubscription) state.subscriptions++;
        return undefined;
      },
      onComplete: (ctx, _id, payload) => {
        if (/\bsubscription\b/.test(payload.query)) ctx.extra.state!.subscriptions--;
      },
      context: (ctx): Context => {
        const socket = ctx.extra.socket as unknown as WebSocket;
        return {
          services: opts.services,
          loaders: createLoaders(opts.services.queries, { cache: false }),
          principal: ctx.extra.state?.principal ?? null,
          requestId: randomUUID(),
          closeConnection: (code, reason) => socket.close(code, reason),
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((e) => mask(e, opts.log)) as unknown as GraphQLError[] };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => mask(e, opts.log)) as unknown as GraphQLError[],
    },
    wss,
  );

  // Revocation takes effect on open sockets too.
  const timer = setInterval(async () => {
    const byKey = new Map<string, WebSocket[]>();
    for (const socket of wss.clients) {
      const hash = states.get(socket)?.keyHash;
      if (hash) byKey.set(hash, [...(byKey.get(hash) ?? []), socket]);
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

function mask(e: GraphQLError, log: Logger) {
  const formatted = e.toJSON();
  return maskError(formatted, e, undefined, (m) => log.error(`ws: ${m}`));
}
