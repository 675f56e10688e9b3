import { backoffMs, FailureStreak } from "../background.js";
import type { Catalog } from "../stock/catalog.js";
import type { LedgerHub } from "./hub.js";

/**
 * Keeps this instance's catalog in step with levels made anywhere: a level's
 * first movement (version 1: a receipt, return, count, threshold or transfer
 * into a warehouse where the product had no level) on any instance makes
 * the catalog forget that product's sole level (unless it is that very
 * level), so its next reserve is
 * allocated over all its levels. Without this, a level made on another
 * instance would be seen only when the remembered one refused a reserve, or
 * once the memory is old. If the hub's stream ends in error, everything the
 * catalog knew of sole levels is forgotten (events may have been missed) and
 * the stream starts again.
 */
export function syncCatalog(hub: LedgerHub, catalog: Catalog, log: (msg: string) => void): { stop(): Promise<void> } {
  const streak = new FailureStreak("following new levels", log);
  let stopped = false;
  let stream: AsyncIterableIterator<unknown> | null = null;
  let wake: (() => void) | null = null;
  const running = (async () => {
    while (!stopped) {
      const events = hub.subscribe((e) => e.kind === "movement" && e.movement.version === 1);
      stream = events;
      try {
        for await (const e of events) {
          if (e.kind === "movement") catalog.forgetSoleLevel(e.movement.productId, e.movement.levelId);
        }
      } catch (err) {
        if (stopped) break;
        streak.failed(err);
      }
      if (stopped) break;
      // Ended or failed: events may have been missed until the next stream starts.
      catalog.forgetSoleLevels();
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, backoffMs(Math.max(1, streak.count), 100, 5_000)).unref();
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await stream?.return?.();
      await running;
    },
  };
}
