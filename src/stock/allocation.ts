import type { AllocationStrategy, SplitPolicy } from "./enums.js";

/**
 * Which warehouses serve the lines of a request that name none: a pure
 * function of the lines, the stock each warehouse has of each product now,
 * and the policy. The guarded updates then decide (stock may have gone
 * meanwhile: the caller allocates again, see reserve.ts).
 *
 * Strategies order the warehouses: PRIORITY (ascending priority, then code),
 * MOST_AVAILABLE (most available of the product first), NEAREST (great-circle
 * distance from shipTo; warehouses without a location last, by priority).
 * Split policies:
 * - NEVER: every line of the request from one warehouse (the first in the
 *   strategy's order that can serve them all);
 * - MINIMIZE: as few warehouses as possible for the whole request, ties by the
 *   strategy's order (Shopify: "fewest shipments, then closest"); within the
 *   chosen warehouses each line takes from them in the strategy's order;
 * - ALLOW: each line from the strategy's first warehouse that has stock,
 *   split where one runs short.
 * If the request as a whole cannot be served under the policy, `short` names
 * every line that falls short, with what the policy could give it.
 */

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface AllocationPolicy {
  strategy: AllocationStrategy;
  split: SplitPolicy;
  shipTo?: GeoPoint | null;
}

export const DEFAULT_POLICY: AllocationPolicy = { strategy: "PRIORITY", split: "MINIMIZE" };

/** One warehouse's stock of one product. */
export interface Source {
  levelId: number;
  warehouseId: number;
  warehouseCode: string;
  priority: number;
  location: GeoPoint | null;
  available: number;
}

/** A line to allocate: `index` is the caller's, echoed in the parts. */
export interface Want {
  index: number;
  productId: number;
  quantity: number;
}

export interface Part {
  index: number;
  source: Source;
  quantity: number;
}

export interface Allocation {
  parts: Part[];
  /** Lines the policy cannot serve, with what it could give each; empty when the request can be served. */
  short: Array<{ index: number; available: number }>;
}

/** Exact search for the fewest warehouses stops after this many candidate sets (then it goes greedy). */
const MAX_SETS = 20_000;

export function allocate(wants: readonly Want[], sources: ReadonlyMap<number, readonly Source[]>, policy: AllocationPolicy): Allocation {
  if (wants.length === 0) return { parts: [], short: [] };
  const warehouses = warehouseOrder(sources, policy);
  const of = (w: Want) => sources.get(w.productId) ?? [];
  switch (policy.split) {
    case "ALLOW":
      return takeInOrder(wants, (w) => ordered(of(w), policy));
    case "NEVER":
      return fromOne(wants, warehouses, of);
    case "MINIMIZE":
      return fewest(wants, warehouses, of, policy);
  }
}

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Sources in the strategy's order (for MOST_AVAILABLE: of this product). */
function ordered(list: readonly Source[], policy: AllocationPolicy): Source[] {
  return [...list].sort((a, b) => compare(a, b, policy, a.available, b.available));
}

/**
 * Two warehouses in the strategy's order. `availableA/B` is what each has of
 * what is asked (for MOST_AVAILABLE; a product, or the whole request).
 */
function compare(a: Pick<Source, "priority" | "warehouseCode" | "location">, b: typeof a, policy: AllocationPolicy, availableA: number, availableB: number): number {
  const byPriority = a.priority - b.priority || (a.warehouseCode < b.warehouseCode ? -1 : a.warehouseCode > b.warehouseCode ? 1 : 0);
  if (policy.strategy === "MOST_AVAILABLE") return availableB - availableA || byPriority;
  if (policy.strategy === "NEAREST" && policy.shipTo) {
    const da = a.location ? distanceKm(policy.shipTo, a.location) : Infinity;
    const db = b.location ? distanceKm(policy.shipTo, b.location) : Infinity;
    if (da !== db) return da < db ? -1 : 1;
  }
  return byPriority;
}

interface Warehouse {
  warehouseId: number;
  warehouseCode: string;
  priority: number;
  location: GeoPoint | null;
  /** Available of every product asked, summed (MOST_AVAILABLE over a whole request). */
  total: number;
}

/** Every warehouse holding any of the products, in the strategy's order for the whole request. */
function warehouseOrder(sources: ReadonlyMap<number, readonly Source[]>, policy: AllocationPolicy): Warehouse[] {
  const byId = new Map<number, Warehouse>();
  for (const list of sources.values()) {
    for (const s of list) {
      const w = byId.get(s.warehouseId);
      if (w) w.total += s.available;
      else byId.set(s.warehouseId, { warehouseId: s.warehouseId, warehouseCode: s.warehouseCode, priority: s.priority, location: s.location, total: s.available });
    }
  }
  return [...byId.values()].sort((a, b) => compare(a, b, policy, a.total, b.total));
}

