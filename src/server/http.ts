import type { Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { GraphQLSchema } from "graphql";
import type { Context, Services } from "../graphql/context.js";
import { isDomainError, maskError } from "../graphql/errors.js";
import { queryLimiter } from "../graphql/query-limits.js";
import { createLoaders } from "../graphql/loaders.js";
import type { Logger } from "../log.js";
import { createPagesRouter } from "./pages.js";
import { accessGuard, assignRequestId, emptyBodyUnlessParsed, localsOf, queryLimitsPlugin, queryShapeGuard, sendGraphQLError } from "./http-guard.js";
import type { RateLimiter } from "./rate-limit.js";

export interface HttpOptions {
  schema: GraphQLSchema;
  services: Services;
  server: Server;
  log: Logger;
  /** Readiness: every dependency the service needs answers. */
  ready: () => Promise<Record<string, boolean>>;
  bodyLimit: string;
  /** Anonymous callers may use the PUBLIC operations (default true). */
  publicRead?: boolean;
  /** Per key (per address without one); null or absent: no limit. */
  limiter?: RateLimiter | null;
}

/** Adds the request id to every error, so a client can quote it and an operator can find it in the log. */
function requestIdPlugin(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const e of errors) {
            const code = e.extensions?.code;
            if ((code === undefined || code === "INTERNAL_SERVER_ERROR") && !isDomainError(e.originalError)) {
              log.error(`request ${contextValue.requestId}: ${(e.originalError ?? e).stack ?? e.message}`);
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          response.http.headers.set("x-request-id", contextValue.requestId);
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
  const queryLimits = queryLimiter(opts.schema);
  const apollo = new ApolloServer<Context>({
    schema: opts.schema,
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The composition root owns shutdown (main.ts handles the signals).
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: queryLimits.limits.maxTokens },
    formatError: (formatted, original) => maskError(formatted, original, undefined, () => {}),
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

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // Once shutdown begins, requests arriving on kept-alive connections are
  // turned away (nothing of theirs runs), so in-flight ones can finish and the
  // connections can close.
  let draining = false;
  app.use((_req, res, next) => {
    if (!draining) return next();
    res.set("connection", "close").set("retry-after", "1").status(503);
    res.json({ errors: [{ message: "the server is shutting down; retry on another instance", extensions: { code: "SHUTTING_DOWN" } }] });
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const checks = await opts.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "unavailable", checks });
  });

  app.use(createPagesRouter()); // playground (GET /graphql for browsers), dashboard, their assets

  app.use(
    "/graphql",
    assignRequestId,
    accessGuard({ keys: opts.services.keys, limiter: opts.limiter ?? null, publicRead: opts.publicRead ?? true }),
    express.json({ limit: opts.bodyLimit }),
    emptyBodyUnlessParsed,
    queryShapeGuard(queryLimits),
    expressMiddleware(apollo, {
      context: async ({ res }) =>
        ({
          services: opts.services,
          loaders: createLoaders(opts.services.queries),
          principal: localsOf(res).principal,
          requestId: localsOf(res).requestId,
        }) satisfies Context,
    }),
  );

  // Body parser failures (too large, malformed JSON) answer in GraphQL's shape, never with a stack.
  app.use((err: { status?: number; type?: string; message?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const message =
      err.type === "entity.too.large"
        ? `request body larger than ${opts.bodyLimit}`
        : err.type === "entity.parse.failed"
          ? "request body is not valid JSON"
          : status === 500
            ? "Internal server error"
            : (err.message ?? "bad request");
    if (status === 500) opts.log.error(`request ${localsOf(res).requestId ?? "-"}: http: ${err.message}`);
    sendGraphQLError(res, status, message, status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST");
  });

  return {
    app,
    apollo,
    /** Stops taking requests; in-flight ones finish (then apollo.stop() closes the rest). */
    drain: () => {
      draining = true;
    },
  };
}
