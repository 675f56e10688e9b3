import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApolloServer, HeaderMap } from "@apollo/server";
import bodyParser from "body-parser";
import cors from "cors";
import Negotiator from "negotiator";
import type { Context } from "../graphql/context.js";
import { unavailableRefusal } from "../graphql/errors.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Logger } from "../log.js";
import { isRefusal, type OperationGate, type Refusal } from "./gate.js";
import { requestIdOf, sendRefusal } from "./http-guard.js";
import type { EventStreamHandler } from "./sse.js";
import type { OriginPolicy } from "./transport.js";

export interface GraphQLEndpointOptions {
  apollo: ApolloServer<Context>;
  gate: OperationGate;
  queryLimits: QueryLimiter;
  eventStreams: EventStreamHandler;
  origins: OriginPolicy;
  bodyLimit: string;
  log: Logger;
}

type BodyError = { status?: number; type?: string; message?: string; code?: string };

const EVENT_STREAM = "text/event-stream";
/** What this endpoint can answer, most preferred first when a client has no preference. */
const SERVED = ["application/graphql-response+json", "application/json", EVENT_STREAM];
type AnswerKind = "json" | "stream" | null;
const kinds = new Map<string, AnswerKind>();

/**
 * What the client accepts, decided before anything runs: Apollo's answers
 * (JSON), an event stream (graphql-sse), or nothing we can serve (406).
 * Apollo itself only finds out after executing, which would apply a mutation
 * and then refuse to say so.
 */
function answerKind(accept: string | undefined): AnswerKind {
  if (accept === undefined || accept === "" || accept === "*/*") return "json";
  // Clients send one of a few Accept headers, over and over: each is parsed once.
  let kind = kinds.get(accept);
  if (kind === undefined) {
    const type = new Negotiator({ headers: { accept } }).mediaType(SERVED);
    kind = type === undefined ? null : type === EVENT_STREAM ? "stream" : "json";
    if (kinds.size >= 1000) kinds.clear();
    kinds.set(accept, kind);
  }
  return kind;
}

/** Headers of every API answer: never cached, never sniffed as something else. */
function apiHeaders(res: ServerResponse): void {
  res.setHeader("cache-control", "no-store");
  res.setHeader("x-content-type-options", "nosniff");
}

/**
 * The /graphql endpoint on plain node:http, as Apollo's own standalone server
 * does it (body-parser, then executeHTTPGraphQLRequest): every request takes
 * this path, so it skips a web framework's router and response helpers. In
 * order: request id, CORS, what the client accepts, the operation gate (key,
 * rate), the body, the query's shape, then Apollo (JSON) or graphql-sse
 * (an event stream).
 */
export function graphqlEndpoint(opts: GraphQLEndpointOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const json = bodyParser.json({ limit: opts.bodyLimit });
  const readJson = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<BodyError | null>((resolve) => json(req, res, (err?: unknown) => resolve((err as BodyError | undefined) ?? null)));
  // Bearer keys only, never cookies: a page of an allowed origin reads answers, nothing more.
  const corsFor = cors((req, callback) =>
    callback(null, {
      origin: opts.origins.allows(req.headers.origin, req.headers.host),
      methods: ["GET", "POST"],
      allowedHeaders: ["authorization", "content-type", "accept", "x-request-id", "apollo-require-preflight", "x-apollo-operation-name", "apollographql-client-name", "apollographql-client-version"],
      exposedHeaders: ["x-request-id", "retry-after"],
      maxAge: 600,
    }),
  );
  const withCors = (req: IncomingMessage, res: ServerResponse) => new Promise<void>((resolve, reject) => corsFor(req as never, res as never, (err?: unknown) => (err ? reject(err) : resolve())));

  /** A body that could not be read: the client's fault (4xx), or the client gone (nothing to answer). */
  const bodyRefusal = (err: BodyError, requestId: string): Refusal | null => {
    if (err.type === "request.aborted" || err.code === "ECONNRESET" || err.code === "ECONNABORTED") {
      opts.log.debug(`request ${requestId}: the client went away while sending its body`);
      return null;
    }
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) opts.log.error(`request ${requestId}: http: ${err.message}`);
    const message =
      err.type === "entity.too.large"
        ? `request body larger than ${opts.bodyLimit}`
        : err.type === "entity.parse.failed"
          ? "request body is not valid JSON"
          : status === 500
            ? "Internal server error"
            : (err.message ?? "bad request");
    return { status, message, code: status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST" };
  };

  const handle = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse, requestId: string): Promise<void> => {
    apiHeaders(res);
    if (req.headers.origin !== undefined) {
      await withCors(req, res);
      if (res.writableEnded) return; // a preflight, answered
    }
    if (req.method !== "GET" && req.method !== "POST") {
      return sendRefusal(res, requestId, { status: 405, message: "GraphQL takes GET (queries) and POST", code: "BAD_REQUEST", headers: { allow: "GET, POST" } });
    }
    const kind = answerKind(req.headers.accept);
    if (kind === null) {
      return sendRefusal(res, requestId, {
        status: 406,
        message: `cannot answer in any type this request accepts; accept ${SERVED.join(", ")}`,
        code: "BAD_REQUEST",
      });
    }

    const caller = await opts.gate.admit(req.headers.authorization, req.socket.remoteAddress);
    if (isRefusal(caller)) return sendRefusal(res, requestId, caller);

    const queryIndex = req.url?.indexOf("?") ?? -1;
    const search = queryIndex >= 0 ? req.url!.slice(queryIndex) : "";
    if (req.method === "POST") {
      const err = await readJson(req, res);
      if (err) {
        const refusal = bodyRefusal(err, requestId);
        return refusal ? sendRefusal(res, requestId, refusal) : void res.destroy();
      }
    }
    // Without a JSON body (a GET, or another content type) Apollo answers: CSRF
    // prevention refuses text/plain and forms, other types get "POST body missing".
    const body = "body" in req ? req.body : undefined;
    const query = req.method === "GET" ? new URLSearchParams(search).get("query") : (body as { query?: unknown } | undefined)?.query;
    if (typeof query === "string") {
      const [error] = opts.queryLimits.shapeErrorsOfText(query);
      if (error) return sendRefusal(res, requestId, { status: 400, message: error.message, code: "BAD_USER_INPUT", extensions: error.extensions });
    }

    if (kind === "stream") return opts.eventStreams(req, res, { caller, requestId, body }, (r) => sendRefusal(res, requestId, r));

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    // Apollo's CSRF prevention refuses a GET without a header only scripts can
    // set, because a cookie would ride along with a cross-site GET. Keys here are
    // bearer tokens, never cookies: a cross-site GET is anonymous and may only
    // read (Apollo refuses mutations over GET). So GET queries are served as
    // they come, as clients such as urql send them.
    if (req.method === "GET") headers.set("apollo-require-preflight", "get");
    const response = await opts.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search, body },
      context: async () => opts.gate.context(caller, requestId),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader("x-request-id", requestId);
    handle(req, res, requestId).catch((err: Error) => {
      if (req.destroyed && res.destroyed) {
        opts.log.debug(`request ${requestId}: the client went away: ${err.message}`);
        return;
      }
      // The key lookup before GraphQL runs may find the database unavailable.
      const unavailable = unavailableRefusal(err);
      if (!unavailable) opts.log.error(`request ${requestId}: http: ${err.stack ?? err.message}`);
      if (res.headersSent) return void res.destroy();
      sendRefusal(res, requestId, unavailable ?? { status: 500, message: "Internal server error", code: "INTERNAL_SERVER_ERROR" });
    });
  };
}
