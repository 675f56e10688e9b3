// Allocation across warehouses (src/stock/allocation.ts): every strategy and
// split policy on small fixtures with known answers, no database.
import { describe, expect, it } from "vitest";
import { allocate, type AllocationPolicy, distanceKm, type Source, type Want } from "../../src/stock/allocation.js";

// Three warehouses: A (priority 1, Shanghai), B (priority 2, Beijing), C (priority 3, Guangzhou).
const SHANGHAI = { latitude: 31.2304, longitude: 121.4737 };
const BEIJING = { latitude: 39.9042, longitude: 116.4074 };
const GUANGZHOU = { latitude: 23.1291, longitude: 113.2644 };
const HANGZHOU = { latitude: 30.2741, longitude: 120.1551 }; // near Shanghai
const SHENZHEN = { latitude: 22.5431, longitude: 114.0579 }; // near Guangzhou

const W = {
  A: { warehouseId: 1, warehouseCode: "A", priority: 1, location: SHANGHAI },
  B: { warehouseId: 2, warehouseCode: "B", priority: 2, location: BEIJING },
  C: { warehouseId: 3, warehouseCode: "C", priority: 3, location: GUANGZHOU },
  D: { warehouseId: 4, warehouseCode: "D", priority: 0, location: null },
};
let levelSeq = 100;
const src = (w: keyof typeof W, available: number): Source => ({ ...W[w], levelId: levelSeq++, available });
const stock = (...pairs: Array<[number, Source[]]>) => new Map(pairs);
const want = (index: number, productId: number, quantity: number): Want => ({ index, productId, quantity });
const policy = (strategy: AllocationPolicy["strategy"], split: AllocationPolicy["split"], shipTo?: typeof SHANGHAI): AllocationPolicy => ({ strategy, split, shipTo });

/** The allocation as "line:warehouse=quantity" strings, in order. */
function taken(a: ReturnType<typeof allocate>) {
  return a.parts.map((p) => `${p.index}:${p.source.warehouseCode}=${p.quantity}`);
}

