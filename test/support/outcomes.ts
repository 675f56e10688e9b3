// How concurrent operations ended, and a seeded generator for randomized mixes:
// shared by the concurrency test files.
import { type StockErrorCode, StockRefusal } from "../../src/stock/stock.errors.js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: StockErrorCode } | { ok: false; error: unknown };

/** Runs one operation and says how it ended; never throws. */
export async function attempt<T>(op: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await op() };
  } catch (e) {
    if (e instanceof StockRefusal) return { ok: false, code: e.code };
    return { ok: false, error: e };
  }
}

/** Everything that ended in something other than success or a StockRefusal, as readable text. */
export function unexpected(outcomes: readonly Outcome<unknown>[]): string[] {
  return outcomes.flatMap((o) => ("error" in o ? [String((o.error as Error)?.stack ?? o.error)] : []));
}

export function codes(outcomes: readonly Outcome<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.ok ? "ok" : "code" in o ? o.code : "error";
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** A small seeded generator, so a failing interleaving of inputs can be reproduced. */
export function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = int(0, i);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  return { next, int, shuffle, pick: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]! };
}
