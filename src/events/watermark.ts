/**
 * The commit-safe watermark of the ledger.
 *
 * Ledger ids come from one sequence in insert order, and transactions commit
 * in another order: id 41 can become visible after id 42. Handing out 42 as a
 * cursor before 41 commits would make a resuming reader skip 41 forever.
 *
 * A probe reads the sequence's last value S, and only then takes a fresh
 * transaction id Y. Every writer holding an id <= S took it after its own
 * first write (each transaction updates a level before it appends to the
 * ledger), so its transaction id is below Y. Once a later snapshot shows no
 * transaction below Y still running, every id <= S is settled (committed or
 * rolled back for good) and S can be handed out.
 *
 * (A snapshot alone cannot tell: its xmax is the latest *completed* id + 1,
 * and transactions at or above xmax are running without being listed.)
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  running: Set<bigint>;
}

export function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, xip = ""] = text.split(":");
  return {
    xmin: BigInt(xmin!),
    xmax: BigInt(xmax!),
    running: new Set(xip === "" ? [] : xip.split(",").map((x) => BigInt(x))),
  };
}

/** Whether every transaction with an id below `y` has ended, as of `snap`. */
export function allEndedBelow(y: bigint, snap: Snapshot): boolean {
  if (snap.xmax < y) return false;
  for (const x of snap.running) if (x < y) return false;
  return true;
}

export class Watermark {
  private probes: { upTo: number; below: bigint }[] = [];
  private settled: number;

  constructor(start: number) {
    this.settled = start;
  }

  get value(): number {
    return this.settled;
  }

  /** Whether a probe is still waiting for transactions to end. */
  get pending(): boolean {
    return this.probes.length > 0;
  }

  /** Ids up to here are settled or waited for by a probe: a probe is needed only beyond. */
  get probedUpTo(): number {
    return this.probes.reduce((most, p) => Math.max(most, p.upTo), this.settled);
  }

  /** Whether ids up to `lastValue` are neither settled nor waited for yet. */
  needsProbe(lastValue: number): boolean {
    return lastValue > this.probedUpTo;
  }

  /** Records a probe: `lastValue` was read before transaction id `y` was taken. */
  probe(lastValue: number, y: bigint): void {
    if (this.needsProbe(lastValue)) this.probes.push({ upTo: lastValue, below: y });
  }

  /** Settles every probe whose transactions `snap` shows ended; returns the watermark. */
  observe(snap: Snapshot): number {
    while (this.probes.length > 0 && allEndedBelow(this.probes[0]!.below, snap)) {
      this.settled = Math.max(this.settled, this.probes.shift()!.upTo);
    }
    return this.settled;
  }
}
