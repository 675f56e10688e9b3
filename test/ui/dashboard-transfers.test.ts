// The dashboard's transfers panel without a browser: a transfer shows while it
// is on its way, the newer copy wins, and a re-read after a reconnect drops
// what ended meanwhile without undoing live changes.
import { describe, expect, it } from "vitest";
import { TransfersInTransit } from "../../web/dashboard/transfers.js";
import type { Transfer } from "../../web/dashboard/types.js";

function transfer(reference: string, status: Transfer["status"], version: number, received = 0, lost = 0): Transfer {
  return { reference, status, version, from: { code: "MAIN" }, to: { code: "EAST" }, lines: [{ sku: "A", quantity: 5, received, lost }, { sku: "B", quantity: 3, received: 0, lost: 0 }] };
}

describe("transfers in transit", () => {
  it("shows a transfer from shipping until it is received or closed", () => {
    const t = new TransfersInTransit();
    expect(t.apply(transfer("T1", "DRAFT", 1))).toBe(false);
    expect(t.apply(transfer("T1", "IN_TRANSIT", 2))).toBe(true);
    expect(t.rows()).toEqual([{ reference: "T1", from: "MAIN", to: "EAST", status: "IN_TRANSIT", inTransit: 8, shipped: 8 }]);
    expect(t.apply(transfer("T1", "PARTIALLY_RECEIVED", 3, 4))).toBe(true);
    expect(t.rows()).toMatchObject([{ status: "PARTIALLY_RECEIVED", inTransit: 4 }]);
    expect(t.apply(transfer("T1", "RECEIVED", 4, 4, 1))).toBe(true);
    expect(t.rows()).toEqual([]);
  });

  it("ignores a copy older than the one it has", () => {
    const t = new TransfersInTransit();
    t.apply(transfer("T1", "RECEIVED", 4, 5));
    expect(t.apply(transfer("T1", "IN_TRANSIT", 2))).toBe(false);
    expect(t.rows()).toEqual([]);
    t.apply(transfer("T2", "PARTIALLY_RECEIVED", 3, 2));
    expect(t.apply(transfer("T2", "PARTIALLY_RECEIVED", 3, 2))).toBe(false);
    expect(t.rows().map((r) => r.inTransit)).toEqual([6]);
  });

  it("a re-read drops what ended unseen and keeps what changed live since it was sent", () => {
    const t = new TransfersInTransit();
    t.apply(transfer("ENDED", "IN_TRANSIT", 2));
    t.apply(transfer("LIVE", "IN_TRANSIT", 2));
    t.apply(transfer("STAYS", "IN_TRANSIT", 2));
    const marked = t.mark();
    // While the query runs, LIVE is received in part, live; the answer was read before that and after ENDED was closed.
    t.apply(transfer("LIVE", "PARTIALLY_RECEIVED", 3, 1));
    expect(t.replace([transfer("STAYS", "IN_TRANSIT", 2), transfer("NEW", "IN_TRANSIT", 2)], marked)).toBe(true);
    expect(t.rows().map((r) => [r.reference, r.inTransit])).toEqual([
      ["LIVE", 7],
      ["NEW", 8],
      ["STAYS", 8],
    ]);
  });
});
