import type { Executor, Tx } from "../db/client.js";
import { type SourceRow, sourcesOf } from "../db/stock.queries.js";
import { allocate, type AllocationPolicy, type Source } from "./allocation.js";
import type { Applied, Ledger, WriteOptions } from "./ledger.js";
import * as limit from "./limits.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Change, Place, RequestLine } from "./types.js";

// Stock leaving through reserve and deduct (and, read only, checkStock):
// lines naming a warehouse are taken from it, the others are allocated
// (allocation.ts), and the ledger's guarded writes decide.

/** Allocating again after a guard found the stock gone (a concurrent order won it), at most this often. */
const ALLOCATION_TRIES = 5;

/** What one part of a line becomes: the ledger change that takes `quantity` from `place`. */
export type ChangeOf = (line: RequestLine, place: Place & { levelId: number }, quantity: number) => Change;

export interface Outflow {
  lines: readonly RequestLine[];
  policy: AllocationPolicy;
}

/** Whether any line is left for the service to choose. */
export const hasOpenLines = (out: Outflow) => out.lines.some((l) => l.place === null);

/** The products of the lines left for the service to choose. */
export const openProducts = (out: Outflow): number[] => [...new Set(out.lines.filter((l) => l.place === null).map((l) => l.productId))];

/** The sources allocation needs (none when every line names its warehouse). */
export function readSources(ex: Executor, out: Outflow): Promise<SourceRow[]> {
  const products = openProducts(out);
  return products.length === 0 ? Promise.resolve([]) : sourcesOf(ex, products);
}

export interface PlannedPart {
  line: RequestLine;
  place: Place & { levelId: number | null };
  quantity: number;
}

export interface Plan {
  parts: PlannedPart[];
  /** Open lines the policy cannot serve, with what it could give each (then `parts` holds only the named lines). */
  short: Array<{ line: RequestLine; available: number }>;
}

/**
 * The parts of every line: named lines as they are, open lines allocated over
 * `sources` (less what named lines of the request take from the same levels).
 */
export function plan(out: Outflow, sources: readonly SourceRow[]): Plan {
  const parts: PlannedPart[] = [];
  const takenByNamed = new Map<number, number>();
  for (const line of out.lines) {
    if (!line.place) continue;
    parts.push({ line, place: line.place, quantity: line.quantity });
    if (line.place.levelId !== null) takenByNamed.set(line.place.levelId, (takenByNamed.get(line.place.levelId) ?? 0) + line.quantity);
  }
  const open = out.lines.map((line, index) => ({ line, index })).filter((x) => x.line.place === null);
  if (open.length === 0) return { parts, short: [] };
  const byProduct = new Map<number, Source[]>();
  for (const s of sources) {
    const list = byProduct.get(s.productId) ?? [];
    list.push({
      levelId: s.levelId,
      warehouseId: s.warehouseId,
      warehouseCode: s.warehouseCode,
      priority: s.priority,
      location: s.latitude !== null && s.longitude !== null ? { latitude: s.latitude, longitude: s.longitude } : null,
      available: s.available - (takenByNamed.get(s.levelId) ?? 0),
    });
    byProduct.set(s.productId, list);
  }
  const result = allocate(
    open.map(({ line, index }) => ({ index, productId: line.productId, quantity: line.quantity })),
    byProduct,
    out.policy,
  );
  const short = result.short.map(({ index, available }) => ({ line: out.lines[index]!, available: Math.max(0, available) }));
  for (const p of result.parts) {
    const line = out.lines[p.index]!;
    // A line naming a warehouse and one allocated there are one change of the level: the guard sees their sum.
    const same = parts.find((x) => x.line.productId === line.productId && x.place.levelId === p.source.levelId);
    if (same) {
      same.quantity = limit.quantity(same.quantity + p.quantity, `items (sum of lines of ${line.sku})`);
      continue;
    }
    parts.push({
      line,
      place: { productId: line.productId, sku: line.sku, warehouseId: p.source.warehouseId, warehouseCode: p.source.warehouseCode, levelId: p.source.levelId },
      quantity: p.quantity,
    });
  }
  return { parts, short };
}

/**
 * Plans the outflow and applies it through the ledger, all or nothing. When a
 * guard says no while the request had lines to allocate, stock went
 * meanwhile: the sources are read again and the request allocated again (the
 * refused write changed nothing and holds its levels' locks), a bounded
 * number of times, so no order is refused while another warehouse could
 * still serve it under its policy. `sources` may already be on its way.
 */
export async function applyOutflow(
  tx: Tx,
  ledger: Ledger,
  out: Outflow,
  changeOf: ChangeOf,
  opts: WriteOptions,
  sources: Promise<readonly SourceRow[]> | readonly SourceRow[] = readSources(tx, out),
): Promise<Applied> {
  const open = hasOpenLines(out);
  let current = await sources;
  for (let attempt = 1; ; attempt++) {
    const planned = plan(out, current);
    if (planned.short.length > 0) {
      const [first, ...others] = planned.short.map(({ line, available }) => refuse.unallocated(line.sku, line.quantity, available, out.policy));
      throw first!.with(others);
    }
    const changes = planned.parts.map(({ line, place, quantity }) => {
      if (place.levelId === null) throw refuse.insufficient(place.sku, place.warehouseCode, quantity, 0);
      return changeOf(line, { ...place, levelId: place.levelId }, quantity);
    });
    try {
      return await ledger.apply(tx, changes, opts);
    } catch (err) {
      if (!open || attempt >= ALLOCATION_TRIES || !(err instanceof StockRefusal) || err.code !== "INSUFFICIENT_STOCK") throw err;
      current = await readSources(tx, out);
    }
  }
}

/**
 * Whether what an orderId already took (per product, the warehouses and
 * quantities) is what this request asks: the same products and quantities,
 * and every warehouse a line names holding at least what it asks there.
 * A repeat of an orderId must ask the same to get the first answer.
 */
export function sameRequest(lines: readonly RequestLine[], taken: ReadonlyArray<{ productId: number; warehouseId: number; quantity: number }>): boolean {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const products = new Set([...lines.map((l) => l.productId), ...taken.map((t) => t.productId)]);
  for (const p of products) {
    const asked = lines.filter((l) => l.productId === p);
    const had = taken.filter((t) => t.productId === p);
    if (sum(asked.map((l) => l.quantity)) !== sum(had.map((t) => t.quantity))) return false;
    for (const l of asked) {
      if (!l.place || l.place.chosen) continue;
      const there = sum(had.filter((t) => t.warehouseId === l.place!.warehouseId).map((t) => t.quantity));
      if (there < l.quantity) return false;
    }
  }
  return true;
}
