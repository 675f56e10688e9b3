// Transfers on their way, apart from the DOM (tests use it in Node). A
// transfer shows from when it ships until it is received or closed; of two
// copies of one transfer (the start query, a live change) the higher version wins.
import type { Transfer } from "./types.js";

const ON_THE_WAY: ReadonlySet<Transfer["status"]> = new Set(["IN_TRANSIT", "PARTIALLY_RECEIVED"]);

export interface TransferRow {
  reference: string;
  from: string;
  to: string;
  status: Transfer["status"];
  /** Units shipped and neither received nor lost yet. */
  inTransit: number;
  /** Units shipped. */
  shipped: number;
}

export class TransfersInTransit {
  private readonly versions = new Map<string, number>();
  private readonly open = new Map<string, TransferRow>();

  /** Applies a copy of a transfer; returns whether what is shown changed. */
  apply(t: Transfer): boolean {
    if ((this.versions.get(t.reference) ?? 0) >= t.version) return false;
    this.versions.set(t.reference, t.version);
    if (!ON_THE_WAY.has(t.status)) return this.open.delete(t.reference);
    const shipped = t.lines.reduce((n, l) => n + l.quantity, 0);
    const inTransit = t.lines.reduce((n, l) => n + l.quantity - l.received - l.lost, 0);
    this.open.set(t.reference, { reference: t.reference, from: t.from.code, to: t.to.code, status: t.status, inTransit, shipped });
    return true;
  }

  /** The versions known now: give them to `replace` with the answer of a query sent now. */
  mark(): ReadonlyMap<string, number> {
    return new Map(this.versions);
  }

  /**
   * The answer of a query of all transfers on their way, sent at `marked`:
   * applies them, and drops the shown ones it does not list and no live
   * change touched since (they ended while nobody was listening). Returns
   * whether what is shown changed.
   */
  replace(listed: readonly Transfer[], marked: ReadonlyMap<string, number>): boolean {
    let changed = false;
    for (const t of listed) changed = this.apply(t) || changed;
    const seen = new Set(listed.map((t) => t.reference));
    for (const reference of [...this.open.keys()]) {
      if (seen.has(reference) || this.versions.get(reference) !== marked.get(reference)) continue;
      changed = this.open.delete(reference) || changed;
    }
    return changed;
  }

  /** By reference. */
  rows(): TransferRow[] {
    return [...this.open.values()].sort((a, b) => a.reference.localeCompare(b.reference));
  }
}
