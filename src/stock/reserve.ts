import type { CommitWith, Tx } from "../db/client.js";
import { claimReservation, linesOf, reservationByOrder, type ReservationRow } from "../db/reservation.queries.js";
import type { Ledger } from "./ledger.js";
import { applyOutflow, readSources, sameRequest } from "./outflow.js";
import { StockRefusal } from "./stock.errors.js";
import type { LotIntent } from "./lot-plan.js";
import type { Actor, Change, Place, RequestLine, ResolvedReserve } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

// The reserve transaction, shared by ReservationService (one request) and
// the coalescer's batches (which fall back to it request by request).

/**
 * One request in one transaction, all lines or none. The orderId is claimed
 * first, so a concurrent duplicate waits on the unique key and then finds
 * this reservation instead of touching a level itself. Lines that name no
 * warehouse are allocated (outflow.ts), read in the same round trip as the claim.
 */
export function reserveAlone(uow: UnitOfWork, ledger: Ledger, req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
  return uow.run((tx, commit) => reserveIn(tx, commit, ledger, req, actor));
}

async function reserveIn(tx: Tx, commit: CommitWith, ledger: Ledger, req: ResolvedReserve, actor: Actor): Promise<ReservationRow> {
  const sources = readSources(tx, req);
  const claimed = await claimReservation(tx, req, req.ttlSeconds, actor.name);
  if (!claimed) {
    await sources.catch(() => {});
    return sameAsBefore(tx, req);
  }
  await applyOutflow(tx, ledger, req, (line, place, q) => reserveChange(line, place, place.levelId, q, req.orderId, claimed.id), { actor, commit }, sources);
  return claimed;
}

/** The orderId is taken: the same lines return that reservation, other lines are a DUPLICATE. */
export async function sameAsBefore(tx: Tx, req: ResolvedReserve): Promise<ReservationRow> {
  const existing = (await reservationByOrder(tx, req))!;
  if (!sameRequest(req.lines, await linesOf(tx, [existing.id]))) {
    throw new StockRefusal("DUPLICATE", `order "${req.orderId}" already has a reservation with other lines`);
  }
  return existing;
}

/**
 * Holding `quantity` of a level for a reservation: guarded by available; the
 * ledger writes the line (and, for a lot-tracked product, picks the lots FEFO).
 */
export function reserveChange(line: RequestLine, place: Place, levelId: number, quantity: number, orderId: string, reservationId?: number): Change {
  return {
    ...place,
    levelId,
    type: "RESERVE",
    onHandDelta: 0,
    reservedDelta: quantity,
    requested: quantity,
    minAvailable: quantity,
    orderId,
    reservationId,
    lots: pickIntent(line),
  };
}

/** How a line's stock leaves: for a lot-tracked product, first-expiry-first-out with the line's shelf life. */
export function pickIntent(line: RequestLine): LotIntent | undefined {
  return line.tracksLots ? { kind: "pick", minShelfLifeDays: line.minShelfLifeDays ?? null } : undefined;
}
