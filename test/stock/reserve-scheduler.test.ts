// The coalescer's scheduler (src/stock/reserve-scheduler.ts) with a fake
// runner: who goes together and when, with no database.
import { describe, expect, it } from "vitest";
import { type BatchRunner, type Job, type Outcome, ReserveScheduler, type Turn } from "../../src/stock/reserve-scheduler.js";

interface TestJob extends Job {
  name: string;
}

/** A runner whose batches finish only when the test says so. */
function controlledRunner() {
  const started: Array<{ names: string[]; turn: Turn; finish(fail?: unknown): void }> = [];
  const runner: BatchRunner<TestJob, string> = {
    run: (batch, turn) =>
      new Promise<Array<Outcome<string>>>((resolve, reject) => {
        started.push({
          names: batch.map((j) => j.name),
          turn,
          finish: (fail?: unknown) => (fail ? reject(fail) : resolve(batch.map((j) => ({ ok: true, value: `done ${j.name}` })))),
        });
      }),
  };
  return { runner, started };
}

const job = (name: string, levelId: number, orderId = name, lane = "shop"): TestJob => ({ name, levelId, orderId, lane });
const tick = () => new Promise((r) => setImmediate(r));

describe("ReserveScheduler", () => {
  it("starts a lone job at once, and those arriving meanwhile join the next batch in arrival order", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 1 });
    const first = s.submit(job("a", 1));
    const rest = ["b", "c", "d"].map((n) => s.submit(job(n, 2)));
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"]]);
    started[0]!.finish();
    expect(await first).toBe("done a");
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"], ["b", "c", "d"]]);
    started[1]!.finish();
    expect(await Promise.all(rest)).toEqual(["done b", "done c", "done d"]);
    expect(s.stats()).toEqual({ batches: 2, requests: 4, largestBatch: 3 });
  });

  it("keeps batches to maxBatch jobs", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 2, maxConcurrent: 1 });
    const all = ["a", "b", "c", "d", "e"].map((n, i) => s.submit(job(n, i)));
    for (let i = 0; i < 3; i++) {
      await tick();
      started[i]!.finish();
    }
    await Promise.all(all);
    expect(started.map((b) => b.names)).toEqual([["a"], ["b", "c"], ["d", "e"]]);
  });

  it("puts a level in at most two batches at once; the second may lock only once the first holds the lock", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 4 });
    const jobs = ["a", "b", "c"].map((n) => s.submit(job(n, 7)));
    await tick();
    // a alone, then b in a second batch of the same level; c waits for a slot on level 7.
    expect(started.map((b) => b.names)).toEqual([["a"], ["b"]]);
    let secondMayLock = false;
    void started[1]!.turn.predecessorsLocked.then(() => (secondMayLock = true));
    await tick();
    expect(secondMayLock).toBe(false);
    started[0]!.turn.locked();
    await tick();
    expect(secondMayLock).toBe(true);
    started[0]!.finish();
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"], ["b"], ["c"]]);
    started[1]!.finish();
    started[2]!.finish();
    await Promise.all(jobs);
  });

  it("a batch on other levels does not wait for another level's turn", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 4 });
    void s.submit(job("a", 1));
    void s.submit(job("b", 2));
    await tick();
    let free = false;
    void started[1]!.turn.predecessorsLocked.then(() => (free = true));
    await tick();
    expect(free).toBe(true);
    started.forEach((b) => b.finish());
  });

  it("never puts two jobs of one orderId in flight at once", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 4 });
    const first = s.submit(job("a", 1, "order-1"));
    const again = s.submit(job("a-again", 2, "order-1"));
    const other = s.submit(job("b", 2, "order-2"));
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"], ["b"]]);
    started[0]!.finish();
    await first;
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"], ["b"], ["a-again"]]);
    started[1]!.finish();
    started[2]!.finish();
    await Promise.all([again, other]);
  });

  it("keeps lanes apart: each lane has its own batches and slots", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 1 });
    void s.submit(job("a", 1, "a", "shop"));
    void s.submit(job("b", 1, "b", "pos"));
    await tick();
    expect(started.map((b) => b.names)).toEqual([["a"], ["b"]]);
    started.forEach((b) => b.finish());
  });

  it("a runner that fails rejects its batch's jobs and frees the level's turn for the batch behind it", async () => {
    const { runner, started } = controlledRunner();
    const s = new ReserveScheduler(runner, { maxBatch: 10, maxConcurrent: 4 });
    const a = s.submit(job("a", 1));
    const b = s.submit(job("b", 1));
    await tick();
    expect(started.map((x) => x.names)).toEqual([["a"], ["b"]]);
    let bMayLock = false;
    void started[1]!.turn.predecessorsLocked.then(() => (bMayLock = true));
    const failure = new Error("batch failed");
    started[0]!.finish(failure); // never said it holds the lock
    await expect(a).rejects.toBe(failure);
    await tick();
    expect(bMayLock).toBe(true);
    started[1]!.finish();
    expect(await b).toBe("done b");
  });

  it("refuses nonsense options", () => {
    const { runner } = controlledRunner();
    expect(() => new ReserveScheduler(runner, { maxBatch: 0, maxConcurrent: 1 })).toThrow(/maxBatch/);
    expect(() => new ReserveScheduler(runner, { maxBatch: 1, maxConcurrent: 0 })).toThrow(/maxConcurrent/);
  });
});