describe("allocate", () => {
  it("MINIMIZE: 10 wanted, 6 in one warehouse and 7 in another: 6 + 4; from one when one has 10", () => {
    const split = stock([1, [src("A", 6), src("B", 7)]]);
    expect(taken(allocate([want(0, 1, 10)], split, policy("PRIORITY", "MINIMIZE")))).toEqual(["0:A=6", "0:B=4"]);
    const one = stock([1, [src("A", 6), src("B", 7), src("C", 10)]]);
    expect(taken(allocate([want(0, 1, 10)], one, policy("PRIORITY", "MINIMIZE")))).toEqual(["0:C=10"]);
  });

  it("PRIORITY × NEVER, MINIMIZE, ALLOW", () => {
    const s = stock([1, [src("A", 3), src("B", 5), src("C", 8)]], [2, [src("A", 4), src("C", 1)]]);
    const lines = [want(0, 1, 5), want(1, 2, 1)];
    // NEVER: one warehouse for both lines, the first by priority that can: A lacks product 1 (3 < 5), B lacks product 2, C has both.
    expect(taken(allocate(lines, s, policy("PRIORITY", "NEVER")))).toEqual(["0:C=5", "1:C=1"]);
    // MINIMIZE: no single... C serves both: one warehouse is fewest.
    expect(taken(allocate(lines, s, policy("PRIORITY", "MINIMIZE")))).toEqual(["0:C=5", "1:C=1"]);
    // ALLOW: each line from the first that has stock, split where it runs short.
    expect(taken(allocate(lines, s, policy("PRIORITY", "ALLOW")))).toEqual(["0:A=3", "0:B=2", "1:A=1"]);
  });

  it("MOST_AVAILABLE × NEVER, MINIMIZE, ALLOW", () => {
    const s = stock([1, [src("A", 3), src("B", 9), src("C", 6)]], [2, [src("A", 9), src("C", 2)]]);
    const lines = [want(0, 1, 7), want(1, 2, 2)];
    // NEVER: only C... B lacks product 2, A lacks product 1 (3 < 7), C has 6 < 7: nobody can serve both.
    const never = allocate(lines, s, policy("MOST_AVAILABLE", "NEVER"));
    expect(never.parts).toEqual([]);
    expect(never.short.map((x) => x.index)).toEqual([0]);
    // MINIMIZE: two warehouses at least; among pairs, the most stocked first: A (12 in all) and B (9).
    expect(taken(allocate(lines, s, policy("MOST_AVAILABLE", "MINIMIZE")))).toEqual(["0:B=7", "1:A=2"]);
    // ALLOW: per line, the warehouse with most of that product first.
    expect(taken(allocate(lines, s, policy("MOST_AVAILABLE", "ALLOW")))).toEqual(["0:B=7", "1:A=2"]);
    expect(taken(allocate([want(0, 1, 12)], s, policy("MOST_AVAILABLE", "ALLOW")))).toEqual(["0:B=9", "0:C=3"]);
  });

  it("NEAREST × NEVER, MINIMIZE, ALLOW, with two ship-to points; warehouses without a location last", () => {
    const s = stock([1, [src("A", 5), src("B", 5), src("C", 5), src("D", 5)]]);
    expect(taken(allocate([want(0, 1, 4)], s, policy("NEAREST", "NEVER", HANGZHOU)))).toEqual(["0:A=4"]);
    expect(taken(allocate([want(0, 1, 4)], s, policy("NEAREST", "NEVER", SHENZHEN)))).toEqual(["0:C=4"]);
    expect(taken(allocate([want(0, 1, 8)], s, policy("NEAREST", "ALLOW", SHENZHEN)))).toEqual(["0:C=5", "0:A=3"]);
    // From Hangzhou: Shanghai (~165 km), then Guangzhou (~1,050 km), then Beijing (~1,120 km).
    expect(taken(allocate([want(0, 1, 8)], s, policy("NEAREST", "MINIMIZE", HANGZHOU)))).toEqual(["0:A=5", "0:C=3"]);
    // D has no location: last, even though its priority is the best.
    expect(taken(allocate([want(0, 1, 18)], s, policy("NEAREST", "ALLOW", HANGZHOU)))).toEqual(["0:A=5", "0:C=5", "0:B=5", "0:D=3"]);
  });

  it("MINIMIZE breaks ties between sets of the same size by the strategy's order", () => {
    // Any two of A, B, C can serve 8; PRIORITY picks {A, B}, NEAREST to Shenzhen {C, A}.
    const s = stock([1, [src("A", 4), src("B", 4), src("C", 4)]]);
    expect(taken(allocate([want(0, 1, 8)], s, policy("PRIORITY", "MINIMIZE")))).toEqual(["0:A=4", "0:B=4"]);
    expect(taken(allocate([want(0, 1, 8)], s, policy("NEAREST", "MINIMIZE", SHENZHEN)))).toEqual(["0:C=4", "0:A=4"]);
  });

  it("MINIMIZE finds the fewest warehouses for several lines, not the greedy first", () => {
    // PRIORITY-greedy would take A (product 1) then need B and C for product 2; {B, C}... but C alone has both.
    const s = stock([1, [src("A", 5), src("C", 5)]], [2, [src("B", 5), src("C", 5)]]);
    expect(taken(allocate([want(0, 1, 5), want(1, 2, 5)], s, policy("PRIORITY", "MINIMIZE")))).toEqual(["0:C=5", "1:C=5"]);
  });

  it("says which lines fall short and how much the policy could give them", () => {
    const s = stock([1, [src("A", 2), src("B", 3)]], [2, [src("A", 9)]]);
    const r = allocate([want(0, 1, 6), want(1, 2, 1)], s, policy("PRIORITY", "ALLOW"));
    expect(r.parts).toEqual([]);
    expect(r.short).toEqual([{ index: 0, available: 5 }]);
    const none = allocate([want(0, 3, 1)], s, policy("PRIORITY", "MINIMIZE"));
    expect(none.short).toEqual([{ index: 0, available: 0 }]);
  });

  it("measures great-circle distance", () => {
    expect(distanceKm(SHANGHAI, BEIJING)).toBeGreaterThan(1050);
    expect(distanceKm(SHANGHAI, BEIJING)).toBeLessThan(1090);
    expect(distanceKm(SHANGHAI, SHANGHAI)).toBe(0);
  });
});
