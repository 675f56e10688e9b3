// What the dashboard knows, apart from the DOM: levels, feeds, per-minute
// counts and where the live stream resumes. No DOM here (tests use it in Node).
import type { LevelFields, Movement, MovementType, Snapshot, StockAlert, StockChange } from "./types.js";

export const FEED_LENGTH = 50;
export const CHART_MINUTES = 30;
export const CHART_TYPES = ["RESERVE", "CONFIRM", "EXPIRE"] as const satisfies readonly MovementType[];
export type ChartType = (typeof CHART_TYPES)[number];

export interface LevelRow {
  id: string;
  sku: string;
  warehouse: string;
  onHand: number;
  reserved: number;
  available: number;
  threshold: number;
  version: number;
}

export type Figure = "onHand" | "reserved" | "available" | "threshold";
export type LevelStatus = "ok" | "low" | "out";

/** Out of stock: nothing available. Low: some, but no more than the threshold. */
export function statusOf(row: Pick<LevelRow, "available" | "threshold">): LevelStatus {
  if (row.available <= 0) return "out";
  return row.available <= row.threshold ? "low" : "ok";
}

export interface LevelUpdate {
  row: LevelRow;
  isNew: boolean;
  changed: Figure[];
}

const MINUTE = 60_000;

export class DashboardState {
  readonly levels = new Map<string, LevelRow>();
  /** Newest first, at most FEED_LENGTH. */
  movements: Movement[] = [];
  /** Newest first, at most FEED_LENGTH. */
  alerts: StockAlert[] = [];
  /** Before this time (ms) the chart has no data: the start snapshot did not reach back that far. */
  chartSince: number | null = null;
  private perMinute = new Map<number, Record<ChartType, number>>();
  /** Sequences read by the start query; the stream replays them once more and they are skipped. */
  private seeded = new Set<number>();
  private streamedUpTo = 0;
  private resumeFrom = 0;

  /**
   * The `after` to subscribe (or resubscribe) with: the last sequence the
   * stream delivered, or else the oldest movement of the start snapshot. Not
   * the newest: "newest first" may show a row whose lower neighbour commits a
   * moment later, and resuming from the oldest re-reads the seam instead of
   * skipping it (the duplicates are dropped by sequence).
   */
  get resumeAfter(): string {
    return String(Math.max(this.streamedUpTo, this.resumeFrom));
  }

  loadSnapshot(s: Snapshot, now: number): void {
    this.addProducts(s.products.nodes);
    const recent = s.stockMovements.nodes;
    this.movements = recent.slice(0, FEED_LENGTH);
    for (const m of recent) {
      this.seeded.add(Number(m.sequence));
      this.count(m);
    }
    const oldest = recent.at(-1);
    this.resumeFrom = oldest ? Number(oldest.sequence) : 0;
    if (s.stockMovements.pageInfo.hasNextPage && oldest) {
      const since = Date.parse(oldest.createdAt);
      if (since > now - CHART_MINUTES * MINUTE) this.chartSince = since;
    }
    this.mergeAlerts(s.stockAlerts.nodes);
  }

  addProducts(products: Snapshot["products"]["nodes"]): LevelUpdate[] {
    const updates: LevelUpdate[] = [];
    for (const p of products) {
      for (const l of p.levels) {
        const u = this.applyLevel(l, p.sku, l.warehouse.code, true);
        if (u) updates.push(u);
      }
    }
    return updates;
  }

  /** A live change: the level (if newer than what is shown) and, once per sequence, the feed and the chart. */
  applyChange(c: StockChange): { level: LevelUpdate | null; movement: boolean } {
    const seq = Number(c.sequence);
    const duplicate = this.seeded.has(seq) || seq <= this.streamedUpTo;
    this.streamedUpTo = Math.max(this.streamedUpTo, seq);
    const level = this.applyLevel(c.level, c.movement.sku, c.movement.warehouse, false);
    if (duplicate) return { level, movement: false };
    this.movements.unshift(c.movement);
    if (this.movements.length > FEED_LENGTH) this.movements.length = FEED_LENGTH;
    this.count(c.movement);
    return { level, movement: true };
  }

  /** A live or re-read alert; returns whether it is new to the feed. Its level may carry a new threshold. */
  applyAlert(a: StockAlert): { added: boolean; level: LevelUpdate | null } {
    const level = this.applyLevel(a.level, a.level.product.sku, a.level.warehouse.code, true);
    return { added: this.mergeAlerts([a]) > 0, level };
  }

  /** Adds alerts not seen yet, keeping the feed newest first; returns how many were added. */
  mergeAlerts(alerts: StockAlert[]): number {
    let added = 0;
    for (const a of alerts) {
      const seq = Number(a.sequence);
      if (this.alerts.some((x) => x.sequence === a.sequence)) continue;
      const oldest = this.alerts.at(-1);
      if (this.alerts.length >= FEED_LENGTH && oldest && seq < Number(oldest.sequence)) continue;
      const at = this.alerts.findIndex((x) => Number(x.sequence) < seq);
      this.alerts.splice(at === -1 ? this.alerts.length : at, 0, a);
      if (this.alerts.length > FEED_LENGTH) this.alerts.length = FEED_LENGTH;
      added++;
    }
    return added;
  }

  counts(): { levels: number; low: number; out: number } {
    let low = 0;
    let out = 0;
    for (const row of this.levels.values()) {
      const s = statusOf(row);
      if (s === "low") low++;
      else if (s === "out") out++;
    }
    return { levels: this.levels.size, low, out };
  }

  /** One entry per minute of the last CHART_MINUTES, oldest first, ending with the current minute. */
  chart(now: number): Array<{ minute: number; counts: Record<ChartType, number> }> {
    const current = Math.floor(now / MINUTE);
    for (const m of this.perMinute.keys()) if (m <= current - CHART_MINUTES) this.perMinute.delete(m);
    const out = [];
    for (let m = current - CHART_MINUTES + 1; m <= current; m++) {
      out.push({ minute: m * MINUTE, counts: this.perMinute.get(m) ?? { RESERVE: 0, CONFIRM: 0, EXPIRE: 0 } });
    }
    return out;
  }

  /**
   * Levels only move forward: a snapshot older than what is shown (a replayed
   * change, a late query answer) is ignored. `sameVersion` lets an alert's
   * snapshot through at an equal version: a threshold change crosses without
   * a movement, so it does not bump the version.
   */
  private applyLevel(l: LevelFields, sku: string, warehouse: string, sameVersion: boolean): LevelUpdate | null {
    const row = this.levels.get(l.id);
    const next: LevelRow = {
      id: l.id,
      sku,
      warehouse,
      onHand: l.onHand,
      reserved: l.reserved,
      available: l.available,
      threshold: l.lowStockThreshold,
      version: l.version,
    };
    if (!row) {
      this.levels.set(l.id, next);
      return { row: next, isNew: true, changed: [] };
    }
    if (l.version < row.version || (l.version === row.version && !sameVersion)) return null;
    const changed = (["onHand", "reserved", "available", "threshold"] as const).filter((f) => row[f] !== next[f]);
    Object.assign(row, next);
    return changed.length > 0 ? { row, isNew: false, changed } : null;
  }

  private count(m: Movement): void {
    if (!(CHART_TYPES as readonly string[]).includes(m.type)) return;
    const minute = Math.floor(Date.parse(m.createdAt) / MINUTE);
    const bucket = this.perMinute.get(minute) ?? { RESERVE: 0, CONFIRM: 0, EXPIRE: 0 };
    bucket[m.type as ChartType]++;
    this.perMinute.set(minute, bucket);
  }
}
