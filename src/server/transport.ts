import type { ExecutionArgs, ExecutionResult } from "graphql";

/** What graphql-ws and graphql-sse call to start a subscription (sharedSubscribe's). */
export type SubscribeFn = (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;

/**
 * Which browser pages may call: the service's own (the playground, the
 * dashboard) and the origins configured. A request without an Origin header
 * does not come from a browser page, and carries no credentials a page could
 * borrow (keys are bearer tokens, never cookies).
 */
export class OriginPolicy {
  private readonly any: boolean;
  private readonly allowed: Set<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes("*");
    this.allowed = new Set(origins.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  }

  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.any || this.allowed.has(origin.toLowerCase())) return true;
    try {
      return host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      return false; // "null" (a sandboxed frame, a file) or garbage
    }
  }
}

/** The `sequence` of a subscription event's result (its root field's), where a reconnecting client resumes. */
export function resumePoint(result: ExecutionResult): string | null {
  const data = result.data;
  if (!data) return null;
  for (const value of Object.values(data)) {
    const sequence = (value as { sequence?: unknown } | null)?.sequence;
    if (typeof sequence === "string") return sequence;
  }
  return null;
}
