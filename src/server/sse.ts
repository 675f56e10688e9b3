import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExecutionResult, GraphQLError, GraphQLSchema } from "graphql";
import { createHandler, type OperationResult } from "graphql-sse";
import type { Context } from "../graphql/context.js";
import { maskError } from "../graphql/errors.js";
import { withinBudget } from "../graphql/execution-limits.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import { sharingKey } from "../graphql/shared-subscribe.js";
import type { Logger } from "../log.js";
import { type LiveConnection, type LiveConnections, ServerCloseCode } from "./connections.js";
import type { Caller, Refusal } from "./gate.js";
import type { OperationGate } from "./gate.js";
import { resumePoint, type SubscribeFn } from "./transport.js";

/** What one event stream carries along through graphql-sse's callbacks. */
interface Stream {
  caller: Caller;
  requestId: string;
  connection: LiveConnection;
  /** The last `sequence` sent, for the resume point when the stream is cut. */
  sequence: string | null;
}

export interface EventStreamOptions {
  schema: GraphQLSchema;
  gate: OperationGate;
  live: LiveConnections;
  queryLimits: QueryLimiter;
  subscribe: SubscribeFn;
  log: Logger;
  /** Bytes a stream may have waiting to be sent; past it the stream ends with a resume point. */
  maxBufferedBytes: number;
}

export type EventStreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { caller: Caller; requestId: string; body: unknown },
  refuse: (r: Refusal) => void,
) => Promise<void>;

const SUBSCRIPTION_ID = "stream";
/** How long an ended stream may keep its unsent bytes for a reader that never reads them. */
const LINGER_MS = 30_000;

/**
 * GraphQL over Server-Sent Events (graphql-sse, its "distinct connections"
 * mode: one stream per operation), for networks that block WebSockets. The
 * caller was admitted by the gate (key in the Authorization header, one
 * operation of its rate); the same query limits, subscription caps and
 * shared executions apply as over WebSocket. Each stream counts as one
 * connection of its address and key.
 */
export function eventStreams(opts: EventStreamOptions): EventStreamHandler {
  const mask = (e: GraphQLError, requestId: string | undefined) => maskError(e.toJSON(), e, requestId, (m) => opts.log.error(`sse: ${m}`));
  const failed = (errors: readonly GraphQLError[], requestId: string) => ({ data: null, errors: errors.map((e) => mask(e, requestId)) }) as unknown as ExecutionResult;

  const handler = createHandler<IncomingMessage, Stream, Record<PropertyKey, unknown>>({
    schema: opts.schema,
    // No tokens: the "single connection" mode, whose reservations would outlive requests, is off.
    authenticate: () => null,
    // checkOperation (in onSubscribe) has validated the document already.
    validate: () => [],
    subscribe: opts.subscribe as (args: unknown) => OperationResult,
    onSubscribe: (req, params) => {
      const s = req.context;
      const checked = opts.queryLimits.checkOperation(params);
      if (Array.isArray(checked)) return failed(checked, s.requestId);
      const subscription = checked.operation.operation === "subscription";
      const args = {
        schema: opts.schema,
        document: checked.document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: opts.gate.context(s.caller, s.requestId, {
          long: subscription,
          closeConnection: (code, reason) => s.connection.close(code, reason),
        }) as Context & Record<PropertyKey, unknown>,
      };
      if (subscription) {
        const key = sharingKey(args, s.caller.principal?.role ?? "anonymous");
        if (typeof key !== "string") return failed(key, s.requestId);
        const refused = s.connection.subscribe(SUBSCRIPTION_ID, key, checked.cost);
        if (refused) return failed([opts.queryLimits.error(refused)], s.requestId);
      }
      return args;
    },
    onNext: (ctx, req, result) => {
      const s = req.context;
      const r = result as ExecutionResult;
      s.sequence = resumePoint(r) ?? s.sequence;
      const limited = withinBudget(r, (ctx as unknown as Context | undefined)?.budget);
      if (!limited.errors) return limited === r ? undefined : limited;
      return { ...limited, errors: limited.errors.map((e) => ("toJSON" in e ? mask(e as GraphQLError, s.requestId) : e)) } as unknown as ExecutionResult;
    },
    onComplete: (_ctx, req) => req.context.connection.unsubscribe(SUBSCRIPTION_ID),
  });

  return async (req, res, { caller, requestId, body }, refuse) => {
    let stream: AsyncGenerator<string> | null = null;
    let closedWith: { code: number; reason: string } | null = null;
    const connection = opts.live.connect(req.socket.remoteAddress, (code, reason) => {
      closedWith = { code, reason };
      void stream?.return(undefined);
    });
    if (typeof connection === "string") return refuse({ status: 429, message: connection, code: "RATE_LIMITED" });
    const refused = connection.identify(caller);
    if (refused) {
      connection.dispose();
      return refuse({ status: 429, message: refused, code: "RATE_LIMITED" });
    }
    res.once("close", () => {
      void stream?.return(undefined);
      connection.dispose();
    });

    const context: Stream = { caller, requestId, connection, sequence: null };
    const [answer, init] = await handler({
      method: req.method!,
      url: req.url!,
      // graphql-sse wants exactly this Accept for a stream; the endpoint has negotiated it already.
      headers: { get: (name) => (name === "accept" ? "text/event-stream" : headerOf(req, name)) },
      body: req.method === "POST" ? (body as Record<string, unknown>) : null,
      raw: req,
      context,
    });
    res.writeHead(init.status, { ...init.headers, "x-accel-buffering": "no" });
    if (answer === null || typeof answer === "string") {
      connection.dispose();
      return void res.end(answer ?? undefined);
    }
    stream = answer;
    // Written as they come, never awaited: what the client has not read yet
    // waits in the response's buffer, where its size can be seen and bounded.
    for await (const chunk of answer) {
      if (res.destroyed) break;
      res.write(chunk);
      if (res.writableLength > opts.maxBufferedBytes) {
        closedWith = {
          code: ServerCloseCode.SlowReader,
          reason: `slow reader: over ${opts.maxBufferedBytes} bytes waiting; resume with after${context.sequence !== null ? `: "${context.sequence}"` : ""}`,
        };
        break;
      }
    }
    if (closedWith !== null && !res.destroyed) res.write(finalEvent(closedWith, context.sequence));
    void answer.return(undefined);
    res.end();
    if (!res.writableFinished) setTimeout(() => res.destroy(), LINGER_MS).unref();
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Why the server ended a stream, as a last `next` event with an error (an event stream has no close code), then `complete`. */
function finalEvent(closed: { code: number; reason: string }, sequence: string | null): string {
  const code = closed.code === ServerCloseCode.SlowReader ? "SLOW_READER" : closed.code === ServerCloseCode.Unauthorized ? "UNAUTHENTICATED" : "CLOSED";
  const error = { message: closed.reason, extensions: { code, closeCode: closed.code, ...(sequence !== null ? { resumeAfter: sequence } : {}) } };
  return `event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\nevent: complete\ndata: \n\n`;
}
