/**
 * The commit-safe watermark of the ledger.
 *
 * Ledger ids come from one sequence in insert order, and transactions commit
 * in another order: id 41 can become visible after id 42. Handing out 42 as a
 * cursor before 41 commits would make a resuming reader skip 41 forever.
 *
 * A probe reads the sequence's last value S, then the current snapshot. Every
 * writer holding an id <= S took it after its first write (each transaction
 * updates a level before it appends to the ledger), so it already had a
 * transaction id when the snapshot was taken: it is either finished or listed
 * as running in that snapshot. Once none of those listed transactions is
 * running any more, every id <= S is settled (committed or rolled back for
 * good) and S can be handed out. Later probes see a superset of the
 * still-running ones, so probes settle in order.
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

export class Watermark {
  private probes: { upTo: number; waitingFor: bigint[] }[] = [];
  private settled: number;

  constructor(start: number) {
    this.settled = start;
  }

  get value(): number {
    return this.settled;
  }

  /** Records a probe (S read before `snap` was taken) and settles what `snap` shows finished. */
  observe(lastValue: number, snap: Snapshot): number {
    this.probes.push({ upTo: lastValue, waitingFor: [...snap.running] });
    const stillRunning = (x: bigint) => x >= snap.xmin && snap.running.has(x);
    while (this.probes.length > 0 && !this.probes[0]!.waitingFor.some(stillRunning)) {
      this.settled = Math.max(this.settled, this.probes.shift()!.upTo);
    }
    return this.settled;
  }

  /** Whether a probe is still waiting for transactions to end. */
  get pending(): boolean {
    return this.probes.length > 0;
  }
}
