import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { Context } from "../graphql/context.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Refusal } from "./gate.js";

/** Writes a refusal as `{ errors: [...] }` with the request id in its extensions. */
export function sendRefusal(res: ServerResponse, requestId: string | null, r: Refusal): void {
  const body = JSON.stringify({ errors: [{ message: r.message, extensions: { code: r.code, ...r.extensions, ...(requestId ? { requestId } : {}) } }] });
  res.statusCode = r.status;
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

const PLAIN_TOKEN = /^[\w.-]{1,64}$/;

/** The client's X-Request-Id when it is a plain token, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && PLAIN_TOKEN.test(given) ? given : randomUUID();
}

function refusal(error: GraphQLError, requestId: string): GraphQLError {
  Object.assign(error.extensions, { requestId, http: { status: 400 } });
  return error;
}

/**
 * What Apollo must refuse once it knows the operation: a subscription (served
 * over WebSocket and Server-Sent Events, not as one HTTP answer), and a cost
 * over the limit (it needs the variables).
 */
export function queryLimitsPlugin(limiter: QueryLimiter): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return; // Apollo has refused it already
          if (operation.operation === "subscription") {
            throw refusal(
              new GraphQLError("subscriptions are served over WebSocket (graphql-ws) and Server-Sent Events (send Accept: text/event-stream), not as one HTTP answer", {
                extensions: { code: "BAD_REQUEST" },
              }),
              contextValue.requestId,
            );
          }
          const [error] = limiter.cost(document, operation, request.variables).errors;
          if (error) throw refusal(error, contextValue.requestId);
        },
      };
    },
  };
}
