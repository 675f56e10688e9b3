import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import express from "express";
import { type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import type { Context } from "../graphql/context.js";
import { isConnectionError } from "../db/errors.js";
import { isDomainError, maskError, unavailableStatus } from "../graphql/errors.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Logger } from "../log.js";
import { createPagesRouter } from "./pages.js";
import { graphqlEndpoint } from "./graphql-endpoint.js";
import type { OperationGate } from "./gate.js";
import { queryLimitsPlugin, sendRefusal } from "./http-guard.js";
import type { EventStreamHandler } from "./sse.js";
import type { OriginPolicy } from "./transport.js";

export interface HttpOptions {
  schema: GraphQLSchema;
  gate: OperationGate;
  queryLimits: QueryLimiter;
  eventStreams: EventStreamHandler;
  origins: OriginPolicy;
  server: Server;
  log: Logger;
  /** Readiness: every dependency the service needs answers. */
  ready: () => Promise<Record<string, boolean>>;
  bodyLimit: string;
  /** Serve the browser pages' source maps. */
  serveSourceMaps?: boolean;
}

/** An error Apollo raised about the request itself (its HTTP status is 4xx), such as a persisted query whose hash does not match. */
function isRequestError(e: unknown): boolean {
  const status = (e as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}

/** A client's mistake that Apollo reported without a code (it would say INTERNAL_SERVER_ERROR) gets one. */
function formatError(formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
  if ((original as { extensions?: { code?: unknown } } | null)?.extensions?.code === undefined && isRequestError(original)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: "BAD_REQUEST" } };
  }
  return maskError(formatted, original, undefined, () => {});
}

/**
 * Adds the request id to every error, so a client can quote it and an
 * operator can find it in the log; answers one error in place of the partial
 * answer of a query its execution budget stopped.
 */
function requestIdPlugin(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const e of errors) {
            const code = e.extensions?.code;
            if ((code === undefined || code === "INTERNAL_SERVER_ERROR") && !isDomainError(e.originalError) && !isRequestError(e) && !isConnectionError(e.originalError)) {
              log.error(`request ${contextValue.requestId}: ${(e.originalError ?? e).stack ?? e.message}`);
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          response.http.headers.set("x-request-id", contextValue.requestId);
          const stopped = contextValue.budget?.stopped;
          if (stopped && response.body.kind === "single") {
            response.body.singleResult = { errors: [{ message: stopped.message, extensions: { ...stopped.extensions, requestId: contextValue.requestId } }] };
            response.http.status = 400;
            return;
          }
          const unavailable = response.body.kind === "single" ? unavailableStatus(response.body.singleResult.errors) : null;
          if (unavailable) {
            response.http.status = unavailable.status;
            for (const [name, value] of Object.entries(unavailable.headers)) response.http.headers.set(name, value);
          }
          if (response.body.kind === "single") {
            for (const e of response.body.singleResult.errors ?? []) {
              (e as { extensions: Record<string, unknown> }).extensions = { ...e.extensions, requestId: contextValue.requestId };
            }
          }
        },
      };
    },
  };
}

export async function createHttpApp(opts: HttpOptions) {
  const { queryLimits } = opts;
  const apollo = new ApolloServer<Context>({
    schema: opts.schema,
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The composition root owns shutdown (main.ts handles the signals).
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: queryLimits.limits.maxTokens },
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: opts.server, stopGracePeriodMillis: 5000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL answers here; its per-field hook costs on every request.
      ApolloServerPluginCacheControlDisabled(),
      requestIdPlugin(opts.log),
      queryLimitsPlugin(queryLimits),
    ],
  });
  await apollo.start();

  const endpoint = graphqlEndpoint({
    apollo,
    gate: opts.gate,
    queryLimits,
    eventStreams: opts.eventStreams,
    origins: opts.origins,
    bodyLimit: opts.bodyLimit,
    log: opts.log,
  });

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const checks = await opts.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "unavailable", checks });
  });
  app.use(createPagesRouter({ serveSourceMaps: opts.serveSourceMaps ?? false })); // playground (GET /graphql for browsers), dashboard, their assets
  app.use("/graphql", (req, res) => endpoint(req, res));

  // Once shutdown begins, requests arriving on kept-alive connections are
  // turned away (nothing of theirs runs), so in-flight ones can finish and the
  // connections can close.
  let draining = false;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) {
      return sendRefusal(res, null, {
        status: 503,
        message: "the server is shutting down; retry on another instance",
        code: "SHUTTING_DOWN",
        headers: { connection: "close", "retry-after": "1" },
      });
    }
    // Operations arrive as POST /graphql (and CORS preflights as OPTIONS): straight
    // to the endpoint, past the router. A GET may be a browser wanting the playground.
    if ((req.method === "POST" || req.method === "OPTIONS") && (req.url === "/graphql" || req.url?.startsWith("/graphql?"))) return endpoint(req, res);
    app(req, res);
  };

  return {
    /** The server's request listener. */
    listener,
    apollo,
    /** Stops taking requests; in-flight ones finish (then apollo.stop() closes the rest). */
    drain: () => {
      draining = true;
    },
  };
}
