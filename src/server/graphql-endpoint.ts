import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApolloServer, HeaderMap } from "@apollo/server";
import bodyParser from "body-parser";
import type { Context, Services } from "../graphql/context.js";
import { createLoaders } from "../graphql/loaders.js";
import type { QueryLimiter } from "../graphql/query-limits.js";
import type { Logger } from "../log.js";
import { type AccessGuardOptions, admit, type Refusal, requestIdOf, sendRefusal, shapeRefusal } from "./http-guard.js";

export interface GraphQLEndpointOptions extends AccessGuardOptions {
  apollo: ApolloServer<Context>;
  services: Services;
  queryLimits: QueryLimiter;
  bodyLimit: string;
  log: Logger;
}

type BodyError = { status?: number; type?: string; message?: string };

/**
 * The /graphql endpoint on plain node:http, as Apollo's own standalone server
 * does it (body-parser, then executeHTTPGraphQLRequest): every request takes
 * this path, so it skips a web framework's router and response helpers. In
 * order: request id, access (key, rate), JSON body, query shape, then Apollo.
 */
export function graphqlEndpoint(opts: GraphQLEndpointOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const json = bodyParser.json({ limit: opts.bodyLimit });
  const readJson = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<BodyError | null>((resolve) => json(req, res, (err?: unknown) => resolve((err as BodyError | undefined) ?? null)));

  const bodyRefusal = (err: BodyError, requestId: string): Refusal => {
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
    const access = await admit(opts, req);
    if ("refusal" in access) return sendRefusal(res, requestId, access.refusal);

    const queryIndex = req.url?.indexOf("?") ?? -1;
    const search = queryIndex >= 0 ? req.url!.slice(queryIndex) : "";
    if (req.method === "POST") {
      const err = await readJson(req, res);
      if (err) return sendRefusal(res, requestId, bodyRefusal(err, requestId));
    }
    // Without a JSON body (a GET, or another content type) Apollo answers: CSRF
    // prevention refuses text/plain and forms, other types get "POST body missing".
    const body = "body" in req ? req.body : undefined;
    const query = req.method === "GET" ? new URLSearchParams(search).get("query") : (body as { query?: unknown } | undefined)?.query;
    const shape = shapeRefusal(opts.queryLimits, query);
    if (shape) return sendRefusal(res, requestId, shape);

    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const response = await opts.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method!.toUpperCase(), headers, search, body },
      context: async () => ({
        services: opts.services,
        loaders: createLoaders(opts.services.queries),
        principal: access.actor,
        requestId,
      }),
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
      opts.log.error(`request ${requestId}: http: ${err.stack ?? err.message}`);
      if (res.headersSent) return void res.destroy();
      sendRefusal(res, requestId, { status: 500, message: "Internal server error", code: "INTERNAL_SERVER_ERROR" });
    });
  };
}
