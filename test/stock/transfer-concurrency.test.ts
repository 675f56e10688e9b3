// Transfers under concurrency on a real PostgreSQL: competing changes of one
// transfer (ship and cancel, receive and close, receipts racing for the same
// units) and a randomized mix of transfers and sales over three warehouses.
// Only StockRefusal may come back; afterwards every transfer line conserves
// its units (shipped = received + lost + in transit) and the ledger invariants hold.
import { type SQL, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { attempt, codes, type Outcome, random, unexpected } from "../support/outcomes.js";
import { uniqueSku } from "../support/service.js";
import { ACTOR, stockFixture } from "../support/stock-fixture.js";

describe.skipIf(!hasRealPostgres())("transfers under concurrency on PostgreSQL", () => {
  const fx = stockFixture("postgres", { databasePoolSize: 24 });
  const stock = () => fx.services().stock;
  const transfers = () => fx.services().transfers;
  const rows = <T extends Record<string, unknown>>(q: SQL) => fx.rows<T>(q);
  const newWarehouse = () => fx.newWarehouse();
  const newProduct = (warehouse: string, initialStock: number) => fx.newProduct(initialStock, { warehouse, prefix: "C" });

  async function state(reference: string) {
    const [row] = await rows<{ status: string; movements: number; received: number; lost: number; quantity: number }>(sql`
      select t.status::text as status,
             (select count(*) from stock_movements m where m.transfer_id = t.id)::int as movements,
             (select sum(received) from transfer_lines l where l.transfer_id = t.id)::int as received,
             (select sum(lost) from transfer_lines l where l.transfer_id = t.id)::int as lost,
             (select sum(quantity) from transfer_lines l where l.transfer_id = t.id)::int as quantity
      from transfers t where t.reference = ${reference}`);
    return row!;
  }

  it("ship and cancel of one DRAFT at once: exactly one wins, and the loser changes nothing", async () => {
    const from = await newWarehouse();
    const to = await newWarehouse();
    const sku = await newProduct(from, 1000);
    const refs = Array.from({ length: 30 }, () => uniqueSku("RACE"));
    for (const reference of refs) await transfers().create({ reference, from, to, lines: [{ sku, quantity: 3 }] }, ACTOR);

    const rng = random(13);
    const outcomes = await Promise.all(
      refs.map(async (reference) => {
        const ship = () => attempt(() => transfers().ship({ reference }, ACTOR));
        const cancel = () => attempt(() => transfers().cancel({ reference }, ACTOR));
        const [s, c] = rng.next() < 0.5 ? await Promise.all([ship(), cancel()]) : (await Promise.all([cancel(), ship()])).reverse();
        return { reference, ship: s!, cancel: c! };
      }),
    );
    expect(unexpected(outcomes.flatMap((o) => [o.ship, o.cancel]))).toEqual([]);
    let shipped = 0;
    for (const o of outcomes) {
      const now = await state(o.reference);
      expect([o.ship.ok, o.cancel.ok], o.reference).toSatisfy(([s, c]: boolean[]) => s !== c);
      if (o.ship.ok) {
        shipped++;
        expect(o.cancel).toEqual({ ok: false, code: "INVALID_STATE" });
        expect(now).toMatchObject({ status: "IN_TRANSIT", movements: 1 });
      } else {
        expect(o.ship).toEqual({ ok: false, code: "INVALID_STATE" });
        expect(now).toMatchObject({ status: "CANCELLED", movements: 0 });
      }
    }
    const [level] = await rows<{ onHand: number }>(sql`
      select l.on_hand::int as "onHand" from stock_levels l join products p on p.id = l.product_id join warehouses w on w.id = l.warehouse_id
      where p.sku = ${sku} and w.code = ${from}`);
    expect(level!.onHand).toBe(1000 - 3 * shipped);
  });

  it("receipt and close at once: the units are received or lost, never both, never neither", async () => {
    const from = await newWarehouse();
    const to = await newWarehouse();
    const sku = await newProduct(from, 1000);
    const refs = Array.from({ length: 30 }, () => uniqueSku("RACE"));
    for (const reference of refs) {
      await transfers().create({ reference, from, to, lines: [{ sku, quantity: 4 }] }, ACTOR);
      await transfers().ship({ reference }, ACTOR);
    }
    const outcomes = await Promise.all(
      refs.map(async (reference) => {
        const [receive, close] = await Promise.all([
          attempt(() => transfers().receive({ reference, lines: [{ sku, quantity: 4 }] }, ACTOR)),
          attempt(() => transfers().close({ reference, reason: "written off" }, ACTOR)),
        ]);
        return { reference, receive, close };
      }),
    );
    expect(unexpected(outcomes.flatMap((o) => [o.receive, o.close]))).toEqual([]);
    for (const o of outcomes) {
      const now = await state(o.reference);
      expect(now.status).toBe("RECEIVED");
      if (o.receive.ok) {
        // Closing a transfer already received in full returns it as it is.
        expect(o.close.ok).toBe(true);
        expect(now).toMatchObject({ received: 4, lost: 0, movements: 2 });
      } else {
        expect(o.receive).toEqual({ ok: false, code: "INVALID_STATE" });
        expect(now).toMatchObject({ received: 0, lost: 4, movements: 1 });
      }
    }
  });

  it("receipts racing for the last units of a line: exactly what was outstanding arrives", async () => {
    const from = await newWarehouse();
    const to = await newWarehouse();
    const sku = await newProduct(from, 100);
    const reference = uniqueSku("RACE");
    await transfers().create({ reference, from, to, lines: [{ sku, quantity: 25 }] }, ACTOR);
    await transfers().ship({ reference }, ACTOR);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, () => attempt(() => transfers().receive({ reference, lines: [{ sku, quantity: 1 }] }, ACTOR))),
    );
    expect(unexpected(outcomes)).toEqual([]);
    const tally = codes(outcomes);
    expect(tally.ok).toBe(25);
    // Losers saw no unit left on the line, or the transfer already RECEIVED.
    expect((tally.INVALID_QUANTITY ?? 0) + (tally.INVALID_STATE ?? 0)).toBe(15);
    expect(await state(reference)).toMatchObject({ status: "RECEIVED", received: 25, lost: 0, movements: 26 });
  });

  it("a randomized mix of transfers and sales over three warehouses conserves every unit", async () => {
    const rng = random(2024);
    const warehouses = [await newWarehouse(), await newWarehouse(), await newWarehouse()];
    const skus: string[] = [];
    for (let i = 0; i < 4; i++) {
      const sku = await newProduct(warehouses[0]!, 40);
      for (const w of warehouses.slice(1)) await stock().receive({ sku, quantity: 40, warehouse: w }, ACTOR);
      skus.push(sku);
    }

    const outcomes: Outcome<unknown>[] = [];
    const run = async (op: () => Promise<unknown>) => {
      outcomes.push(await attempt(op));
    };
    /** One transfer's life, with some of its steps sent twice at once (a client retrying). */
    const life = async (n: number) => {
      const reference = uniqueSku(`MIX${n}`);
      const [from, to] = rng.shuffle(warehouses);
      const lines = rng.shuffle(skus).slice(0, rng.int(1, 3)).map((sku) => ({ sku, quantity: rng.int(1, 15) }));
      const twice = (op: () => Promise<unknown>) => (rng.next() < 0.3 ? Promise.all([run(op), run(op)]) : run(op));
      await twice(() => transfers().create({ reference, from: from!, to: to!, lines }, ACTOR));
      if (rng.next() < 0.15) return run(() => transfers().cancel({ reference }, ACTOR));
      await twice(() => transfers().ship({ reference }, ACTOR));
      for (let r = rng.int(0, 3); r > 0; r--) {
        const part = lines.map((l) => ({ sku: l.sku, quantity: rng.int(1, l.quantity) })).slice(0, rng.int(1, lines.length));
        await twice(() => transfers().receive({ reference, lines: part }, ACTOR));
      }
      if (rng.next() < 0.4) await twice(() => transfers().close({ reference, reason: "short" }, ACTOR));
    };
    /** Sales at the warehouses meanwhile, competing with shipments for available stock. */
    const sales = async (n: number) => {
      for (let i = 0; i < 8; i++) {
        const items = [{ sku: rng.pick(skus), quantity: rng.int(1, 6), warehouse: rng.pick(warehouses) }];
        if (rng.next() < 0.5) await run(() => stock().deduct({ items }, ACTOR));
        else {
          const orderId = uniqueSku(`MIXO${n}`);
          await run(() => fx.t.service.services.reservations.reserve({ orderId, items }, ACTOR));
          await run(() => fx.t.service.services.reservations.confirm({ orderId }, ACTOR));
        }
      }
    };
    await Promise.all([...Array.from({ length: 40 }, (_, n) => life(n)), ...Array.from({ length: 6 }, (_, n) => sales(n))]);

    expect(unexpected(outcomes)).toEqual([]);
    const tally = codes(outcomes);
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.INSUFFICIENT_STOCK ?? 0, JSON.stringify(tally)).toBeGreaterThan(0);

    // Per product: on hand everywhere + in transit + lost = everything that came in from outside - everything sold.
    const unbalanced = await rows(sql`
      select p.sku,
             (select coalesce(sum(on_hand), 0) from stock_levels l where l.product_id = p.id)::int as on_hand,
             (select coalesce(sum(l.quantity - l.received - l.lost), 0) from transfer_lines l join transfers t on t.id = l.transfer_id
               where l.product_id = p.id and t.status in ('IN_TRANSIT', 'PARTIALLY_RECEIVED'))::int as in_transit,
             (select coalesce(sum(lost), 0) from transfer_lines l where l.product_id = p.id)::int as lost,
             (select coalesce(sum(on_hand_delta), 0) from stock_movements m
               where m.product_id = p.id and m.type not in ('TRANSFER_OUT', 'TRANSFER_IN'))::int as external
      from products p where p.sku in ${skus}`);
    expect(unbalanced).toHaveLength(4);
    for (const u of unbalanced as Array<Record<string, number>>) expect(u.on_hand! + u.in_transit! + u.lost!, JSON.stringify(u)).toBe(u.external);

    // What the API shows as in transit is what the open transfers' lines still carry.
    const catalog = fx.t.service.services.catalog;
    const places = [];
    for (const sku of skus) for (const w of warehouses) places.push({ productId: await catalog.productId(sku), warehouseId: (await catalog.warehouse(w)).id });
    const shown = await fx.t.service.services.queries.inTransitTo(places);
    const expected = await rows<{ productId: number; warehouseId: number; quantity: number }>(sql`
      select l.product_id as "productId", t.to_warehouse_id as "warehouseId", sum(l.quantity - l.received - l.lost)::int as quantity
      from transfer_lines l join transfers t on t.id = l.transfer_id join products p on p.id = l.product_id
      where p.sku in ${skus} and t.status in ('IN_TRANSIT', 'PARTIALLY_RECEIVED') and l.quantity > l.received + l.lost
      group by l.product_id, t.to_warehouse_id`);
    const key = (r: { productId: number; warehouseId: number }) => `${r.productId}/${r.warehouseId}`;
    expect(new Map(shown.filter((s) => s.quantity > 0).map((s) => [key(s), s.quantity]))).toEqual(
      new Map(expected.map((e) => [key({ productId: Number(e.productId), warehouseId: Number(e.warehouseId) }), e.quantity])),
    );
  });
});
