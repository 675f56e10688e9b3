import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Operations per caller (an API key, or a client address for anonymous
 * callers and bad keys): up to `perMinute` in each minute-long window that
 * starts with a caller's first request. In memory, so per instance: behind a
 * load balancer each instance enforces the limit on its share. Windows expire
 * on their own, so the table never holds more than a minute's callers.
 */
export class RateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perMinute: number) {
    if (!(perMinute > 0)) throw new Error("RateLimiter: perMinute must be positive (use no limiter to turn limiting off)");
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Takes one request from `caller`'s window: 0 when allowed, else the milliseconds until one is. */
  take(caller: string): Promise<number> {
    return this.limiter.consume(caller).then(() => 0, waitOf);
  }

  /** 0 when `caller` has some left in this window, else the milliseconds until it has; takes nothing. */
  async waitOf(caller: string): Promise<number> {
    const res = await this.limiter.get(caller);
    return res !== null && res.consumedPoints >= this.perMinute ? Math.max(1, res.msBeforeNext) : 0;
  }
}

function waitOf(rejection: unknown): number {
  if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
  throw rejection;
}

/** The limiter of a configuration, or null when RATE_LIMIT_PER_MINUTE is 0 (off). */
export function rateLimiterFor(perMinute: number): RateLimiter | null {
  return perMinute > 0 ? new RateLimiter(perMinute) : null;
}

/**
 * Messages per WebSocket: `perSecond` each second, plus as many again once
 * every two seconds for bursts (a client subscribing to a screenful at once).
 */
export class MessageRateLimiter {
  private readonly limiter: BurstyRateLimiter;

  constructor(readonly perSecond: number) {
    this.limiter = new BurstyRateLimiter(
      new RateLimiterMemory({ points: perSecond, duration: 1 }),
      new RateLimiterMemory({ points: perSecond, duration: 2 }),
    );
  }

  /** Resolves true when `socket` may send one more message now. */
  take(socket: string): Promise<boolean> {
    return this.limiter.consume(socket).then(() => true, (rejection) => (waitOf(rejection), false));
  }
}

/** The message of a refusal, the same on every transport. */
export function rateLimitMessage(perMinute: number, retryAfterMs: number): string {
  return `rate limit exceeded: at most ${perMinute} requests a minute per API key (per address without one); retry in ${Math.ceil(retryAfterMs / 1000)} s`;
}
