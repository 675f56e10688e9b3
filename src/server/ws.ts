import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { ExecutionArgs, GraphQLError, GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { isConnectionError } from "../db/errors.js";
import type { Context } from "../graphql/context.js";
import { maskError } from "../graphql/errors.js";
import { withinBudget } from "../graphql/execution-limits.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import { sharingKey } from "../graphql/shared-subscribe.js";
import type { Logger } from "../log.js";
import { type LiveConnection, type LiveConnections, ServerCloseCode } from "./connections.js";
import { type Caller, isRefusal, type OperationGate } from "./gate.js";
import { MessageRateLimiter } from "./rate-limit.js";
import { type OriginPolicy, resumePoint, type SubscribeFn } from "./transport.js";

interface ConnectionState {
  connection: LiveConnection;
  caller: Caller | null;
  /** Request id of each running operation, for its errors and the log. */
  requestIds: Map<string, string>;
  /** The last `sequence` each subscription sent, for the resume point of a slow reader. */
  sequences: Map<string, string>;
}

export interface WsOptions {
  schema: GraphQLSchema;
  gate: OperationGate;
  live: LiveConnections;
  queryLimits: QueryLimiter;
  subscribe: SubscribeFn;
  origins: OriginPolicy;
  server: Server;
  log: Logger;
  maxPayload: number;
  /** Bytes a socket may have waiting to be sent; past it the socket is closed 4503. */
  maxBufferedBytes: number;
  /** Messages a socket may send per second, in bursts of up to twice that; past it: close 4429 (default 50). */
  maxMessagesPerSecond?: number;
}

/**
 * graphql-ws on the HTTP server's port and path, behind the operation gate:
 * the key is checked at connect (refused: close 4401), each operation takes
 * from its caller's rate, and the live-connection caps apply. Returns dispose(),
 * which closes every socket with 1001.
 */
export function attachWebSocket(opts: WsOptions) {
  const wss = new WebSocketServer({
    server: opts.server,
    path: "/graphql",
    maxPayload: opts.maxPayload,
    // Browsers send an Origin; a page of another site may not use a visitor's network position.
    verifyClient: ({ origin, req }: { origin: string | undefined; req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void) =>
      opts.origins.allows(origin, req.headers.host) ? done(true) : done(false, 403, "Origin not allowed"),
  });
  const states = new WeakMap<WebSocket, ConnectionState>();
  const messages = new MessageRateLimiter(opts.maxMessagesPerSecond ?? 50);

  // Registered before graphql-ws's own listener, so a refused socket is closed
  // before anything of it is handled.
  wss.on("connection", (socket, request) => {
    const close = (code: number, reason: string) => {
      if (socket.readyState === socket.OPEN) socket.close(code, reason);
      else socket.terminate();
    };
    const connection = opts.live.connect(request.socket.remoteAddress, close);
    if (typeof connection === "string") return turnAway(socket, connection);
    states.set(socket, { connection, caller: null, requestIds: new Map(), sequences: new Map() });
    socket.once("close", () => connection.dispose());
    const id = randomUUID();
    let flooded = false;
    socket.on("message", async () => {
      if ((await messages.take(id)) || flooded) return;
      flooded = true;
      turnAway(socket, `more than ${messages.perSecond} messages a second`);
    });
  });

  const stateOf = (socket: unknown) => states.get(socket as WebSocket);

  const handle = useServer<Record<string, unknown>, { state?: ConnectionState }>(
    {
      schema: opts.schema,
      subscribe: opts.subscribe,
      // Internal messages never go out in close reasons, whatever NODE_ENV says.
      isProd: true,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket as unknown as WebSocket;
        const state = stateOf(socket);
        if (!state) return false; // refused at connection
        let caller: Awaited<ReturnType<OperationGate["identify"]>>;
        try {
          caller = await opts.gate.identify(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization, ctx.extra.request.socket.remoteAddress);
        } catch (err) {
          // The key lookup met a database outage.
          if (!isConnectionError(err)) throw err;
          state.connection.close(ServerCloseCode.TryAgainLater, "database unavailable; reconnect and resume with after");
          return false;
        }
        if (isRefusal(caller)) {
          state.connection.close(caller.status === 429 ? ServerCloseCode.TooMany : ServerCloseCode.Unauthorized, caller.status === 429 ? caller.message.slice(0, 120) : reasonOf(caller.message));
          return false;
        }
        const refused = state.connection.identify(caller);
        if (refused) {
          state.connection.close(ServerCloseCode.TooMany, refused);
          return false;
        }
        state.caller = caller;
        ctx.extra.state = state;
        return true;
      },
      // Everything Apollo does for HTTP before execution: rate, bounded parse,
      // query limits, validation, cost; then the subscription caps. graphql-ws
      // then only executes.
      onSubscribe: async (ctx, id, payload) => {
        const state = ctx.extra.state!;
        const caller = state.caller!;
        const requestId = randomUUID();
        state.requestIds.set(id, requestId);
        const tooFast = await opts.gate.take(caller);
        if (tooFast) return [opts.queryLimits.error(tooFast.message, { code: tooFast.code, ...tooFast.extensions })];
        const checked = opts.queryLimits.checkOperation(payload);
        if (Array.isArray(checked)) return checked;
        const subscription = checked.operation.operation === "subscription";
        const args: ExecutionArgs = {
          schema: opts.schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: opts.gate.context(caller, requestId, {
            long: subscription,
            closeConnection: (code, reason) => state.connection.close(code, reason),
          }),
        };
        if (subscription) {
          const key = sharingKey(args, caller.principal?.role ?? "anonymous");
          if (typeof key !== "string") return [...key];
          const refused = state.connection.subscribe(id, key, checked.cost);
          if (refused) return [opts.queryLimits.error(refused)];
        }
        return args;
      },
      onComplete: (ctx, id) => forget(ctx.extra.state, id),
      onNext: (ctx, id, _payload, args, result) => {
        const state = ctx.extra.state!;
        const socket = ctx.extra.socket as unknown as WebSocket;
        const sequence = resumePoint(result);
        if (sequence !== null) state.sequences.set(id, sequence);
        if (socket.bufferedAmount > opts.maxBufferedBytes) closeSlow(ctx.subscriptions, state, socket.bufferedAmount);
        // A subscription's events were limited one by one (sharedSubscribe); a query is limited here.
        const limited = withinBudget(result, (args.contextValue as Context).budget);
        if (!limited.errors) return limited === result ? undefined : limited;
        const requestId = state.requestIds.get(id);
        return { ...limited, errors: limited.errors.map((e) => mask(e as GraphQLError, requestId, opts.log)) as unknown as GraphQLError[] };
      },
      // An error message ends the operation.
      onError: (ctx, id, _payload, errors) => {
        const requestId = ctx.extra.state?.requestIds.get(id);
        forget(ctx.extra.state, id);
        return errors.map((e) => mask(e, requestId, opts.log)) as unknown as GraphQLError[];
      },
    },
    wss,
  );

  // graphql-ws prints a socket's errors with their stacks, as failures of the
  // server; they are the client's doing (an oversized or malformed frame, a
  // dropped connection), and ws closes the socket with the right code itself.
  wss.on("connection", (socket, request) => {
    socket.removeAllListeners("error");
    socket.on("error", (err: Error & { code?: string }) => opts.log.info(`ws: client ${request.socket.remoteAddress ?? "?"}: ${err.code ?? "error"}: ${err.message}`));
  });

  /**
   * A reader that does not keep up: close with 4503 and the oldest resume
   * point among its subscriptions, and end them now (the close handshake may
   * wait behind the queued bytes), so nothing more is produced for it.
   */
  const closeSlow = (subscriptions: Record<string, unknown>, state: ConnectionState, queued: number) => {
    const after = [...state.sequences.values()].sort((a, b) => Number(a) - Number(b))[0];
    state.connection.close(
      ServerCloseCode.SlowReader,
      `slow reader: over ${opts.maxBufferedBytes} bytes (${queued}) waiting${after !== undefined ? `; resume with after: "${after}"` : "; resume with after"}`,
    );
    for (const sub of Object.values(subscriptions)) void (sub as AsyncGenerator | null)?.return?.(undefined);
  };

  return {
    clients: () => wss.clients.size,
    async dispose() {
      for (const socket of wss.clients) socket.close(ServerCloseCode.GoingAway, "server shutting down");
      await handle.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * Closes with 4429 and reads nothing more of the socket; the close frame
 * still goes out, then the socket is dropped without waiting for the client's
 * answer (ws would keep it for 30 s).
 */
function turnAway(socket: WebSocket, reason: string): void {
  socket.close(ServerCloseCode.TooMany, reason);
  socket.pause();
  setTimeout(() => socket.terminate(), 1000).unref();
}

function forget(state: ConnectionState | undefined, id: string): void {
  state?.connection.unsubscribe(id);
  state?.requestIds.delete(id);
  state?.sequences.delete(id);
}

/** Close reasons are short (123 bytes) and graphql-ws's own say "Unauthorized". */
function reasonOf(message: string): string {
  return message === "this API key has been revoked" ? "API key revoked" : "Unauthorized";
}

function mask(e: GraphQLError, requestId: string | undefined, log: Logger) {
  const formatted = e.toJSON();
  return maskError(formatted, e, requestId, (m) => log.error(`ws: ${m}`));
}

