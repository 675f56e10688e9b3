import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { GraphQLSchema } from "graphql";
import type { Context, Services } from "../graphql/context.js";
import { maskError } from "../graphql/errors.js";
import { createLoaders } from "../graphql/loaders.js";
import type { Logger } from "../log.js";
import { authenticate, unauthenticated } from "./principal.js";

export interface HttpOptions {
  schema: GraphQLSchema;
  services: Services;
  server: Server;
  log: Logger;
  /** Readiness: every dependency the service needs answers. */
  ready: () => Promise<Record<string, boolean>>;
  bodyLimit: string;
}

/** Adds the request id to every error, so a client can quote it and an operator can find it in the log. */
function requestIdPlugin(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const e of errors) {
            const code = e.extensions?.code;
            if (code === undefined || code === "INTERNAL_SERVER_ERROR") {
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
  const apollo = new ApolloServer<Context>({
    schema: opts.schema,
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The composition root owns shutdown (main.ts handles the signals).
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, original) => maskError(formatted, original, undefined, () => {}),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: opts.server, stopGracePeriodMillis: 5000 }),
      ApolloServerPluginLandingPageDisabled(),
      requestIdPlugin(opts.log),
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

  app.use(
    "/graphql",
    express.json({ limit: opts.bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = (typeof req.headers["x-request-id"] === "string" && /^[\w.-]{1,64}$/.test(req.headers["x-request-id"])
          ? req.headers["x-request-id"]
          : randomUUID());
        const auth = await authenticate(opts.services.keys, req.headers.authorization);
        if (auth && !auth.ok) throw unauthenticated(auth.reason);
        return {
          services: opts.services,
          loaders: createLoaders(opts.services.queries),
          principal: auth?.ok ? auth.actor : null,
          requestId,
        } satisfies Context;
      },
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
    if (status === 500) opts.log.error(`http: ${err.message}`);
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST" } }] });
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
