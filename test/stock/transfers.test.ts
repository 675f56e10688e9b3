// Transfers between warehouses (docs/transfers.md), called on the services
// directly, on the embedded PGlite and on a real PostgreSQL: the life of a
// transfer, every refusal (which must change nothing), and the ledger and
// transfer invariants after each test.
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { InputRejected, type StockErrorCode, StockRefusal } from "../../src/stock/stock.errors.js";
import type { CreateTransferInput } from "../../src/stock/transfer.service.js";
import { hasRealPostgres } from "../support/databases.js";
import { uniqueSku } from "../support/service.js";
import { ACTOR, stockFixture } from "../support/stock-fixture.js";

describe.each(["pglite", "postgres"] as const)("transfers on %s", (backend) => {
  describe.skipIf(backend === "postgres" && !hasRealPostgres())("operations", () => {
    const fx = stockFixture(backend);
    const stock = () => fx.services().stock;
    const transfers = () => fx.services().transfers;
    const rows = <T extends Record<string, unknown>>(q: SQL) => fx.rows<T>(q);
    const newWarehouse = () => fx.newWarehouse();
    const newProduct = (warehouse: string, initialStock: number, threshold = 0) => fx.newProduct(initialStock, { warehouse, threshold, prefix: "T" });

    async function onHand(sku: string, warehouse: string): Promise<number | null> {
      const [row] = await rows<{ n: number }>(sql`
        select l.on_hand::int as n from stock_levels l join products p on p.id = l.product_id join warehouses w on w.id = l.warehouse_id
        where p.sku = ${sku} and w.code = ${warehouse}`);
      return row?.n ?? null;
    }

    async function lines(reference: string) {
      return rows<{ sku: string; quantity: number; received: number; lost: number }>(sql`
        select p.sku, l.quantity::int as quantity, l.received::int as received, l.lost::int as lost
        from transfer_lines l join transfers t on t.id = l.transfer_id join products p on p.id = l.product_id
        where t.reference = ${reference} order by l.id`);
    }

    async function changes(reference: string) {
      return rows<{ kind: string; status: string; version: number; reason: string | null; actor: string }>(sql`
        select e.kind::text as kind, e.status::text as status, e.version::int as version, e.reason, e.actor
        from transfer_events e join transfers t on t.id = e.transfer_id where t.reference = ${reference} order by e.id`);
    }

    async function movementsOf(reference: string) {
      return rows<{ type: string; sku: string; warehouse: string; onHandDelta: number; reason: string | null }>(sql`
        select m.type::text as type, p.sku, w.code as warehouse, m.on_hand_delta::int as "onHandDelta", m.reason
        from stock_movements m join transfers t on t.id = m.transfer_id join products p on p.id = m.product_id
        join warehouses w on w.id = m.warehouse_id where t.reference = ${reference} order by m.id`);
    }

    /** Everything a refused or repeated transfer operation must leave as it was. */
    async function snapshot() {
      const [counts] = await rows(sql`
        select (select count(*) from stock_movements)::int as movements, (select count(*) from stock_alerts)::int as alerts,
               (select count(*) from stock_levels)::int as levels, (select count(*) from transfers)::int as transfers,
               (select count(*) from transfer_lines)::int as lines, (select count(*) from transfer_events)::int as events,
               (select count(*) from idempotency_keys)::int as keys`);
      const levels = await rows(sql`select id, on_hand, reserved, version from stock_levels order by id`);
      const state = await rows(sql`
        select t.reference, t.status::text as status, t.version, t.shipped_at::text as shipped, t.closed_at::text as closed,
               t.close_reason, t.updated_at::text as updated
        from transfers t order by t.id`);
      const lineState = await rows(sql`select id, received, lost from transfer_lines order by id`);
      return { counts, levels, state, lineState };
    }

    async function expectRefused(work: () => Promise<unknown>, code: StockErrorCode): Promise<StockRefusal> {
      const before = await snapshot();
      const err = await work().then(
        () => new Error(`expected ${code}, but it succeeded`),
        (e: unknown) => e,
      );
      if (!(err instanceof StockRefusal)) throw err;
      expect(err.code, err.message).toBe(code);
      expect(await snapshot()).toEqual(before);
      return err;
    }

    async function expectRejected(work: () => Promise<unknown>): Promise<void> {
      const before = await snapshot();
      await expect(work()).rejects.toBeInstanceOf(InputRejected);
      expect(await snapshot()).toEqual(before);
    }

    async function expectNoChange<T>(work: () => Promise<T>): Promise<T> {
      const before = await snapshot();
      const result = await work();
      expect(await snapshot()).toEqual(before);
      return result;
    }

    /** Two warehouses and two products with stock in the first. */
    async function fixture(stockA = 10, stockB = 5) {
      const from = await newWarehouse();
      const to = await newWarehouse();
      const a = await newProduct(from, stockA);
      const b = await newProduct(from, stockB);
      return { from, to, a, b, reference: uniqueSku("TR") };
    }

    const create = (input: CreateTransferInput) => transfers().create(input, ACTOR);
    const ship = (reference: string, reason?: string) => transfers().ship({ reference, reason }, ACTOR);
    const receive = (reference: string, items: { sku: string; quantity: number }[], idempotencyKey?: string) =>
      transfers().receive({ reference, lines: items, idempotencyKey }, ACTOR);
    const close = (reference: string, reason: string | null = "lost in transit") => transfers().close({ reference, reason }, ACTOR);
    const cancel = (reference: string) => transfers().cancel({ reference, reason: "not needed" }, ACTOR);

    it("lives DRAFT → IN_TRANSIT → PARTIALLY_RECEIVED → RECEIVED, moving stock only through the ledger", async () => {
      const { from, to, a, b, reference } = await fixture(10, 5);

      const created = await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }], reason: "rebalance" });
      expect(created.movements).toEqual([]);
      expect(created.transfer).toMatchObject({ reference, status: "DRAFT", version: 1, reason: "rebalance", actor: "tester", shippedAt: null, closedAt: null });
      expect(await lines(reference)).toEqual([
        { sku: a, quantity: 4, received: 0, lost: 0 },
        { sku: b, quantity: 2, received: 0, lost: 0 },
      ]);
      expect(await onHand(a, from)).toBe(10);

      const shipped = await ship(reference, "truck 7");
      expect(shipped.transfer).toMatchObject({ status: "IN_TRANSIT", version: 2, closedAt: null });
      expect(shipped.transfer.shippedAt).toBeInstanceOf(Date);
      expect(shipped.movements.map((m) => [m.type, m.onHandDelta, m.onHandAfter, m.transferId, m.reason])).toEqual([
        ["TRANSFER_OUT", -4, 6, shipped.transfer.id, "truck 7"],
        ["TRANSFER_OUT", -2, 3, shipped.transfer.id, "truck 7"],
      ]);
      // The destination has its levels from now on, empty until the stock arrives.
      expect([await onHand(a, from), await onHand(b, from), await onHand(a, to), await onHand(b, to)]).toEqual([6, 3, 0, 0]);

      const first = await receive(reference, [{ sku: a, quantity: 3 }]);
      expect(first.transfer).toMatchObject({ status: "PARTIALLY_RECEIVED", version: 3, closedAt: null });
      expect(first.movements.map((m) => [m.type, m.onHandDelta, m.onHandAfter, m.version])).toEqual([["TRANSFER_IN", 3, 3, 1]]);
      expect(await onHand(a, to)).toBe(3);

      const last = await receive(reference, [{ sku: b, quantity: 2 }, { sku: a, quantity: 1 }]);
      expect(last.transfer).toMatchObject({ status: "RECEIVED", version: 4 });
      expect(last.transfer.closedAt).toBeInstanceOf(Date);
      expect([await onHand(a, to), await onHand(b, to)]).toEqual([4, 2]);
      expect(await lines(reference)).toEqual([
        { sku: a, quantity: 4, received: 4, lost: 0 },
        { sku: b, quantity: 2, received: 2, lost: 0 },
      ]);

      expect(await movementsOf(reference)).toEqual([
        { type: "TRANSFER_OUT", sku: a, warehouse: from, onHandDelta: -4, reason: "truck 7" },
        { type: "TRANSFER_OUT", sku: b, warehouse: from, onHandDelta: -2, reason: "truck 7" },
        { type: "TRANSFER_IN", sku: a, warehouse: to, onHandDelta: 3, reason: null },
        // One receipt's movements are numbered in level order (the ledger's lock order), not line order.
        { type: "TRANSFER_IN", sku: a, warehouse: to, onHandDelta: 1, reason: null },
        { type: "TRANSFER_IN", sku: b, warehouse: to, onHandDelta: 2, reason: null },
      ]);
      // What arrived sells like any stock (invariant 5 counts it as come in).
      await stock().deduct({ items: [{ sku: a, quantity: 4, warehouse: to }] }, ACTOR);
      expect(await onHand(a, to)).toBe(0);
      expect(await changes(reference)).toEqual([
        { kind: "CREATED", status: "DRAFT", version: 1, reason: "rebalance", actor: "tester" },
        { kind: "SHIPPED", status: "IN_TRANSIT", version: 2, reason: "truck 7", actor: "tester" },
        { kind: "RECEIPT", status: "PARTIALLY_RECEIVED", version: 3, reason: null, actor: "tester" },
        { kind: "RECEIPT", status: "RECEIVED", version: 4, reason: null, actor: "tester" },
      ]);
    });

    it("shows what is in transit per product and destination until it is received or lost", async () => {
      const { from, to, a, b, reference } = await fixture(10, 5);
      const place = async (sku: string, warehouse: string) => ({
        productId: await fx.t.service.services.catalog.productId(sku),
        warehouseId: (await fx.t.service.services.catalog.warehouse(warehouse)).id,
      });
      const pa = await place(a, to);
      const pb = await place(b, to);
      const origin = await place(a, from);
      const inTransit = async () => {
        const found = await fx.t.service.services.queries.inTransitTo([pa, pb, origin]);
        return [pa, pb, origin].map((p) => found.find((f) => f.productId === p.productId && f.warehouseId === p.warehouseId)?.quantity ?? 0);
      };
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] });
      expect(await inTransit()).toEqual([0, 0, 0]);
      await ship(reference);
      expect(await inTransit()).toEqual([4, 2, 0]);
      await receive(reference, [{ sku: a, quantity: 3 }]);
      expect(await inTransit()).toEqual([1, 2, 0]);
      // A second open transfer to the same place adds up.
      const second = uniqueSku("TR");
      await create({ reference: second, from, to, lines: [{ sku: a, quantity: 2 }] });
      await ship(second);
      expect(await inTransit()).toEqual([3, 2, 0]);
      await close(reference, "pallet dropped");
      expect(await inTransit()).toEqual([2, 0, 0]);
    });

    it("creating again with the same reference and content returns the transfer; other content is DUPLICATE", async () => {
      const { from, to, a, b, reference } = await fixture();
      const first = await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] });
      // The same lines in another order, one of them split in two: the same content.
      const again = await expectNoChange(() =>
        create({ reference, from, to, lines: [{ sku: b, quantity: 2 }, { sku: a, quantity: 1 }, { sku: a, quantity: 3 }], reason: "retry" }),
      );
      expect(again.transfer).toEqual(first.transfer);
      await ship(reference);
      // Still the same transfer, as it is now.
      const later = await expectNoChange(() => create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] }));
      expect(later.transfer).toMatchObject({ id: first.transfer.id, status: "IN_TRANSIT" });

      await expectRefused(() => create({ reference, from, to, lines: [{ sku: a, quantity: 5 }, { sku: b, quantity: 2 }] }), "DUPLICATE");
      await expectRefused(() => create({ reference, from, to, lines: [{ sku: a, quantity: 4 }] }), "DUPLICATE");
      await expectRefused(() => create({ reference, from: to, to: from, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] }), "DUPLICATE");
    });

    it("refuses unknown warehouses, products and transfers, and rejects bad input, changing nothing", async () => {
      const { from, to, a, reference } = await fixture();
      await expectRefused(() => create({ reference, from, to: "NO-SUCH-WH", lines: [{ sku: a, quantity: 1 }] }), "WAREHOUSE_NOT_FOUND");
      await expectRefused(() => create({ reference, from, to, lines: [{ sku: uniqueSku("NOPE"), quantity: 1 }] }), "PRODUCT_NOT_FOUND");
      for (const bad of [
        { reference, from, to: from, lines: [{ sku: a, quantity: 1 }] },
        { reference: "", from, to, lines: [{ sku: a, quantity: 1 }] },
        { reference: "x".repeat(129), from, to, lines: [{ sku: a, quantity: 1 }] },
        { reference: "bad\u0000ref", from, to, lines: [{ sku: a, quantity: 1 }] },
        { reference, from, to, lines: [] },
        { reference, from, to, lines: Array.from({ length: 101 }, () => ({ sku: a, quantity: 1 })) },
        { reference, from, to, lines: [{ sku: a, quantity: 0 }] },
        { reference, from, to, lines: [{ sku: a, quantity: 600_000 }, { sku: a, quantity: 600_000 }] },
        { reference, from, to, lines: [{ sku: a, quantity: 1 }], reason: "x".repeat(501) },
      ]) {
        await expectRejected(() => create(bad));
      }
      for (const op of [() => ship(reference), () => receive(reference, [{ sku: a, quantity: 1 }]), () => close(reference), () => cancel(reference)]) {
        await expectRefused(op, "TRANSFER_NOT_FOUND");
      }
      await create({ reference, from, to, lines: [{ sku: a, quantity: 1 }] });
      await ship(reference);
      await expectRejected(() => close(reference, null));
      await expectRejected(() => close(reference, "  "));
      await expectRejected(() => receive(reference, [{ sku: a, quantity: -1 }]));
      await expectRejected(() => receive(reference, []));
    });

    it("ships all lines or none: a line short of available stock refuses the whole shipment", async () => {
      const { from, to, a, b, reference } = await fixture(10, 5);
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 6 }] });
      const err = await expectRefused(() => ship(reference), "INSUFFICIENT_STOCK");
      expect(err.details).toMatchObject({ sku: b, warehouse: from, requested: 6, available: 5 });

      // Stock held for an order is not available to ship.
      await stock().receive({ sku: b, quantity: 1, warehouse: from }, ACTOR);
      await fx.t.service.services.reservations.reserve({ orderId: uniqueSku("ORDER"), items: [{ sku: b, quantity: 1, warehouse: from }] }, ACTOR);
      const held = await expectRefused(() => ship(reference), "INSUFFICIENT_STOCK");
      expect(held.details).toMatchObject({ sku: b, requested: 6, available: 5 });

      // A product that never had stock at the origin.
      const elsewhere = await newProduct(to, 3);
      const other = uniqueSku("TR");
      await create({ reference: other, from, to, lines: [{ sku: elsewhere, quantity: 1 }] });
      await expectRefused(() => ship(other), "INSUFFICIENT_STOCK");

      await stock().receive({ sku: b, quantity: 1, warehouse: from }, ACTOR);
      expect((await ship(reference)).transfer.status).toBe("IN_TRANSIT");
      expect([await onHand(a, from), await onHand(b, from)]).toEqual([6, 1]);
    });

    it("shipping again returns the transfer and its shipment as they are; a cancelled one cannot ship", async () => {
      const { from, to, a, reference } = await fixture();
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }] });
      const first = await ship(reference);
      const again = await expectNoChange(() => ship(reference));
      expect(again.transfer).toEqual(first.transfer);
      expect(again.movements).toEqual(first.movements);
      await receive(reference, [{ sku: a, quantity: 4 }]);
      const received = await expectNoChange(() => ship(reference));
      expect(received.transfer.status).toBe("RECEIVED");
      expect(received.movements).toEqual(first.movements);

      const other = uniqueSku("TR");
      await create({ reference: other, from, to, lines: [{ sku: a, quantity: 1 }] });
      await cancel(other);
      await expectRefused(() => ship(other), "INVALID_STATE");
    });

    it("refuses to receive more than is outstanding on a line, a product not on the transfer, or a transfer not in transit", async () => {
      const { from, to, a, b, reference } = await fixture(10, 5);
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] });
      await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }]), "INVALID_STATE"); // a DRAFT
      await ship(reference);

      const over = await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }, { sku: b, quantity: 3 }]), "INVALID_QUANTITY");
      expect(over.details).toMatchObject({ sku: b, warehouse: to, requested: 3, available: 2 });
      await receive(reference, [{ sku: a, quantity: 3 }]);
      const rest = await expectRefused(() => receive(reference, [{ sku: a, quantity: 2 }]), "INVALID_QUANTITY");
      expect(rest.details).toMatchObject({ sku: a, requested: 2, available: 1 });
      // Two lines of one sku count as their sum.
      await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }, { sku: a, quantity: 1 }]), "INVALID_QUANTITY");

      const stranger = await newProduct(from, 1);
      const notOn = await expectRefused(() => receive(reference, [{ sku: stranger, quantity: 1 }]), "INVALID_QUANTITY");
      expect(notOn.details).toMatchObject({ sku: stranger, available: 0 });
      await expectRefused(() => receive(reference, [{ sku: uniqueSku("NOPE"), quantity: 1 }]), "PRODUCT_NOT_FOUND");

      await receive(reference, [{ sku: a, quantity: 1 }, { sku: b, quantity: 2 }]);
      await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }]), "INVALID_STATE"); // RECEIVED

      const cancelled = uniqueSku("TR");
      await create({ reference: cancelled, from, to, lines: [{ sku: a, quantity: 1 }] });
      await cancel(cancelled);
      await expectRefused(() => receive(cancelled, [{ sku: a, quantity: 1 }]), "INVALID_STATE");
    });

    it("a retried receipt with its idempotency key counts once", async () => {
      const { from, to, a, reference } = await fixture();
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }] });
      await ship(reference);
      const first = await receive(reference, [{ sku: a, quantity: 2 }], "receipt-1");
      const retry = await expectNoChange(() => receive(reference, [{ sku: a, quantity: 2 }], "receipt-1"));
      expect(retry.transfer).toEqual(first.transfer);
      expect(retry.movements).toEqual(first.movements);
      await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }], "receipt-1"), "IDEMPOTENCY_KEY_REUSED");
      expect(await onHand(a, to)).toBe(2);
      await receive(reference, [{ sku: a, quantity: 2 }], "receipt-2");
      expect(await lines(reference)).toEqual([{ sku: a, quantity: 4, received: 4, lost: 0 }]);
    });

    it("closing short writes off what did not arrive, with the reason; nothing more can arrive after", async () => {
      const { from, to, a, b, reference } = await fixture(10, 5);
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }, { sku: b, quantity: 2 }] });
      await expectRefused(() => close(reference), "INVALID_STATE"); // a DRAFT is cancelled, not closed
      await ship(reference);
      await receive(reference, [{ sku: a, quantity: 3 }]);

      const before = await rows(sql`select id, on_hand, reserved, version from stock_levels order by id`);
      const closed = await close(reference, "pallet dropped");
      expect(closed.movements).toEqual([]);
      expect(closed.transfer).toMatchObject({ status: "RECEIVED", version: 4, closeReason: "pallet dropped" });
      expect(closed.transfer.closedAt).toBeInstanceOf(Date);
      // The lost units left the origin when shipped: no level changes now.
      expect(await rows(sql`select id, on_hand, reserved, version from stock_levels order by id`)).toEqual(before);
      expect(await lines(reference)).toEqual([
        { sku: a, quantity: 4, received: 3, lost: 1 },
        { sku: b, quantity: 2, received: 0, lost: 2 },
      ]);
      expect((await changes(reference)).at(-1)).toEqual({ kind: "CLOSED", status: "RECEIVED", version: 4, reason: "pallet dropped", actor: "tester" });

      await expectRefused(() => receive(reference, [{ sku: a, quantity: 1 }]), "INVALID_STATE");
      const again = await expectNoChange(() => close(reference, "again"));
      expect(again.transfer).toMatchObject({ status: "RECEIVED", version: 4, closeReason: "pallet dropped" });

      // Closing right after shipping loses everything.
      const whole = uniqueSku("TR");
      await create({ reference: whole, from, to, lines: [{ sku: a, quantity: 1 }] });
      await ship(whole);
      await close(whole, "truck stolen");
      expect(await lines(whole)).toEqual([{ sku: a, quantity: 1, received: 0, lost: 1 }]);
    });

    it("cancels only a DRAFT; cancelling again returns it as it is", async () => {
      const { from, to, a, reference } = await fixture();
      await create({ reference, from, to, lines: [{ sku: a, quantity: 4 }] });
      const cancelled = await cancel(reference);
      expect(cancelled.transfer).toMatchObject({ status: "CANCELLED", version: 2, closeReason: "not needed" });
      expect(cancelled.transfer.closedAt).toBeInstanceOf(Date);
      const again = await expectNoChange(() => cancel(reference));
      expect(again.transfer).toEqual(cancelled.transfer);
      expect(await onHand(a, from)).toBe(10);

      const shipped = uniqueSku("TR");
      await create({ reference: shipped, from, to, lines: [{ sku: a, quantity: 4 }] });
      await ship(shipped);
      await expectRefused(() => cancel(shipped), "INVALID_STATE");
      await close(shipped, "gone");
      await expectRefused(() => cancel(shipped), "INVALID_STATE");
    });

    it("raises low-stock alerts at both ends through the ledger", async () => {
      const from = await newWarehouse();
      const to = await newWarehouse();
      const sku = await newProduct(from, 10, 3);
      // The destination had stock once and ran out, so arriving stock is back in stock.
      await stock().receive({ sku, quantity: 1, warehouse: to }, ACTOR);
      await stock().deduct({ items: [{ sku, quantity: 1, warehouse: to }] }, ACTOR);
      const alerts = () =>
        rows<{ kind: string; warehouse: string; before: number; after: number; type: string }>(sql`
          select a.kind::text as kind, w.code as warehouse, a.available_before::int as before, a.available_after::int as after, m.type::text as type
          from stock_alerts a join stock_levels l on l.id = a.level_id join products p on p.id = l.product_id
          join warehouses w on w.id = a.warehouse_id join stock_movements m on m.id = a.movement_id
          where p.sku = ${sku} and m.type in ('TRANSFER_OUT', 'TRANSFER_IN') order by a.id`);
      const reference = uniqueSku("TR");
      await create({ reference, from, to, lines: [{ sku, quantity: 8 }] });
      await ship(reference);
      await receive(reference, [{ sku, quantity: 8 }]);
      expect(await alerts()).toEqual([
        { kind: "LOW_STOCK", warehouse: from, before: 10, after: 2, type: "TRANSFER_OUT" },
        { kind: "BACK_IN_STOCK", warehouse: to, before: 0, after: 8, type: "TRANSFER_IN" },
      ]);
    });
  });
});
