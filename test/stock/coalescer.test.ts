// Coalesced reserves (src/stock/reserve-batch.ts) on a real PostgreSQL:
// the right winners in arrival order, every invariant of docs/design.md, and no
// request of a batch failed or left hanging by a neighbour.
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.js";
import type { ReservationRow } from "../../src/db/reservation.queries.js";
import { Catalog } from "../../src/stock/catalog.js";
import { greedy, Ledger, type LedgerHook } from "../../src/stock/ledger.js";
import { type CoalescerOptions, ReserveBatchRunner, ReserveCoalescer } from "../../src/stock/reserve-batch.js";
import type { BatchRunner } from "../../src/stock/reserve-scheduler.js";
import { type ReserveInput, ReservationService } from "../../src/stock/reservation.service.js";
import { type StockErrorCode, StockRefusal } from "../../src/stock/stock.errors.js";
import type { Actor } from "../../src/stock/types.js";
import { UnitOfWork } from "../../src/stock/unit-of-work.js";
import { hasRealPostgres } from "../support/databases.js";
import { uniqueSku } from "../support/service.js";
import { stockFixture } from "../support/stock-fixture.js";

const ACTOR: Actor = { name: "coalescer-test", role: "ADMIN", channel: "default" };

type Outcome =
  | { ok: true; row: ReservationRow }
  | { ok: false; code: StockErrorCode; requested?: number; available?: number }
  | { ok: false; error: unknown };

/**
 * A second coalescing service on the same database, its batch transactions
 * built as in production; `hooks` run inside every write's transaction,
 * `wrap` sits in front of the batch runner.
 */
function coalescing(
  database: Database,
  opts: CoalescerOptions & { versionTries?: number; hooks?: LedgerHook[]; wrap?: (runner: ReserveBatchRunner) => BatchRunner<any, ReservationRow> },
): ReservationService {
  const uow = new UnitOfWork(database);
  const ledger = new Ledger(opts.hooks, opts.versionTries);
  const runner = new ReserveBatchRunner(uow, ledger);
  const front = opts.wrap ? Object.assign(opts.wrap(runner), { stats: () => runner.stats(), ledger }) : runner;
  return new ReservationService(uow, new Catalog(database), ledger, 600, new ReserveCoalescer(front, opts));
}

describe("greedy", () => {
  it("takes the asks that fit in arrival order, skipping those that no longer fit", () => {
    expect(greedy([4, 3, 5, 2, 1], 9)).toEqual([true, true, false, true, false]);
    expect(greedy([1, 1, 1], 0)).toEqual([false, false, false]);
    expect(greedy([10, 1], 5)).toEqual([false, true]);
  });
});

