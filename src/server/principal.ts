import { GraphQLError } from "graphql";
import type { ApiKeyService, Authentication } from "../access/api-keys.service.js";

/** The key in `Authorization: Bearer <key>` (HTTP header or WebSocket connectionParams). */
export function bearerOf(header: unknown): string | null {
  if (typeof header !== "string") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export function unauthenticated(reason: "invalid" | "revoked" | "missing"): GraphQLError {
  const message =
    reason === "revoked" ? "this API key has been revoked" : reason === "missing" ? "an API key is required" : "this API key is not valid";
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

/** Authenticates a request's Authorization value: no header is anonymous, a bad one is refused. */
export async function authenticate(keys: ApiKeyService, authorization: unknown): Promise<Authentication | null> {
  if (authorization == null || authorization === "") return null;
  const bearer = bearerOf(authorization);
  if (!bearer) return { ok: false, reason: "invalid" };
  return keys.authenticate(bearer);
}
