import type { GraphQLFormattedError } from "graphql";
import { isConnectionError } from "../db/errors.js";
import { InputRejected, NotPermitted, StockRefusal } from "../stock/stock.errors.js";
import type { StockError } from "./types/common.types.js";
import type { StockErrorCode } from "./types/enums.js";

export function toStockError(r: StockRefusal): StockError {
  return { code: r.code as StockErrorCode, message: r.message, ...r.details };
}

/**
 * Runs a mutation's service call. A business refusal becomes the payload's
 * `errors` (the service rolled everything back); anything else propagates.
 */
export async function payload<T extends object, E extends object>(work: () => Promise<T>, empty: E): Promise<(T | E) & { errors: StockError[] }> {
  try {
    return { ...(await work()), errors: [] };
  } catch (err) {
    if (err instanceof StockRefusal) return { ...empty, errors: [err, ...err.others].map(toStockError) };
    throw err;
  }
}

/**
 * The one place domain errors become GraphQL errors (maskError calls it for
 * every error a resolver or subscription throws): a malformed input is
 * BAD_USER_INPUT; a refusal outside a payload (a query naming an unknown sku)
 * carries its StockErrorCode.
 */
export function isDomainError(err: unknown): boolean {
  return err instanceof InputRejected || err instanceof StockRefusal || err instanceof NotPermitted;
}

function asDomainError(err: unknown): { message: string; extensions: Record<string, unknown> } | null {
  if (err instanceof InputRejected) return { message: err.message, extensions: { code: "BAD_USER_INPUT", field: err.field } };
  if (err instanceof StockRefusal) return { message: err.message, extensions: { code: err.code, ...err.details } };
  if (err instanceof NotPermitted) return { message: err.message, extensions: { code: "FORBIDDEN" } };
  return null;
}

/**
 * What a caller is told while the database is unavailable, over HTTP (503
 * with Retry-After), in GraphQL errors and over WebSocket. The request may or
 * may not have taken effect (a COMMIT can be lost on its way back), so the
 * answer is to retry it as it was: a reserve or deduct with the same orderId,
 * a confirm or release of the same order, changes nothing twice.
 */
export const UNAVAILABLE = {
  code: "SERVICE_UNAVAILABLE",
  message: "the stock database is unavailable; retry in a moment (retrying with the same orderId is safe)",
  retryAfterSeconds: 1,
} as const;

const UNAVAILABLE_HTTP = { status: 503, headers: { "retry-after": String(UNAVAILABLE.retryAfterSeconds) } } as const;

/**
 * The HTTP status of a GraphQL response whose only errors are UNAVAILABLE
 * (503, with Retry-After): nothing else went wrong, and retrying is the whole
 * answer. Null for any other response.
 */
export function unavailableStatus(errors: readonly GraphQLFormattedError[] | undefined): typeof UNAVAILABLE_HTTP | null {
  if (!errors?.length || !errors.every((e) => e.extensions?.code === UNAVAILABLE.code)) return null;
  return UNAVAILABLE_HTTP;
}

/** The answer to a request that failed before GraphQL ran because the database is unavailable; null for any other failure. */
export function unavailableRefusal(err: unknown) {
  if (!isConnectionError(err)) return null;
  return { ...UNAVAILABLE_HTTP, message: UNAVAILABLE.message, code: UNAVAILABLE.code, extensions: { retryAfterSeconds: UNAVAILABLE.retryAfterSeconds } };
}

const MAX_MESSAGE = 1000;

/**
 * GraphQL's messages quote the offending value: a megabyte of input must not
 * come back (twice) in the answer. Runs of 200+ non-blank characters (longer
 * than any valid sku or orderId in quotes) are cut to their start.
 */
function clip(message: string): string {
  const short = message.replace(/\S{200,}/g, (s) => `${s.slice(0, 60)}…`);
  return short.length <= MAX_MESSAGE ? short : `${short.slice(0, MAX_MESSAGE)}…`;
}

/**
 * Masks anything that is not a deliberate client-facing error: no stack, SQL
 * or internal message leaves the server; the request id ties the answer to the log.
 * A database that cannot be reached is UNAVAILABLE, not an internal error.
 */
export function maskError(formatted: GraphQLFormattedError, original: unknown, requestId: string | undefined, log: (msg: string) => void): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? "");
  // Errors raised on purpose carry a code (BAD_USER_INPUT, FORBIDDEN, a StockErrorCode...).
  if (code !== "" && code !== "INTERNAL_SERVER_ERROR") {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message: clip(formatted.message), extensions: { ...extensions, requestId } };
  }
  // Duck-typed: the error may come from another copy of graphql (see query-limits.ts).
  const cause = (original as { originalError?: unknown } | null)?.originalError ?? original;
  // A domain error that escaped the resolver middleware (a subscription's
  // subscribe function runs outside it) reads as it would have there.
  const domain = asDomainError(cause);
  if (domain) {
    return { message: clip(domain.message), locations: formatted.locations, path: formatted.path, extensions: { ...domain.extensions, requestId } };
  }
  if (isConnectionError(cause)) {
    return {
      message: UNAVAILABLE.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: UNAVAILABLE.code, retryAfterSeconds: UNAVAILABLE.retryAfterSeconds, requestId },
    };
  }
  log(`request ${requestId ?? "-"}: ${(cause as Error)?.stack ?? String(cause)}`);
  return {
    message: requestId ? `Internal server error (request ${requestId})` : "Internal server error (see extensions.requestId)",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
  };
}
