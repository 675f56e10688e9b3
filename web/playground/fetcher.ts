// How the playground talks to the service: queries and mutations over HTTP
// POST, subscriptions over graphql-ws on the same URL. The key comes from the
// headers editor: `Authorization` for HTTP, `connectionParams.authorization`
// for the WebSocket.
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { createClient } from "graphql-ws";
import { KEY_PLACEHOLDER } from "./examples.js";

/**
 * The Authorization value of a headers object, or null when there is none
 * worth sending: missing, empty, or still the placeholder. An unfilled
 * placeholder is sent as no key at all, so the schema docs load for an
 * anonymous visitor instead of failing with "invalid key".
 */
export function authorizationOf(headers: Record<string, unknown> | undefined): string | null {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== "authorization" || typeof value !== "string") continue;
    const v = value.trim();
    if (v === "" || /^bearer$/i.test(v) || v.includes(KEY_PLACEHOLDER)) return null;
    return v;
  }
  return null;
}

/** The Authorization value in the text of the headers editor (which may be half-typed JSON). */
export function authorizationInText(text: string): string | null {
  try {
    return authorizationOf(JSON.parse(text) as Record<string, unknown>);
  } catch {
    return null;
  }
}

/** One fetcher (and one lazy WebSocket client) per key, so changing the key in the editor takes effect at once. */
export function playgroundFetcher(httpUrl: string, wsUrl: string): Fetcher {
  const byKey = new Map<string, Fetcher>();
  return (params, opts) => {
    const authorization = authorizationOf(opts?.headers);
    const headers = Object.fromEntries(Object.entries(opts?.headers ?? {}).filter(([name]) => name.toLowerCase() !== "authorization"));
    if (authorization) headers.authorization = authorization;
    let fetcher = byKey.get(authorization ?? "");
    if (!fetcher) {
      fetcher = createGraphiQLFetcher({
        url: httpUrl,
        enableIncrementalDelivery: false,
        wsClient: createClient({
          url: wsUrl,
          connectionParams: authorization ? { authorization } : {},
          retryAttempts: 3,
        }),
      });
      byKey.set(authorization ?? "", fetcher);
    }
    return fetcher(params, { ...opts, headers });
  };
}
