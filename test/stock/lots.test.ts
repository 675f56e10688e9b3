// Lots with expiry dates, on both databases: FEFO, splits, minimum shelf
// life, expiry while reserved, returns and releases into the same lots,
// alerts once per lot (two sweepers), and concurrent reserves over lots.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start } from "../../src/app.js";
import { createLogger } from "../../src/log.js";
import { addDays } from "../../src/stock/lot-plan.js";
import { todayUtc } from "../../src/stock/lot.service.js";
import { SYSTEM } from "../../src/stock/expiry-sweeper.js";
import { StockRefusal } from "../../src/stock/stock.errors.js";
import type { Actor } from "../../src/stock/types.js";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";

const backends: Backend[] = hasRealPostgres() ? ["pglite", "postgres"] : ["pglite"];
const ACTOR: Actor = { name: "lots-test", role: "ADMIN", channel: "default" };
const inDays = (n: number) => addDays(todayUtc(), n);

describe.each(backends)("lots (%s)", (backend) => {
  let t: TestService;
  let n = 0;
  const order = () => `lot-${process.pid}-${n++}`;
  const stock = () => t.service.services.stock;
  const reservations = () => t.service.services.reservations;
  const rows = <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => t.service.database.rows<T>(q);

  beforeAll(async () => {
    // The sweeper runs only when a test asks (sweep()).
    t = await startTestService(backend, { expirySweepMs: 3_600_000 });
  });
  afterAll(() => t?.close());

  /** A lot-tracked product, and lots received one after another (code, quantity, days to expiry). */
  async function honey(lots: Array<[string, number, number | null]>, removalDays = 0): Promise<string> {
    const sku = uniqueSku("HONEY");
    await stock().createProduct({ sku, name: "Acacia honey 500 g", tracksLots: true, removalDays }, ACTOR);
    for (const [code, quantity, days] of lots) {
      await stock().receive({ sku, quantity, lot: { code, expiresOn: days === null ? null : inDays(days) } }, ACTOR);
    }
    return sku;
  }

  async function lotsOf(sku: string) {
    return rows<{ code: string; onHand: number; reserved: number; expired: boolean }>(sql`
      select l.code, l.on_hand::int as "onHand", l.reserved::int as "reserved", (l.expired_at is not null) as "expired"
      from stock_lots l join products p on p.id = l.product_id where p.sku = ${sku} order by l.id`);
  }
  async function level(sku: string) {
    const [row] = await rows<{ onHand: number; reserved: number; unsellable: number; available: number }>(sql`
      select l.on_hand::int as "onHand", l.reserved::int as "reserved", l.unsellable::int as "unsellable",
             (l.on_hand - l.reserved - l.unsellable)::int as "available"
      from stock_levels l join products p on p.id = l.product_id join warehouses w on w.id = l.warehouse_id where p.sku = ${sku} and w.code = 'MAIN'`);
    return row!;
  }
  const held = (lots: Array<{ code: string; reserved: number }>) => Object.fromEntries(lots.filter((l) => l.reserved > 0).map((l) => [l.code, l.reserved]));
  async function refusal(work: () => Promise<unknown>): Promise<StockRefusal> {
    try {
      await work();
    } catch (e) {
      if (e instanceof StockRefusal) return e;
      throw e;
    }
    throw new Error("expected a refusal");
  }

  it("reserves 10 against lots of 4 (sell-by in 10 days), 5 (in 40) and 8 (in 5, received last): 8 + 2 from the two earliest", async () => {
    const sku = await honey([
      ["B10", 4, 10],
      ["B40", 5, 40],
      ["B05", 8, 5],
    ]);
    await reservations().reserve({ orderId: order(), items: [{ sku, quantity: 10 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ B05: 8, B10: 2 });
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("with minShelfLifeDays 20 a reserve of 5 takes the 40-day lot, and one of 10 is refused (available 5), changing nothing", async () => {
    const sku = await honey([
      ["B10", 4, 10],
      ["B40", 5, 40],
      ["B05", 8, 5],
    ]);
    await reservations().reserve({ orderId: order(), items: [{ sku, quantity: 5, minShelfLifeDays: 20 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ B40: 5 });
    const before = await lotsOf(sku);
    const r = await refusal(() => reservations().reserve({ orderId: order(), items: [{ sku, quantity: 10, minShelfLifeDays: 20 }] }, ACTOR));
    expect(r.code).toBe("INSUFFICIENT_STOCK");
    expect(r.details).toMatchObject({ available: 0, requested: 10 });
    expect(await lotsOf(sku)).toEqual(before);

    const fresh = await honey([
      ["B10", 4, 10],
      ["B40", 5, 40],
      ["B05", 8, 5],
    ]);
    const tooShort = await refusal(() => reservations().reserve({ orderId: order(), items: [{ sku: fresh, quantity: 10, minShelfLifeDays: 20 }] }, ACTOR));
    expect(tooShort.details).toMatchObject({ available: 5, requested: 10 });
    expect(held(await lotsOf(fresh))).toEqual({});
  });

  it("FEFO: earliest sellBy first (a later-received lot with an earlier date goes first), equal dates by received time, undated lots last", async () => {
    const sku = await honey([
      ["NODATE", 3, null],
      ["LATE", 3, 90],
      ["SOON-A", 2, 20],
      ["SOON-B", 2, 20],
      ["EARLY", 1, 15],
    ]);
    await stock().deduct({ items: [{ sku, quantity: 4 }] }, ACTOR);
    const lots = await lotsOf(sku);
    expect(Object.fromEntries(lots.map((l) => [l.code, l.onHand]))).toEqual({ NODATE: 3, LATE: 3, "SOON-A": 0, "SOON-B": 1, EARLY: 0 });
    // A line one lot cannot cover is split across lots, never refused while lots can serve it.
    await stock().deduct({ items: [{ sku, quantity: 5 }] }, ACTOR);
    expect(Object.fromEntries((await lotsOf(sku)).map((l) => [l.code, l.onHand]))).toEqual({ NODATE: 2, LATE: 0, "SOON-A": 0, "SOON-B": 0, EARLY: 0 });
  });

  it("removalDays: a lot stops being sold that many days before it expires", async () => {
    const sku = await honey([["NEAR", 5, 3]], 7); // expires in 3 days, sell-by 4 days ago
    const r = await refusal(() => reservations().reserve({ orderId: order(), items: [{ sku, quantity: 1 }] }, ACTOR));
    expect(r.details).toMatchObject({ available: 0 });
    const [lot] = await rows<{ sellBy: string }>(sql`select sell_by::text as "sellBy" from stock_lots l join products p on p.id = l.product_id where p.sku = ${sku}`);
    expect(lot!.sellBy).toBe(inDays(-4));
  });

  it("confirm consumes the reserved lots; release and expiry give them back to the same lots; returns go back into the lots the order took", async () => {
    const sku = await honey([
      ["A", 3, 10],
      ["B", 3, 20],
    ]);
    const paid = order();
    await reservations().reserve({ orderId: paid, items: [{ sku, quantity: 4 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ A: 3, B: 1 });
    // A later receipt of an earlier-dated lot must not change what the order holds.
    await stock().receive({ sku, quantity: 5, lot: { code: "C", expiresOn: inDays(2) } }, ACTOR);
    await reservations().confirm({ orderId: paid }, ACTOR);
    expect(Object.fromEntries((await lotsOf(sku)).map((l) => [l.code, [l.onHand, l.reserved]]))).toEqual({ A: [0, 0], B: [2, 0], C: [5, 0] });

    await stock().returnStock({ orderId: paid, sku, quantity: 2 }, ACTOR);
    expect(Object.fromEntries((await lotsOf(sku)).map((l) => [l.code, l.onHand]))).toEqual({ A: 2, B: 2, C: 5 });
    await stock().returnStock({ orderId: paid, sku, quantity: 1, lot: "B" }, ACTOR);
    expect(Object.fromEntries((await lotsOf(sku)).map((l) => [l.code, l.onHand]))).toEqual({ A: 2, B: 3, C: 5 });

    const cancelled = order();
    await reservations().reserve({ orderId: cancelled, items: [{ sku, quantity: 6 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ C: 5, A: 1 });
    await reservations().release({ orderId: cancelled }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({});

    const unpaid = order();
    await reservations().reserve({ orderId: unpaid, items: [{ sku, quantity: 2 }], ttlSeconds: 1 }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ C: 2 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await reservations().expireOverdue(ACTOR)).toBeGreaterThanOrEqual(1);
    expect(held(await lotsOf(sku))).toEqual({});
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("a lot expiring while part of it is reserved: the order keeps its units, the rest becomes unsellable; LOT_EXPIRED once", async () => {
    const sku = await honey([
      ["OLD", 5, 1],
      ["NEW", 5, 60],
    ]);
    const kept = order();
    await reservations().reserve({ orderId: kept, items: [{ sku, quantity: 2 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ OLD: 2 });
    // Time passes: OLD's sell-by is now behind us.
    await rows(sql`update stock_lots set sell_by = ${inDays(-1)}::date, expires_on = ${inDays(-1)}::date where code = 'OLD' and product_id = (select id from products where sku = ${sku})`);
    await t.service.services.lots.sweep(SYSTEM);
    expect(await level(sku)).toEqual({ onHand: 10, reserved: 2, unsellable: 3, available: 5 });
    await t.service.services.lots.sweep(SYSTEM);
    const alerts = await rows<{ kind: string }>(sql`
      select a.kind::text as kind from stock_alerts a join stock_lots l on l.id = a.lot_id join products p on p.id = l.product_id where p.sku = ${sku}`);
    expect(alerts.filter((a) => a.kind === "LOT_EXPIRED")).toHaveLength(1);

    // Nothing new is sold from it; the order still confirms its 2 units.
    await reservations().reserve({ orderId: order(), items: [{ sku, quantity: 5 }] }, ACTOR);
    expect(held(await lotsOf(sku))).toEqual({ OLD: 2, NEW: 5 });
    await reservations().confirm({ orderId: kept }, ACTOR);
    expect(await level(sku)).toEqual({ onHand: 8, reserved: 5, unsellable: 3, available: 0 });

    // The expired rest is written off.
    const off = await stock().writeOffLot({ sku, lot: "OLD", reason: "expired" }, ACTOR);
    expect(off.movement).toMatchObject({ type: "WRITE_OFF", onHandDelta: -3 });
    expect(await level(sku)).toEqual({ onHand: 5, reserved: 5, unsellable: 0, available: 0 });
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("LOT_EXPIRING fires once per lot entering the warning window, and LOT_EXPIRED once, with two instances sweeping at once", async () => {
    const sku = await honey([
      ["WARN", 5, 10],
      ["DUE", 5, 100],
      ["FAR", 5, 200],
    ]);
    await rows(sql`update stock_lots set sell_by = ${inDays(-1)}::date where code = 'DUE' and product_id = (select id from products where sku = ${sku})`);
    const sweepers = [t.service.services.lots];
    let second: Awaited<ReturnType<typeof start>> | null = null;
    if (backend === "postgres") {
      second = await start({ ...t.config, port: 0, expirySweepMs: 3_600_000 }, createLogger("error"));
      sweepers.push(second.services.lots);
    }
    try {
      await Promise.all(sweepers.flatMap((s) => [s.sweep(SYSTEM), s.sweep(SYSTEM), s.sweep(SYSTEM)]));
    } finally {
      await second?.dispose();
    }
    const alerts = await rows<{ kind: string; code: string }>(sql`
      select a.kind::text as kind, l.code from stock_alerts a join stock_lots l on l.id = a.lot_id join products p on p.id = l.product_id
      where p.sku = ${sku} order by a.id`);
    expect(alerts).toEqual([
      { kind: "LOT_EXPIRED", code: "DUE" },
      { kind: "LOT_EXPIRING", code: "WARN" },
    ]);
    const expiring = await t.service.services.lots.expiring(30, null, 50, null);
    expect(expiring.map((l) => l.code)).toContain("WARN");
    expect(expiring.map((l) => l.code)).not.toContain("FAR");
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("receipts: the lot is required, one expiry date per code, and untracked products take none", async () => {
    const sku = await honey([["L1", 5, 30]]);
    expect((await refusal(() => stock().receive({ sku, quantity: 1 }, ACTOR))).code).toBe("LOT_REQUIRED");
    expect((await refusal(() => stock().receive({ sku, quantity: 1, lot: { code: "L1", expiresOn: inDays(31) } }, ACTOR))).code).toBe("DUPLICATE");
    await stock().receive({ sku, quantity: 2, lot: { code: "L1", expiresOn: inDays(30) } }, ACTOR);
    expect((await lotsOf(sku))[0]).toMatchObject({ code: "L1", onHand: 7 });
    const plain = uniqueSku("PLAIN");
    await stock().createProduct({ sku: plain, name: "plain", initialStock: 3 }, ACTOR);
    await expect(stock().receive({ sku: plain, quantity: 1, lot: { code: "X", expiresOn: inDays(3) } }, ACTOR)).rejects.toMatchObject({ name: "InputRejected" });
    expect((await refusal(() => stock().writeOffLot({ sku, lot: "NOPE", reason: "r" }, ACTOR))).code).toBe("LOT_REQUIRED");
  });

  it("concurrent reserves over the lots of one level: no oversell, the level is the sum of its lots, each lot within 0 ≤ reserved ≤ onHand", async () => {
    const sku = await honey([
      ["C1", 40, 30],
      ["C2", 40, 20],
      ["C3", 40, 10],
      ["C4", 40, 60],
      ["C5", 40, null],
    ]);
    const outcomes = await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        reservations()
          .reserve({ orderId: order(), items: [{ sku, quantity: 1 + (i % 2) }] }, ACTOR)
          .then(
            () => "ok",
            (e) => (e instanceof StockRefusal ? e.code : `error: ${e}`),
          ),
      ),
    );
    expect(outcomes.filter((o) => o !== "ok" && o !== "INSUFFICIENT_STOCK")).toEqual([]);
    const lots = await lotsOf(sku);
    const lvl = await level(sku);
    expect(lvl.reserved).toBe(lots.reduce((s, l) => s + l.reserved, 0));
    expect(lvl.reserved).toBeLessThanOrEqual(200);
    for (const l of lots) {
      expect(l.reserved).toBeGreaterThanOrEqual(0);
      expect(l.reserved).toBeLessThanOrEqual(l.onHand);
    }
    // FEFO held: the earliest lots fill first.
    expect(lots.find((l) => l.code === "C3")!.reserved).toBe(40);
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });

  it("the database refuses a level that is not the sum of its lots", async () => {
    const sku = await honey([["S", 5, 30]]);
    const err = await rows(sql`update stock_levels set on_hand = on_hand + 1 where product_id = (select id from products where sku = ${sku})`).then(
      () => null,
      (e: Error & { cause?: Error }) => e,
    );
    expect(String(err?.cause?.message ?? err?.message)).toMatch(/sum of its lots/);
  });
  it("a transfer ships lots first-expiry-first-out and receives them into the same lots at the destination", async () => {
    const sku = await honey([
      ["T-A", 3, 10],
      ["T-B", 5, 30],
    ]);
    const code = uniqueSku("LW").slice(-12);
    await t.service.services.warehouses.create({ code, name: "second" }, ACTOR);
    const transfers = t.service.services.transfers;
    const reference = `lots-${code}`;
    await transfers.create({ reference, from: "MAIN", to: code, lines: [{ sku, quantity: 6 }] }, ACTOR);
    await transfers.ship({ reference }, ACTOR);
    const at = async (warehouse: string) =>
      Object.fromEntries(
        (
          await rows<{ code: string; onHand: number }>(sql`
            select l.code, l.on_hand::int as "onHand" from stock_lots l join products p on p.id = l.product_id
            join warehouses w on w.id = l.warehouse_id where p.sku = ${sku} and w.code = ${warehouse} order by l.id`)
        ).map((l) => [l.code, l.onHand]),
      );
    expect(await at("MAIN")).toEqual({ "T-A": 0, "T-B": 2 });
    await transfers.receive({ reference, lines: [{ sku, quantity: 4 }] }, ACTOR);
    expect(await at(code)).toEqual({ "T-A": 3, "T-B": 1 });
    await transfers.receive({ reference, lines: [{ sku, quantity: 2 }] }, ACTOR);
    expect(await at(code)).toEqual({ "T-A": 3, "T-B": 3 });
    const [dates] = await rows<{ same: boolean }>(sql`
      select bool_and(a.expires_on = b.expires_on and a.sell_by = b.sell_by) as same from stock_lots a join stock_lots b
        on a.product_id = b.product_id and a.code = b.code and a.id <> b.id
      where a.product_id = (select id from products where sku = ${sku})`);
    expect(dates!.same).toBe(true);
    expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
  });
});
