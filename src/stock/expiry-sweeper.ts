import { repeatEvery } from "../background.js";
import type { Idempotency } from "./idempotency.js";
import type { LotService } from "./lot.service.js";
import type { ReservationService } from "./reservation.service.js";
import { type Actor, DEFAULT_CHANNEL } from "./types.js";

/** The server itself (expiry); its movements name the channel of the order they belong to. */
export const SYSTEM: Actor = { name: "system", role: "ADMIN", channel: DEFAULT_CHANNEL };

/**
 * Expires overdue reservations every `intervalMs`. Safe on any number of
 * instances: each batch skips reservations another sweeper holds. While the
 * database is unavailable it tries less and less often (up to every 30 s).
 */
export function startExpirySweeper(
  reservations: ReservationService,
  intervalMs: number,
  log: (msg: string) => void,
  idempotency?: Idempotency,
  lots?: LotService,
) {
  let prunedAt = 0;
  return repeatEvery(
    "expiry sweep",
    intervalMs,
    async () => {
      const n = await reservations.expireOverdue(SYSTEM);
      if (n > 0) log(`expired ${n} unpaid reservation(s)`);
      if (lots) {
        const swept = await lots.sweep(SYSTEM);
        if (swept.expired > 0) log(`${swept.expired} lot(s) passed their sell-by date`);
      }
      // Idempotency keys past their day, once a minute at most.
      if (idempotency && Date.now() - prunedAt > 60_000) {
        prunedAt = Date.now();
        await idempotency.prune();
      }
    },
    log,
  );
}
