import type { AlertKind } from "./enums.js";

/**
 * Edge-triggered low-stock crossings of docs/design.md, from (available before,
 * available after, threshold before, threshold after). Returns null when no
 * line was crossed, so a run of changes below the threshold alerts once.
 */
export function crossing(before: number, after: number, thresholdBefore: number, thresholdAfter = thresholdBefore): AlertKind | null {
  if (after === 0 && before > 0) return "OUT_OF_STOCK";
  if (after > 0 && after <= thresholdAfter && before > thresholdBefore) return "LOW_STOCK";
  if (after > thresholdAfter && before <= thresholdBefore) return "BACK_IN_STOCK";
  return null;
}