/** Each line walks its sources in order, taking what each has until it is covered. */
function takeInOrder(wants: readonly Want[], sourcesOf: (w: Want) => readonly Source[]): Allocation {
  const parts: Part[] = [];
  const short: Allocation["short"] = [];
  // Two lines of one product draw on the same stock.
  const left = new Map<number, number>();
  for (const w of wants) {
    let need = w.quantity;
    let could = 0;
    const mine: Part[] = [];
    for (const s of sourcesOf(w)) {
      const has = left.get(s.levelId) ?? s.available;
      could += Math.max(0, has);
      if (need === 0 || has <= 0) continue;
      const q = Math.min(need, has);
      mine.push({ index: w.index, source: s, quantity: q });
      left.set(s.levelId, has - q);
      need -= q;
    }
    if (need > 0) short.push({ index: w.index, available: could });
    parts.push(...mine);
  }
  return short.length > 0 ? { parts: [], short } : { parts, short };
}

/**
 * NEVER: the first warehouse (in order) that covers every line. Else the
 * lines short in the one that covers most, each with the most any one
 * warehouse has of it (what NEVER could give that line alone).
 */
function fromOne(wants: readonly Want[], warehouses: readonly Warehouse[], of: (w: Want) => readonly Source[]): Allocation {
  let best: { allocation: Allocation; covered: number } | null = null;
  for (const wh of warehouses) {
    const allocation = takeInOrder(wants, (w) => of(w).filter((s) => s.warehouseId === wh.warehouseId));
    if (allocation.short.length === 0) return allocation;
    const covered = wants.length - allocation.short.length;
    if (!best || covered > best.covered) best = { allocation, covered };
  }
  const most = (index: number) => Math.max(0, ...of(wants.find((w) => w.index === index)!).map((s) => s.available));
  const short = best?.allocation.short ?? wants.map((w) => ({ index: w.index, available: 0 }));
  return { parts: [], short: short.map((s) => ({ index: s.index, available: most(s.index) })) };
}

/**
 * MINIMIZE: the smallest set of warehouses that covers the request (sets of
 * one, then two, …, each size tried in the strategy's order), exactly while
 * the number of sets stays small, then greedily (the warehouse that covers
 * most of what is left, ties by order).
 */
function fewest(wants: readonly Want[], warehouses: readonly Warehouse[], of: (w: Want) => readonly Source[], policy: AllocationPolicy): Allocation {
  const within = (ids: ReadonlySet<number>) => takeInOrder(wants, (w) => ordered(of(w).filter((s) => ids.has(s.warehouseId)), policy));
  // Whether a set can cover the request at all: the same sums takeInOrder will take.
  const covers = (ids: readonly number[]) => {
    const set = new Set(ids);
    return within(set).short.length === 0;
  };
  const n = warehouses.length;
  let tried = 0;
  for (let k = 1; k <= n; k++) {
    let found: number[] | null = null;
    const pick: number[] = [];
    const search = (from: number): boolean => {
      if (pick.length === k) {
        tried++;
        if (covers(pick.map((i) => warehouses[i]!.warehouseId))) {
          found = [...pick];
          return true;
        }
        return false;
      }
      for (let i = from; i <= n - (k - pick.length); i++) {
        if (tried > MAX_SETS) return false;
        pick.push(i);
        if (search(i + 1)) return true;
        pick.pop();
      }
      return false;
    };
    if (search(0)) return within(new Set(found!.map((i) => warehouses[i]!.warehouseId)));
    if (tried > MAX_SETS) break;
  }
  // Greedy: add the warehouse that covers most of what is still missing.
  const chosen = new Set<number>();
  const coverage = (ids: ReadonlySet<number>) =>
    wants.reduce((sum, w) => sum + Math.min(w.quantity, of(w).reduce((s, x) => s + (ids.has(x.warehouseId) ? Math.max(0, x.available) : 0), 0)), 0);
  for (;;) {
    const current = within(chosen);
    if (current.short.length === 0) return current;
    const now = coverage(chosen);
    let best: { id: number; gain: number } | null = null;
    for (const wh of warehouses) {
      if (chosen.has(wh.warehouseId)) continue;
      const gain = coverage(new Set([...chosen, wh.warehouseId])) - now;
      if (gain > 0 && (!best || gain > best.gain)) best = { id: wh.warehouseId, gain };
    }
    if (!best) return within(new Set(warehouses.map((w) => w.warehouseId)));
    chosen.add(best.id);
  }
}
