import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import express from "express";
import type { GraphQLSchema } from "graphql";
import type { Context, Services } from "../graphql/context.js";
import { isDomainError, maskError } from "../graphql/errors.js";
import { queryLimiter } from "../graphql/query-limits.js";
import type { Logger } from "../log.js";
import { createPagesRouter } from "./pages.js";
import { graphqlEndpoint } from "./graphql-endpoint.js";
import { queryLimitsPlugin, sendRefusal } from "./http-guard.js";
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

  const endpoint = graphqlEndpoint({
    apollo,
    services: opts.services,
    keys: opts.services.keys,
    limiter: opts.limiter ?? null,
    publicRead: opts.publicRead ?? true,
    queryLimits,
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
  app.use(createPagesRouter()); // playground (GET /graphql for browsers), dashboard, their assets
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
    // Operations arrive as POST /graphql: straight to the endpoint, past the router.
    if (req.method === "POST" && (req.url === "/graphql" || req.url?.startsWith("/graphql?"))) return endpoint(req, res);
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