describe.skipIf(!hasRealPostgres())("coalesced reserves on PostgreSQL", () => {
  const fx = stockFixture("postgres", { databasePoolSize: 16, coalesceReserves: true, coalesceMaxBatch: 50 });
  const reservations = () => fx.services().reservations;
  const rows = <T extends Record<string, unknown>>(q: SQL) => fx.rows<T>(q);
  let orderSeq = 0;
  const orderId = (tag: string) => `${tag}-${process.pid}-${Date.now().toString(36)}-${orderSeq++}`;

  const newProduct = (initialStock: number, threshold = 0) => fx.newProduct(initialStock, { threshold, prefix: "CO" });

  async function level(sku: string) {
    const [row] = await rows<{ id: number; onHand: number; reserved: number; version: number }>(sql`
      select l.id, l.on_hand::int as "onHand", l.reserved::int as "reserved", l.version::int as "version"
      from stock_levels l join products p on p.id = l.product_id where p.sku = ${sku}`);
    return row!;
  }

  async function movements(sku: string) {
    return rows<{ id: number; orderId: string | null; version: number; reservedAfter: number; type: string }>(sql`
      select m.id::int as "id", m.order_id as "orderId", m.version::int as "version", m.reserved_after::int as "reservedAfter", m.type::text as "type"
      from stock_movements m join products p on p.id = m.product_id where p.sku = ${sku} order by m.version`);
  }

  /**
   * Resolves every request first, then hands them to the service in one
   * synchronous loop, so their arrival order at the coalescer is the array's.
   */
  async function inOrder(service: ReservationService, inputs: ReserveInput[]): Promise<Outcome[]> {
    const resolved = await Promise.all(inputs.map((i) => service.resolve(i, ACTOR)));
    return Promise.all(
      resolved.map((r) =>
        service.reserveResolved(r, ACTOR).then(
          (row): Outcome => ({ ok: true, row }),
          (e: unknown): Outcome =>
            e instanceof StockRefusal
              ? { ok: false, code: e.code, requested: e.details.requested, available: e.details.available }
              : { ok: false, error: e },
        ),
      ),
    );
  }

  const one = (sku: string, quantity: number, id = orderId("o")): ReserveInput => ({ orderId: id, items: [{ sku, quantity }] });
  const code = (o: Outcome) => (o.ok ? "ok" : "code" in o ? o.code : `error: ${String((o.error as Error)?.stack ?? o.error)}`);

  it("500 concurrent single-unit reserves of 200 units: the first 200 win, in batches", async () => {
    const sku = await newProduct(200);
    const before = reservations().coalescer!.stats();
    const inputs = Array.from({ length: 500 }, (_, k) => one(sku, 1, `${sku}-${k}`));
    const outcomes = await inOrder(reservations(), inputs);

    const codes = outcomes.map(code);
    expect(codes.filter((c) => c === "ok")).toHaveLength(200);
    expect(codes.filter((c) => c === "INSUFFICIENT_STOCK")).toHaveLength(300);
    // Greedy in arrival order: the winners are exactly the earliest 200.
    expect(codes.slice(0, 200).every((c) => c === "ok")).toBe(true);

    const after = reservations().coalescer!.stats();
    expect(after.requests - before.requests).toBe(500);
    expect(after.batches - before.batches).toBeLessThan(500);
    expect(after.largestBatch).toBeGreaterThan(1);

    expect(await level(sku)).toMatchObject({ onHand: 200, reserved: 200, version: 201 });
    const [active] = await rows<{ n: number }>(
      sql`select count(*)::int as n from reservations where order_id like ${`${sku}-%`} and status = 'ACTIVE'`,
    );
    expect(active!.n).toBe(200);
    const [all] = await rows<{ n: number }>(sql`select count(*)::int as n from reservations where order_id like ${`${sku}-%`}`);
    expect(all!.n).toBe(200); // the losers' claims were deleted
    // One RESERVE movement per winner, versions 2..201 in arrival order.
    const moves = (await movements(sku)).filter((m) => m.type === "RESERVE");
    expect(moves.map((m) => m.orderId)).toEqual(inputs.slice(0, 200).map((i) => i.orderId));
    expect(moves.map((m) => m.reservedAfter)).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
  });

  it("mixed quantities: a big request that does not fit loses, a later small one that fits wins; alerts cross mid-batch", async () => {
    const sku = await newProduct(10, 3);
    // The first request runs alone; the second starts the level's next batch at
    // once (it queues for the lock behind the first); the next four form a third.
    const inputs = [one(sku, 1), one(sku, 4), one(sku, 3), one(sku, 5), one(sku, 2), one(sku, 1)];
    const batchesBefore = reservations().coalescer!.stats().batches;
    const outcomes = await inOrder(reservations(), inputs);

    expect(outcomes.map(code)).toEqual(["ok", "ok", "ok", "INSUFFICIENT_STOCK", "ok", "INSUFFICIENT_STOCK"]);
    expect(outcomes[3]).toMatchObject({ available: 0 });
    expect(reservations().coalescer!.stats().batches - batchesBefore).toBe(3);

    const moves = (await movements(sku)).filter((m) => m.type === "RESERVE");
    expect(moves.map((m) => [m.orderId, m.version, m.reservedAfter])).toEqual([
      [inputs[0]!.orderId, 2, 1],
      [inputs[1]!.orderId, 3, 5],
      [inputs[2]!.orderId, 4, 8],
      [inputs[4]!.orderId, 5, 10],
    ]);
    // available 9 → 5 → 2 (LOW_STOCK at threshold 3) → 0 (OUT_OF_STOCK), each tied to the movement that crossed.
    const alerts = await rows<{ kind: string; before: number; after: number; orderId: string }>(sql`
      select a.kind::text as "kind", a.available_before::int as "before", a.available_after::int as "after", m.order_id as "orderId"
      from stock_alerts a join stock_movements m on m.id = a.movement_id join products p on p.id = m.product_id
      where p.sku = ${sku} and m.type = 'RESERVE' order by a.id`);
    expect(alerts).toEqual([
      { kind: "LOW_STOCK", before: 5, after: 2, orderId: inputs[2]!.orderId },
      { kind: "OUT_OF_STOCK", before: 2, after: 0, orderId: inputs[4]!.orderId },
    ]);
  });

  it("a batch with repeated and taken orderIds answers each like the uncoalesced path", async () => {
    const sku = await newProduct(100);
    const other = await newProduct(100);
    const onOther = orderId("other");
    const earlier = orderId("earlier");
    await reservations().reserve(one(other, 2, onOther), ACTOR);
    const first = await reservations().reserve(one(sku, 2, earlier), ACTOR);

    const repeated = orderId("rep");
    const outcomes = await inOrder(reservations(), [
      one(sku, 1), // runs alone; the rest form batches behind it
      one(sku, 2, repeated),
      one(sku, 2, repeated), // same lines: the same reservation (waits for the next batch)
      one(sku, 3, repeated), // other lines: DUPLICATE
      one(sku, 2, onOther), // taken on another level: DUPLICATE
      one(sku, 2, earlier), // taken on this level with the same lines: that reservation
      one(sku, 4),
    ]);
    expect(outcomes.map(code)).toEqual(["ok", "ok", "ok", "DUPLICATE", "DUPLICATE", "ok", "ok"]);
    const id = (o: Outcome) => (o.ok ? o.row.id : null);
    expect(id(outcomes[2]!)).toBe(id(outcomes[1]!));
    expect(id(outcomes[5]!)).toBe(first.id);
    // 2 (earlier) + 1 + 2 (repeated, once) + 4
    expect(await level(sku)).toMatchObject({ reserved: 9, version: 5 });
    expect(await level(other)).toMatchObject({ reserved: 2 });
  });

  it("a batch whose transaction fails is retried one by one: every request answered, nothing half-done", async () => {
    const sku = await newProduct(5);
    const database = fx.t.service.database;
    const failures: string[][] = [];
    // A second service on the same database whose batches fail once they carry more than one request.
    const service = coalescing(database, {
      maxBatch: 10,
      hooks: [
        {
          record: (_tx, applied, refused) => {
            const ids = [...applied.map((a) => a.change.orderId), ...refused.map((c) => c.orderId)];
            if (ids.length > 1) {
              failures.push(ids as string[]);
              throw new Error("injected batch failure");
            }
            return Promise.resolve();
          },
        },
      ],
    });
    const inputs = [one(sku, 1), one(sku, 2), one(sku, 3), one(sku, 1), one(sku, 1)];
    const outcomes = await inOrder(service, inputs);

    // Retried alone in arrival order: 1 + 2 fit, 3 does not (2 left), then 1 and 1.
    expect(outcomes.map(code)).toEqual(["ok", "ok", "INSUFFICIENT_STOCK", "ok", "ok"]);
    expect(failures).toHaveLength(1);
    // Two batches of one run first (the level takes two at once); the other three fail together.
    expect(service.coalescer!.stats()).toMatchObject({ failedBatches: 1, largestBatch: 3 });
    expect(await level(sku)).toMatchObject({ onHand: 5, reserved: 5, version: 5 });
    const [leftover] = await rows<{ n: number }>(
      sql`select count(*)::int as n from reservations where order_id = ${inputs[2]!.orderId}`,
    );
    expect(leftover!.n).toBe(0);
  });

  it("a level's next batch, started while the one before it is still on its way to the lock, waits its turn: arrival order holds", async () => {
    const sku = await newProduct(1);
    const database = fx.t.service.database;
    const early = one(sku, 1);
    const late = one(sku, 1);
    // The first batch is slow to reach the lock; the second (the level's next) would otherwise take the last unit.
    const service = coalescing(database, {
      maxBatch: 10,
      wrap: (runner) => ({
        run: async (batch, turn) => {
          if (batch.some((j) => j.orderId === early.orderId)) await new Promise((r) => setTimeout(r, 300));
          return runner.run(batch, turn);
        },
      }),
    });
    const outcomes = await inOrder(service, [early, late]);
    expect(service.coalescer!.stats()).toMatchObject({ batches: 2, largestBatch: 1 });
    expect(outcomes.map(code)).toEqual(["ok", "INSUFFICIENT_STOCK"]);
    expect(await level(sku)).toMatchObject({ reserved: 1, version: 2 });
  });

  it("when the level keeps moving, a batch falls back to one guarded UPDATE per request, still in arrival order", async () => {
    const sku = await newProduct(5);
    const database = fx.t.service.database;
    // No version retries: the first "not all fit" goes straight to the per-request updates.
    const service = coalescing(database, { maxBatch: 10, versionTries: 0 });
    const outcomes = await inOrder(service, [one(sku, 1), one(sku, 3), one(sku, 2), one(sku, 1)]);
    expect(outcomes.map(code)).toEqual(["ok", "ok", "INSUFFICIENT_STOCK", "ok"]);
    // The figures of the statement that refused it: 1 was left when it asked for 2.
    expect(outcomes[2]).toMatchObject({ requested: 2, available: 1 });
    // Batches [1], [3], then [2, 1]: 1 left, so the last batch's sum (3) does not fit.
    expect(service.coalescer!.stats()).toMatchObject({ perRequestUpdates: 1, largestBatch: 2 });
    expect((await movements(sku)).map((m) => [m.type, m.version, m.reservedAfter])).toEqual([
      ["RECEIVE", 1, 0],
      ["RESERVE", 2, 1],
      ["RESERVE", 3, 4],
      ["RESERVE", 4, 5],
    ]);
  });

  it("one batch over several levels: one transaction, and a level that runs out refuses only its own requests", async () => {
    const [a, b, c, d] = [await newProduct(2), await newProduct(100), await newProduct(1), await newProduct(10)];
    const database = fx.t.service.database;
    // One batch at a time: the first request runs alone, the next seven form one batch over three levels.
    const service = coalescing(database, { maxBatch: 50, maxConcurrent: 1 });
    const inputs = [one(d, 1), one(a, 1), one(b, 5), one(c, 1), one(a, 1), one(c, 1), one(a, 1), one(b, 5)];
    const outcomes = await inOrder(service, inputs);

    expect(outcomes.map(code)).toEqual(["ok", "ok", "ok", "ok", "ok", "INSUFFICIENT_STOCK", "INSUFFICIENT_STOCK", "ok"]);
    expect(outcomes[5]).toMatchObject({ requested: 1, available: 0 });
    expect(outcomes[6]).toMatchObject({ requested: 1, available: 0 });
    expect(service.coalescer!.stats()).toMatchObject({ batches: 2, largestBatch: 7, mostLevels: 3, failedBatches: 0 });
    expect(await level(a)).toMatchObject({ reserved: 2, version: 3 });
    expect(await level(b)).toMatchObject({ reserved: 10, version: 3 });
    expect(await level(c)).toMatchObject({ reserved: 1, version: 2 });
    // The batch's movements on all three levels were written by one transaction.
    const [written] = await rows<{ transactions: number; movements: number }>(sql`
      select count(distinct m.xmin::text)::int as "transactions", count(*)::int as "movements"
      from stock_movements m where m.order_id in (${sql.join(inputs.slice(1).map((i) => sql`${i.orderId}`), sql`, `)})`);
    expect(written).toEqual({ transactions: 1, movements: 5 });
    const [claims] = await rows<{ n: number }>(
      sql`select count(*)::int as n from reservations where order_id in (${inputs[5]!.orderId}, ${inputs[6]!.orderId})`,
    );
    expect(claims!.n).toBe(0);
  });

  it("batches over shared levels from two instances beside multi-line reserves: no deadlock, no failed batch", async () => {
    const skus = await Promise.all(Array.from({ length: 6 }, () => newProduct(60)));
    const database = fx.t.service.database;
    const second = coalescing(database, { maxBatch: 20, maxConcurrent: 3 });
    const failedBefore = reservations().coalescer!.stats().failedBatches;
    // Single-line reserves in every order over the six levels, and multi-line ones whose lines come in shuffled order.
    const singles = (n: number) => Array.from({ length: n }, (_, k) => one(skus[(k * 7 + n) % skus.length]!, 1 + (k % 2)));
    const multis = Array.from({ length: 40 }, (_, k) => ({
      orderId: orderId("multi"),
      items: [skus[k % 6]!, skus[(k + 3) % 6]!, skus[(k + 5) % 6]!].map((sku) => ({ sku, quantity: 1 })),
    }));
    const results = await Promise.all([
      inOrder(reservations(), singles(150)),
      inOrder(second, singles(150)),
      ...multis.map((m) => inOrder(reservations(), [m])),
    ]);
    const all = results.flat();
    expect(all.map(code).filter((c) => c !== "ok" && c !== "INSUFFICIENT_STOCK")).toEqual([]);
    expect(reservations().coalescer!.stats().failedBatches).toBe(failedBefore);
    expect(second.coalescer!.stats()).toMatchObject({ failedBatches: 0 });
    expect(second.coalescer!.stats().mostLevels).toBeGreaterThan(1);
    // 360 units in all: 300 singles asking 450 and 40 orders of 3 lines each; what was held adds up per level.
    for (const sku of skus) {
      const lvl = await level(sku);
      expect(lvl.reserved).toBeLessThanOrEqual(60);
      const [held] = await rows<{ n: number }>(sql`
        select coalesce(sum(rl.quantity), 0)::int as n from reservation_lines rl join reservations r on r.id = rl.reservation_id
        join stock_levels l on l.id = rl.level_id join products p on p.id = l.product_id where p.sku = ${sku} and r.status = 'ACTIVE'`);
      expect(held!.n).toBe(lvl.reserved);
    }
  });

  it("two coalescing instances on one level: exactly the stock is reserved, versions stay contiguous", async () => {
    const sku = await newProduct(150);
    const database = fx.t.service.database;
    const second = coalescing(database, { maxBatch: 20 });
    const [a, b] = await Promise.all([
      inOrder(reservations(), Array.from({ length: 200 }, () => one(sku, 1 + (orderSeq % 3)))),
      inOrder(second, Array.from({ length: 200 }, () => one(sku, 1 + (orderSeq % 2)))),
    ]);
    const all = [...a, ...b];
    expect(all.map(code).filter((c) => c !== "ok" && c !== "INSUFFICIENT_STOCK")).toEqual([]);
    const won = all.filter((o) => o.ok).length;
    const lost = all.filter((o) => !o.ok && "code" in o);
    expect(lost.length).toBeGreaterThan(0);
    // Every loser was told it asked for more than was left.
    for (const o of lost) if ("code" in o) expect(o.available!).toBeLessThan(o.requested!);
    const lvl = await level(sku);
    expect(lvl.reserved).toBeLessThanOrEqual(150);
    expect(lvl.version).toBe(1 + won);
  });
});
