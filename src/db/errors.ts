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
