/**
 * Token buckets, one per caller (an API key, or an address for anonymous
 * callers): each holds up to `perMinute` requests and refills continuously at
 * `perMinute` a minute. In memory, so per instance: behind a load balancer each
 * instance enforces the limit on its share.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxCallers = 100_000,
  ) {
    if (!(perMinute > 0)) throw new Error("RateLimiter: perMinute must be positive (use no limiter to turn limiting off)");
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from `caller`'s bucket: 0 when allowed, else the milliseconds until one is. */
  take(caller: string): number {
    const now = this.now();
    const b = this.buckets.get(caller);
    if (!b) {
      if (this.buckets.size >= this.maxCallers) this.prune(now);
      this.buckets.set(caller, { tokens: this.perMinute - 1, at: now });
      return 0;
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.perMs);
  }

  /** Forgets callers whose bucket has refilled (they are as good as new); if that is not enough, everyone. */
  private prune(now: number): void {
    for (const [caller, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(caller);
    }
    if (this.buckets.size >= this.maxCallers) this.buckets.clear();
  }
}

/** The limiter of a configuration, or null when RATE_LIMIT_PER_MINUTE is 0 (off). */
export function rateLimiterFor(perMinute: number): RateLimiter | null {
  return perMinute > 0 ? new RateLimiter(perMinute) : null;
}

/** The message of a refusal, the same on HTTP and WebSocket. */
export function rateLimitMessage(perMinute: number, retryAfterMs: number): string {
  return `rate limit exceeded: at most ${perMinute} requests a minute per API key (per address without one); retry in ${Math.ceil(retryAfterMs / 1000)} s`;
}
