// The dashboard's model without a browser: levels only move forward, every
// movement counts once, and the resume cursor never skips the seam.
import { describe, expect, it } from "vitest";
import { DashboardState, statusOf } from "../../web/dashboard/state.js";
import type { Movement, Snapshot, StockAlert, StockChange } from "../../web/dashboard/types.js";

const NOW = Date.parse("2026-01-01T12:00:30Z");
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

function movement(sequence: number, type: Movement["type"], secondsAgo = 0, sku = "A"): Movement {
  return { sequence: String(sequence), type, sku, warehouse: "MAIN", onHandDelta: 0, reservedDelta: 1, availableAfter: 0, orderId: null, actor: "t", createdAt: at(secondsAgo) };
}

function change(sequence: number, version: number, reserved: number, type: Movement["type"] = "RESERVE"): StockChange {
  return {
    sequence: String(sequence),
    movement: movement(sequence, type),
    level: { id: "1", onHand: 10, reserved, available: 10 - reserved, lowStockThreshold: 3, version },
  };
}

function snapshot(movements: Movement[], hasNextPage = false): Snapshot {
  return {
    products: {
      nodes: [{ sku: "A", name: "a", levels: [{ id: "1", onHand: 10, reserved: 2, available: 8, lowStockThreshold: 3, version: 5, product: { sku: "A" }, warehouse: { code: "MAIN" } }] }],
      pageInfo: { endCursor: null, hasNextPage: false },
    },
    stockAlerts: { nodes: [] },
    stockMovements: { nodes: movements, pageInfo: { hasNextPage } },
  };
}

function alert(sequence: number, version: number, threshold: number): StockAlert {
  return {
    sequence: String(sequence),
    kind: "LOW_STOCK",
    availableBefore: 8,
    availableAfter: 8,
    threshold,
    at: at(0),
    level: { id: "1", onHand: 10, reserved: 2, available: 8, lowStockThreshold: threshold, version, product: { sku: "A" }, warehouse: { code: "MAIN" } },
  };
}

describe("dashboard state", () => {
  it("resumes from the oldest movement it read, then from the last one streamed", () => {
    const s = new DashboardState();
    s.loadSnapshot(snapshot([movement(12, "RESERVE"), movement(11, "RESERVE"), movement(9, "RECEIVE")]), NOW);
    expect(s.resumeAfter).toBe("9");
    // The replay after 9 brings 10 (committed late, never seen) and 11, 12 again.
    for (const c of [change(10, 4, 1), change(11, 5, 2), change(12, 6, 3), change(13, 7, 4)]) s.applyChange(c);
    expect(s.movements.map((m) => m.sequence)).toEqual(["13", "10", "12", "11", "9"]);
    expect(s.resumeAfter).toBe("13");
    const empty = new DashboardState();
    empty.loadSnapshot(snapshot([]), NOW);
    expect(empty.resumeAfter).toBe("0");
  });

  it("never moves a level backwards, and reports which figures changed", () => {
    const s = new DashboardState();
    s.loadSnapshot(snapshot([]), NOW);
    expect(s.applyChange(change(20, 5, 9)).level).toBeNull(); // same version as the snapshot: already shown
    expect(s.applyChange(change(21, 4, 0)).level).toBeNull(); // older
    const u = s.applyChange(change(22, 6, 3)).level!;
    expect(u.changed).toEqual(["reserved", "available"]);
    expect(s.levels.get("1")).toMatchObject({ reserved: 3, available: 7, version: 6 });
  });

  it("takes a threshold from an alert at the same version (a threshold change is no movement)", () => {
    const s = new DashboardState();
    s.loadSnapshot(snapshot([]), NOW);
    const { added, level } = s.applyAlert(alert(30, 5, 9));
    expect(added).toBe(true);
    expect(level?.changed).toEqual(["threshold"]);
    expect(statusOf(s.levels.get("1")!)).toBe("low");
    expect(s.applyAlert(alert(30, 5, 9)).added).toBe(false);
    expect(s.mergeAlerts([alert(29, 5, 9), alert(31, 5, 9)])).toBe(2);
    expect(s.alerts.map((a) => a.sequence)).toEqual(["31", "30", "29"]);
  });

  it("counts low and out-of-stock levels", () => {
    expect(statusOf({ available: 0, threshold: 0 })).toBe("out");
    expect(statusOf({ available: 3, threshold: 3 })).toBe("low");
    expect(statusOf({ available: 4, threshold: 3 })).toBe("ok");
  });

  it("charts reserves, confirms and expiries per minute, and says where its data starts", () => {
    const s = new DashboardState();
    s.loadSnapshot(snapshot([movement(5, "EXPIRE", 10), movement(4, "CONFIRM", 20), movement(3, "RESERVE", 65), movement(2, "RECEIVE", 70)], true), NOW);
    s.applyChange({ ...change(6, 6, 3), movement: { ...movement(6, "RESERVE"), createdAt: at(0) } });
    const minutes = s.chart(NOW);
    expect(minutes).toHaveLength(30);
    expect(minutes.at(-1)!.counts).toEqual({ RESERVE: 1, CONFIRM: 1, EXPIRE: 1 });
    expect(minutes.at(-2)!.counts).toEqual({ RESERVE: 1, CONFIRM: 0, EXPIRE: 0 });
    expect(s.chartSince).toBe(Date.parse(at(70)));
  });
});
