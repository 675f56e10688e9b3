/**
 * Background work (the relay, the hub's catch-up, the expiry sweeper, the
 * revocation check) must outlive an outage of what it depends on: it logs
 * what went wrong, waits, and tries again. It never lets an error reach the
 * process, which would end it.
 */

/** Tells an outage in two lines (its first failure, and the recovery), not one per try. */
export class FailureStreak {
  private failures = 0;
  private lastMessage = "";

  constructor(
    private readonly what: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Failures in a row so far. */
  get count(): number {
    return this.failures;
  }

  /** Logs the first failure of a streak, and any failure that differs from the one before. */
  failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.failures++ === 0 || message !== this.lastMessage) this.log(`${this.what} failed: ${message} (retrying)`);
    this.lastMessage = message;
  }

  succeeded(): void {
    if (this.failures > 0) this.log(`${this.what} works again, after ${this.failures} failed tr${this.failures === 1 ? "y" : "ies"}`);
    this.failures = 0;
    this.lastMessage = "";
  }
}

/** The wait before retry number `failures` (from 1): doubling from `baseMs`, at most `maxMs`. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), maxMs);
}

export interface Repeating {
  /** Runs the task as soon as the one running (if any) ends, instead of waiting for its turn. */
  now(): void;
  /** No more runs; resolves once the running one (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `everyMs`, never two at once, until stop(). After a
 * failure the next run waits longer, doubling up to `maxBackoffMs`; failures
 * are logged as a streak (see FailureStreak).
 */
export function repeatEvery(what: string, everyMs: number, task: () => Promise<void>, log: (msg: string) => void, maxBackoffMs = 30_000): Repeating {
  const streak = new FailureStreak(what, log);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    timer = null;
    if (running || stopped) return;
    running = (async () => {
      try {
        await task();
        streak.succeeded();
      } catch (err) {
        streak.failed(err);
      }
    })().finally(() => {
      running = null;
      const wait = streak.count > 0 ? backoffMs(streak.count + 1, everyMs, Math.max(everyMs, maxBackoffMs)) : everyMs;
      if (again && streak.count === 0) {
        again = false;
        schedule(0);
      } else {
        schedule(wait);
      }
    });
  };
  schedule(everyMs);
  return {
    now() {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
