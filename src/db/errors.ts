/** The SQLSTATE of a database error, whichever driver raised it and however drizzle wrapped it. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export const SQLSTATE = {
  uniqueViolation: "23505",
  checkViolation: "23514",
  numericOutOfRange: "22003",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
} as const;

/**
 * The database could not be reached, or the connection a statement ran on
 * went away: the statement did not run, or (a COMMIT in flight) its outcome
 * is unknown. Retrying later is the answer, idempotently.
 */
export class ConnectionLost extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}

/** postgres.js's own codes for a connection that closed, ended or never opened, and the socket errors of one. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that is going away or not taking connections yet:
 * admin_shutdown (a fast shutdown or pg_terminate_backend), crash_shutdown,
 * cannot_connect_now (starting up, shutting down, in recovery),
 * too_many_connections; and class 08, connection exceptions.
 */
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** Whether `err` (or what it wraps) says the database is unreachable rather than that the statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e instanceof ConnectionLost) return true;
    if (typeof e.code === "string" && (CONNECTION_CODES.has(e.code) || UNAVAILABLE_STATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** A statement issued on a pipelined transaction after its COMMIT. */
export class StatementAfterCommit extends Error {}
