// Every operation and every reservation transition of docs/design.md, called on the
// services directly, on the embedded PGlite and on a real PostgreSQL. Each test
// makes its own products and orders, so the order of tests does not matter.
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sqlState } from "../../src/db/errors.js";
import { InputRejected, type StockErrorCode, StockRefusal } from "../../src/stock/stock.errors.js";
import { hasRealPostgres } from "../support/databases.js";
import { uniqueSku } from "../support/service.js";
import { ACTOR, stockFixture } from "../support/stock-fixture.js";

const DEFAULT_TTL_SECONDS = 1800;

interface Level {
  onHand: number;
  reserved: number;
  available: number;
  version: number;
  threshold: number;
}
interface Movement {
  id: number;
  type: string;
  warehouse: string;
  onHandDelta: number;
  reservedDelta: number;
  onHandAfter: number;
  reservedAfter: number;
  version: number;
  orderId: string | null;
  reason: string | null;
  actor: string;
}
interface Alert {
  kind: string;
  threshold: number;
  before: number;
  after: number;
  movementId: number | null;
}

describe.each(["pglite", "postgres"] as const)("stock service on %s", (backend) => {
  describe.skipIf(backend === "postgres" && !hasRealPostgres())("operations", () => {
    const fx = stockFixture(backend);
    const warehouses = () => fx.services().warehouses;
    const stock = () => fx.services().stock;
    const reservations = () => fx.services().reservations;
    const queries = () => fx.services().queries;
    const rows = <T extends Record<string, unknown>>(q: SQL) => fx.rows<T>(q);
    const newProduct = (initialStock = 0, opts: { threshold?: number; warehouse?: string } = {}) => fx.newProduct(initialStock, opts);
    const newWarehouse = () => fx.newWarehouse();

    const newOrder = () => uniqueSku("ORDER");

    async function level(sku: string, warehouse = "MAIN"): Promise<Level | null> {
      const [row] = await rows<Level & Record<string, unknown>>(sql`
        select l.on_hand::int as "onHand", l.reserved::int as "reserved", (l.on_hand - l.reserved)::int as "available",
               l.version::int as "version", l.low_stock_threshold::int as "threshold"
        from stock_levels l join products p on p.id = l.product_id join warehouses w on w.id = l.warehouse_id
        where p.sku = ${sku} and w.code = ${warehouse}`);
      return row ?? null;
    }

    /** Ledger rows matching `where` (over m: stock_movements, p: products), oldest first. */
    async function movementsWhere(where: SQL): Promise<Movement[]> {
      return rows<Movement & Record<string, unknown>>(sql`
        select m.id::int as "id", m.type::text as "type", w.code as "warehouse", m.on_hand_delta::int as "onHandDelta",
               m.reserved_delta::int as "reservedDelta", m.on_hand_after::int as "onHandAfter",
               m.reserved_after::int as "reservedAfter", m.version::int as "version", m.order_id as "orderId",
               m.reason as "reason", m.actor as "actor"
        from stock_movements m join products p on p.id = m.product_id join warehouses w on w.id = m.warehouse_id
        where ${where} order by m.id`);
    }
    const movements = (sku: string) => movementsWhere(sql`p.sku = ${sku}`);
    const orderMovements = (orderId: string) => movementsWhere(sql`m.order_id = ${orderId}`);

    async function alerts(sku: string): Promise<Alert[]> {
      return rows<Alert & Record<string, unknown>>(sql`
        select a.kind::text as "kind", a.threshold::int as "threshold", a.available_before::int as "before",
               a.available_after::int as "after", a.movement_id::int as "movementId"
        from stock_alerts a join stock_levels l on l.id = a.level_id join products p on p.id = l.product_id
        where p.sku = ${sku} order by a.id`);
    }

    /** Everything a failed mutation must leave as it was (invariant 6). */
    async function snapshot(skus: string[]) {
      const [counts] = await rows(sql`
        select (select count(*) from stock_movements)::int as movements, (select count(*) from stock_alerts)::int as alerts,
               (select count(*) from reservations)::int as reservations, (select count(*) from reservation_lines)::int as lines,
               (select count(*) from deductions)::int as deductions, (select count(*) from products)::int as products,
               (select count(*) from warehouses)::int as warehouses, (select count(*) from stock_levels)::int as levels`);
      const levels =
        skus.length === 0
          ? []
          : await rows(sql`
              select p.sku, w.code, l.on_hand::int as on_hand, l.reserved::int as reserved, l.version::int as version,
                     l.low_stock_threshold::int as threshold, l.updated_at::text as updated_at
              from stock_levels l join products p on p.id = l.product_id join warehouses w on w.id = l.warehouse_id
              where p.sku in ${skus} order by p.sku, w.code`);
      const reservationStates = await rows(sql`select order_id, status::text as status, expires_at::text as expires_at from reservations order by id`);
      return { counts, levels, reservationStates };
    }

    /** Runs a mutation that must be refused with `code` and asserts that it changed nothing. */
    async function expectRefused(skus: string[], mutation: () => Promise<unknown>, code: StockErrorCode): Promise<StockRefusal> {
      const before = await snapshot(skus);
      const err = await mutation().then(
        () => new Error(`expected ${code}, but the mutation succeeded`),
        (e: unknown) => e,
      );
      if (!(err instanceof StockRefusal)) throw err;
      expect(err.code, err.message).toBe(code);
      expect(await snapshot(skus)).toEqual(before);
      return err;
    }

    /** Runs a mutation that must be rejected as bad input before anything is attempted. */
    async function expectRejected(skus: string[], mutation: () => Promise<unknown>): Promise<void> {
      const before = await snapshot(skus);
      await expect(mutation()).rejects.toBeInstanceOf(InputRejected);
      expect(await snapshot(skus)).toEqual(before);
    }

    /** The same mutation again: it must return what it returned before and change nothing. */
    async function expectNoChange<T>(skus: string[], mutation: () => Promise<T>): Promise<T> {
      const before = await snapshot(skus);
      const result = await mutation();
      expect(await snapshot(skus)).toEqual(before);
      return result;
    }

    async function waitPast(deadline: Date): Promise<void> {
      const ms = deadline.getTime() - Date.now() + 150;
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    }

    const reserve = (orderId: string, items: { sku: string; quantity: number; warehouse?: string }[], ttlSeconds?: number) =>
      reservations().reserve({ orderId, items, ttlSeconds }, ACTOR);
    const confirm = (orderId: string) => reservations().confirm({ orderId }, ACTOR);
    const release = (orderId: string, reason?: string) => reservations().release({ orderId, reason }, ACTOR);
    const status = async (orderId: string) => (await queries().reservation(orderId, "default"))?.status ?? null;

    // ------------------------------------------------------------ products and warehouses

    describe("createProduct", () => {
      it("records initial stock as one RECEIVE movement", async () => {
        const sku = uniqueSku("P");
        const product = await stock().createProduct({ sku, name: "Widget", initialStock: 7, lowStockThreshold: 2 }, ACTOR);
        expect(product).toMatchObject({ sku, name: "Widget" });
        expect(await level(sku)).toEqual({ onHand: 7, reserved: 0, available: 7, version: 1, threshold: 2 });
        expect(await movements(sku)).toMatchObject([
          { type: "RECEIVE", warehouse: "MAIN", onHandDelta: 7, reservedDelta: 0, onHandAfter: 7, reservedAfter: 0, version: 1, orderId: null, actor: "tester" },
        ]);
      });

      it("without initial stock makes an empty level and no movement", async () => {
        const sku = await newProduct(0);
        expect(await level(sku)).toEqual({ onHand: 0, reserved: 0, available: 0, version: 0, threshold: 0 });
        expect(await movements(sku)).toEqual([]);
      });

      it("puts the stock in the named warehouse", async () => {
        const code = await newWarehouse();
        const sku = await newProduct(4, { warehouse: code });
        expect(await level(sku, code)).toMatchObject({ onHand: 4, version: 1 });
        expect(await level(sku, "MAIN")).toBeNull();
        expect(await movements(sku)).toMatchObject([{ type: "RECEIVE", warehouse: code, onHandDelta: 4 }]);
      });

      it("refuses a duplicate sku and changes nothing", async () => {
        const sku = await newProduct(5);
        const err = await expectRefused([sku], () => stock().createProduct({ sku, name: "Other", initialStock: 3 }, ACTOR), "DUPLICATE");
        expect(err.details.sku).toBe(sku);
        expect(await queries().product(sku)).toMatchObject({ name: `product ${sku}` });
        expect(await level(sku)).toMatchObject({ onHand: 5, version: 1 });
      });

      it("refuses an unknown warehouse and bad input without creating anything", async () => {
        const sku = uniqueSku("P");
        await expectRefused([sku], () => stock().createProduct({ sku, name: "x", initialStock: 1, warehouse: "NO-SUCH-WH" }, ACTOR), "WAREHOUSE_NOT_FOUND");
        await expectRejected([sku], () => stock().createProduct({ sku: "bad sku!", name: "x" }, ACTOR));
        await expectRejected([sku], () => stock().createProduct({ sku, name: "x", initialStock: -1 }, ACTOR));
        await expectRejected([sku], () => stock().createProduct({ sku, name: "" }, ACTOR));
        expect(await queries().product(sku)).toBeNull();
      });
    });

    describe("createWarehouse", () => {
      it("creates a warehouse that can hold stock at once", async () => {
        const code = uniqueSku("WH");
        const row = await warehouses().create({ code, name: "Second", priority: 5 }, ACTOR);
        expect(row).toMatchObject({ code, name: "Second", priority: 5, active: true });
        const sku = await newProduct(0);
        await stock().receive({ sku, quantity: 3, warehouse: code }, ACTOR);
        expect(await level(sku, code)).toEqual({ onHand: 3, reserved: 0, available: 3, version: 1, threshold: 0 });
      });

      it("refuses a duplicate code and changes nothing", async () => {
        const code = await newWarehouse();
        const err = await expectRefused([], () => warehouses().create({ code, name: "again" }, ACTOR), "DUPLICATE");
        expect(err.details.warehouse).toBe(code);
        await expectRefused([], () => warehouses().create({ code: "MAIN", name: "again" }, ACTOR), "DUPLICATE");
        await expectRejected([], () => warehouses().create({ code: "white space", name: "x" }, ACTOR));
      });
    });

    // ------------------------------------------------------------ receive

    describe("receive", () => {
      it("adds to onHand with one RECEIVE movement and one version per call", async () => {
        const sku = await newProduct(2);
        const first = await stock().receive({ sku, quantity: 5, reason: "PO-1" }, ACTOR);
        expect(first.level).toMatchObject({ onHand: 7, reserved: 0, version: 2 });
        expect(first.movement).toMatchObject({ type: "RECEIVE", onHandDelta: 5, reservedDelta: 0, onHandAfter: 7, version: 2, reason: "PO-1", actor: "tester" });
        await stock().receive({ sku, quantity: 1 }, ACTOR);
        expect(await level(sku)).toEqual({ onHand: 8, reserved: 0, available: 8, version: 3, threshold: 0 });
        expect((await movements(sku)).map((m) => [m.type, m.onHandDelta, m.version])).toEqual([
          ["RECEIVE", 2, 1],
          ["RECEIVE", 5, 2],
          ["RECEIVE", 1, 3],
        ]);
      });

      it("into another warehouse creates that level and leaves the default one alone", async () => {
        const code = await newWarehouse();
        const sku = await newProduct(2);
        await stock().receive({ sku, quantity: 3, warehouse: code }, ACTOR);
        expect(await level(sku, code)).toMatchObject({ onHand: 3, version: 1 });
        expect(await level(sku, "MAIN")).toMatchObject({ onHand: 2, version: 1 });
      });

      it("refuses unknown products and warehouses and rejects bad quantities, changing nothing", async () => {
        const sku = await newProduct(2);
        await expectRefused([sku], () => stock().receive({ sku: uniqueSku("NOPE"), quantity: 1 }, ACTOR), "PRODUCT_NOT_FOUND");
        await expectRefused([sku], () => stock().receive({ sku, quantity: 1, warehouse: "NO-SUCH-WH" }, ACTOR), "WAREHOUSE_NOT_FOUND");
        for (const quantity of [0, -1, 1.5, 1_000_001]) {
          await expectRejected([sku], () => stock().receive({ sku, quantity }, ACTOR));
        }
      });

      it("refuses to push onHand past the integer range, changing nothing", async () => {
        const sku = await newProduct(1);
        await stock().adjust({ sku, countedQuantity: 2 ** 31 - 1, reason: "huge count" }, ACTOR);
        const err = await expectRefused([sku], () => stock().receive({ sku, quantity: 1 }, ACTOR), "INVALID_QUANTITY");
        expect(err.details).toMatchObject({ sku, warehouse: "MAIN", requested: 1 });
      });
    });

    // ------------------------------------------------------------ adjust

    describe("adjust by delta", () => {
      it("records ADJUST movements with their reason", async () => {
        const sku = await newProduct(10);
        const up = await stock().adjust({ sku, delta: 3, reason: "found behind a shelf" }, ACTOR);
        expect(up.movement).toMatchObject({ type: "ADJUST", onHandDelta: 3, reservedDelta: 0, onHandAfter: 13, version: 2, reason: "found behind a shelf" });
        await stock().adjust({ sku, delta: -5, reason: "damaged" }, ACTOR);
        expect(await level(sku)).toMatchObject({ onHand: 8, reserved: 0, version: 3 });
      });

      it("may not take away stock that is reserved or not there", async () => {
        const sku = await newProduct(10);
        await reserve(newOrder(), [{ sku, quantity: 6 }]);
        const err = await expectRefused([sku], () => stock().adjust({ sku, delta: -5, reason: "shrinkage" }, ACTOR), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ sku, warehouse: "MAIN", requested: 5, available: 4 });
        await stock().adjust({ sku, delta: -4, reason: "shrinkage" }, ACTOR);
        expect(await level(sku)).toMatchObject({ onHand: 6, reserved: 6, available: 0 });
        await expectRefused([sku], () => stock().adjust({ sku, delta: -1, reason: "shrinkage" }, ACTOR), "INSUFFICIENT_STOCK");

        const empty = await newProduct(0);
        await expectRefused([empty], () => stock().adjust({ sku: empty, delta: -1, reason: "shrinkage" }, ACTOR), "INSUFFICIENT_STOCK");
      });

      it("rejects malformed requests", async () => {
        const sku = await newProduct(10);
        await expectRejected([sku], () => stock().adjust({ sku, delta: 1, countedQuantity: 3, reason: "both" }, ACTOR));
        await expectRejected([sku], () => stock().adjust({ sku, reason: "neither" }, ACTOR));
        await expectRejected([sku], () => stock().adjust({ sku, delta: 0, reason: "zero" }, ACTOR));
        await expectRejected([sku], () => stock().adjust({ sku, delta: 1, reason: "" }, ACTOR));
        await expectRejected([sku], () => stock().adjust({ sku, delta: 1_000_001, reason: "too much" }, ACTOR));
      });
    });

    describe("adjust by countedQuantity", () => {
      it("records the difference to the count as one ADJUST movement", async () => {
        const sku = await newProduct(10);
        const up = await stock().adjust({ sku, countedQuantity: 12, reason: "stocktake" }, ACTOR);
        expect(up.movement).toMatchObject({ type: "ADJUST", onHandDelta: 2, onHandAfter: 12, version: 2, reason: "stocktake" });
        const down = await stock().adjust({ sku, countedQuantity: 5, reason: "stocktake" }, ACTOR);
        expect(down.movement).toMatchObject({ type: "ADJUST", onHandDelta: -7, onHandAfter: 5, version: 3 });
        expect(await level(sku)).toMatchObject({ onHand: 5, version: 3 });
      });

      it("an equal count records no movement", async () => {
        const sku = await newProduct(10);
        const result = await expectNoChange([sku], () => stock().adjust({ sku, countedQuantity: 10, reason: "stocktake" }, ACTOR));
        expect(result.movement).toBeNull();
        expect(result.level).toMatchObject({ onHand: 10, version: 1 });
      });

      it("a count below what is reserved is refused", async () => {
        const sku = await newProduct(10);
        await reserve(newOrder(), [{ sku, quantity: 4 }]);
        const err = await expectRefused([sku], () => stock().adjust({ sku, countedQuantity: 3, reason: "stocktake" }, ACTOR), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ sku, requested: 4, available: 3 });
        await stock().adjust({ sku, countedQuantity: 4, reason: "stocktake" }, ACTOR);
        expect(await level(sku)).toMatchObject({ onHand: 4, reserved: 4, available: 0, version: 3 });
      });
    });

    describe("expectedVersion", () => {
      it("adjust with a stale version is VERSION_CONFLICT with the current version; the current one is accepted", async () => {
        const sku = await newProduct(10);
        await stock().receive({ sku, quantity: 1 }, ACTOR); // version 2
        const byDelta = await expectRefused([sku], () => stock().adjust({ sku, delta: 1, reason: "r", expectedVersion: 1 }, ACTOR), "VERSION_CONFLICT");
        expect(byDelta.details).toMatchObject({ sku, warehouse: "MAIN", currentVersion: 2 });
        const byCount = await expectRefused([sku], () => stock().adjust({ sku, countedQuantity: 20, reason: "r", expectedVersion: 1 }, ACTOR), "VERSION_CONFLICT");
        expect(byCount.details).toMatchObject({ sku, currentVersion: 2 });

        await stock().adjust({ sku, delta: 1, reason: "r", expectedVersion: 2 }, ACTOR);
        const counted = await stock().adjust({ sku, countedQuantity: 20, reason: "r", expectedVersion: 3 }, ACTOR);
        expect(counted.level).toMatchObject({ onHand: 20, version: 4 });
      });

      it("a stale version wins over an insufficient-stock refusal", async () => {
        const sku = await newProduct(1);
        const err = await expectRefused([sku], () => stock().adjust({ sku, delta: -5, reason: "r", expectedVersion: 0 }, ACTOR), "VERSION_CONFLICT");
        expect(err.details.currentVersion).toBe(1);
      });

      it("setThreshold with a stale version is VERSION_CONFLICT with the current version", async () => {
        const sku = await newProduct(5);
        await stock().receive({ sku, quantity: 1 }, ACTOR); // version 2
        const err = await expectRefused([sku], () => stock().setThreshold({ sku, threshold: 3, expectedVersion: 1 }, ACTOR), "VERSION_CONFLICT");
        expect(err.details).toMatchObject({ sku, warehouse: "MAIN", currentVersion: 2 });
        const ok = await stock().setThreshold({ sku, threshold: 3, expectedVersion: 2 }, ACTOR);
        expect(ok.level).toMatchObject({ lowStockThreshold: 3, version: 3 });
        // Versioned like every change: a second change expecting the same version loses.
        await expectRefused([sku], () => stock().setThreshold({ sku, threshold: 4, expectedVersion: 2 }, ACTOR), "VERSION_CONFLICT");
      });
    });

    // ------------------------------------------------------------ thresholds and alerts

    describe("setThreshold", () => {
      it("changes the threshold with a THRESHOLD movement and a new version, quantities untouched", async () => {
        const sku = await newProduct(5);
        const before = await movements(sku);
        const result = await stock().setThreshold({ sku, threshold: 2 }, ACTOR);
        expect(result.movement).toMatchObject({ type: "THRESHOLD", onHandDelta: 0, reservedDelta: 0, version: 2, thresholdAfter: 2 });
        expect(await level(sku)).toEqual({ onHand: 5, reserved: 0, available: 5, version: 2, threshold: 2 });
        expect((await movements(sku)).slice(0, before.length)).toEqual(before);
        await expectRejected([sku], () => stock().setThreshold({ sku, threshold: -1 }, ACTOR));
      });

      it("a threshold change that crosses the available quantity alerts once", async () => {
        const sku = await newProduct(5);
        const seen = (await alerts(sku)).length;
        await stock().setThreshold({ sku, threshold: 10 }, ACTOR);
        await stock().setThreshold({ sku, threshold: 8 }, ACTOR); // still low: no new alert
        await stock().setThreshold({ sku, threshold: 3 }, ACTOR);
        await stock().setThreshold({ sku, threshold: 4 }, ACTOR); // still fine: no new alert
        expect((await alerts(sku)).slice(seen)).toEqual([
          { kind: "LOW_STOCK", threshold: 10, before: 5, after: 5, movementId: expect.any(Number) },
          { kind: "BACK_IN_STOCK", threshold: 3, before: 5, after: 5, movementId: expect.any(Number) },
        ]);

        const empty = await newProduct(0);
        await stock().setThreshold({ sku: empty, threshold: 5 }, ACTOR); // nothing there: neither low nor back
        expect(await alerts(empty)).toEqual([]);
      });
    });

    describe("alerts", () => {
      it("fire once per crossing, not once per change", async () => {
        const sku = await newProduct(10, { threshold: 3 });
        const seen = (await alerts(sku)).length;
        const orders: string[] = [];
        for (let i = 0; i < 9; i++) {
          // available 10 → 1: into LOW_STOCK once, at 3
          const o = newOrder();
          orders.push(o);
          await reserve(o, [{ sku, quantity: 1 }]);
        }
        await stock().deduct({ items: [{ sku, quantity: 1 }] }, ACTOR); // 1 → 0
        await stock().receive({ sku, quantity: 1 }, ACTOR); // 0 → 1: still low, no alert
        await stock().receive({ sku, quantity: 5 }, ACTOR); // 1 → 6: back
        await stock().receive({ sku, quantity: 1 }, ACTOR); // 6 → 7
        await confirm(orders[0]!); // available unchanged
        await release(orders[1]!); // 7 → 8
        await stock().adjust({ sku, delta: -8, reason: "flood" }, ACTOR); // 8 → 0 at once: out, not low
        await release(orders[2]!); // 0 → 1

        const fired = (await alerts(sku)).slice(seen);
        expect(fired.map((a) => [a.kind, a.before, a.after, a.threshold])).toEqual([
          ["LOW_STOCK", 4, 3, 3],
          ["OUT_OF_STOCK", 1, 0, 3],
          ["BACK_IN_STOCK", 1, 6, 3],
          ["OUT_OF_STOCK", 8, 0, 3],
        ]);
        const byId = new Map((await movements(sku)).map((m) => [m.id, m.type]));
        expect(fired.map((a) => byId.get(a.movementId!))).toEqual(["RESERVE", "DEDUCT", "RECEIVE", "ADJUST"]);
      });

      it("stocktake counts cross too", async () => {
        const sku = await newProduct(5, { threshold: 2 });
        const seen = (await alerts(sku)).length;
        await stock().adjust({ sku, countedQuantity: 2, reason: "count" }, ACTOR);
        await stock().adjust({ sku, countedQuantity: 1, reason: "count" }, ACTOR);
        await stock().adjust({ sku, countedQuantity: 0, reason: "count" }, ACTOR);
        await stock().adjust({ sku, countedQuantity: 3, reason: "count" }, ACTOR);
        const fired = (await alerts(sku)).slice(seen);
        expect(fired.map((a) => [a.kind, a.before, a.after])).toEqual([
          ["LOW_STOCK", 5, 2],
          ["OUT_OF_STOCK", 1, 0],
          ["BACK_IN_STOCK", 0, 3],
        ]);
        const byId = new Map((await movements(sku)).map((m) => [m.id, m.type]));
        expect(fired.every((a) => byId.get(a.movementId!) === "ADJUST")).toBe(true);
      });

      it("a refused change raises no alert", async () => {
        const sku = await newProduct(4, { threshold: 3 });
        await expectRefused([sku], () => reserve(newOrder(), [{ sku, quantity: 5 }]), "INSUFFICIENT_STOCK");
        await expectRefused([sku], () => stock().deduct({ items: [{ sku, quantity: 5 }] }, ACTOR), "INSUFFICIENT_STOCK");
      });
    });

    // ------------------------------------------------------------ reserve

    describe("reserve", () => {
      it("holds stock for an order", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        const r = await reserve(orderId, [{ sku, quantity: 3 }]);
        expect(r).toMatchObject({ orderId, status: "ACTIVE", actor: "tester" });
        const ttl = (r.expiresAt.getTime() - r.createdAt.getTime()) / 1000;
        expect(ttl).toBeGreaterThan(DEFAULT_TTL_SECONDS - 5);
        expect(ttl).toBeLessThanOrEqual(DEFAULT_TTL_SECONDS + 5);
        expect(await level(sku)).toMatchObject({ onHand: 10, reserved: 3, available: 7, version: 2 });
        expect(await orderMovements(orderId)).toMatchObject([{ type: "RESERVE", onHandDelta: 0, reservedDelta: 3, reservedAfter: 3, version: 2, orderId }]);
        expect(await reservations().lines([r.id])).toMatchObject([{ sku, warehouseCode: "MAIN", quantity: 3 }]);
      });

      it("takes all lines or none: one short line leaves everything as it was", async () => {
        // The short product is created last, so its level is updated last and the others must roll back.
        const a = await newProduct(10);
        const b = await newProduct(10);
        const short = await newProduct(1);
        const orderId = newOrder();
        const err = await expectRefused(
          [a, b, short],
          () => reserve(orderId, [{ sku: a, quantity: 2 }, { sku: short, quantity: 2 }, { sku: b, quantity: 2 }]),
          "INSUFFICIENT_STOCK",
        );
        // The line named no warehouse: no warehouse (here, only MAIN) can serve it.
        expect(err.details).toMatchObject({ sku: short, requested: 2, available: 1 });
        expect(await queries().reservation(orderId, "default")).toBeNull();
        expect(await orderMovements(orderId)).toEqual([]);

        // The refusal did not keep the orderId: it can be used once the stock is there.
        await stock().receive({ sku: short, quantity: 1 }, ACTOR);
        const r = await reserve(orderId, [{ sku: a, quantity: 2 }, { sku: short, quantity: 2 }, { sku: b, quantity: 2 }]);
        expect(r.status).toBe("ACTIVE");
        expect(await level(short)).toMatchObject({ onHand: 2, reserved: 2 });
      });

      it("the same orderId with the same lines returns the same reservation; other lines are DUPLICATE", async () => {
        const a = await newProduct(10);
        const b = await newProduct(10);
        const orderId = newOrder();
        const first = await reserve(orderId, [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }]);
        const again = await expectNoChange([a, b], () => reserve(orderId, [{ sku: b, quantity: 1 }, { sku: a, quantity: 2, warehouse: "MAIN" }]));
        expect(again).toEqual(first);

        await expectRefused([a, b], () => reserve(orderId, [{ sku: a, quantity: 3 }, { sku: b, quantity: 1 }]), "DUPLICATE");
        await expectRefused([a, b], () => reserve(orderId, [{ sku: a, quantity: 2 }]), "DUPLICATE");
        await expectRefused([a, b], () => reserve(orderId, [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }, { sku: b, quantity: 1 }]), "DUPLICATE");
        expect(await orderMovements(orderId)).toHaveLength(2);

        // Once the order has moved on, repeating the reserve still returns it as it is.
        await release(orderId);
        const released = await expectNoChange([a, b], () => reserve(orderId, [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }]));
        expect(released).toMatchObject({ id: first.id, status: "RELEASED" });
      });

      it("lines of the same sku and warehouse count as one line of their sum", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        const r = await reserve(orderId, [
          { sku, quantity: 2 },
          { sku, quantity: 3, warehouse: "MAIN" },
          { sku, quantity: 1 },
        ]);
        expect(await reservations().lines([r.id])).toMatchObject([{ sku, quantity: 6 }]);
        expect(await orderMovements(orderId)).toMatchObject([{ type: "RESERVE", reservedDelta: 6 }]);
        expect(await level(sku)).toMatchObject({ reserved: 6, version: 2 });
        expect(await expectNoChange([sku], () => reserve(orderId, [{ sku, quantity: 6 }]))).toEqual(r);

        const small = await newProduct(5);
        const err = await expectRefused([small], () => reserve(newOrder(), [{ sku: small, quantity: 3 }, { sku: small, quantity: 3 }]), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ requested: 6, available: 5 });
      });

      it("refuses unknown products, unknown warehouses and warehouses without the product", async () => {
        const sku = await newProduct(10);
        const code = await newWarehouse();
        const orders = [newOrder(), newOrder(), newOrder()];
        await expectRefused([sku], () => reserve(orders[0]!, [{ sku, quantity: 1 }, { sku: uniqueSku("NOPE"), quantity: 1 }]), "PRODUCT_NOT_FOUND");
        await expectRefused([sku], () => reserve(orders[1]!, [{ sku, quantity: 1 }, { sku, quantity: 1, warehouse: "NO-SUCH-WH" }]), "WAREHOUSE_NOT_FOUND");
        const err = await expectRefused([sku], () => reserve(orders[2]!, [{ sku, quantity: 1 }, { sku, quantity: 1, warehouse: code }]), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ sku, warehouse: code, available: 0 });
        for (const o of orders) expect(await queries().reservation(o, "default")).toBeNull();
      });

      it("rejects malformed requests", async () => {
        const sku = await newProduct(10);
        await expectRejected([sku], () => reserve(newOrder(), []));
        await expectRejected([sku], () => reserve(newOrder(), [{ sku, quantity: 0 }]));
        await expectRejected([sku], () => reserve(newOrder(), [{ sku, quantity: 1 }], 0));
        await expectRejected([sku], () => reserve(newOrder(), [{ sku, quantity: 1 }], 86_401));
        await expectRejected([sku], () => reserve("", [{ sku, quantity: 1 }]));
        await expectRejected([sku], () => reserve("x".repeat(129), [{ sku, quantity: 1 }]));
        await expectRejected([sku], () => reserve(newOrder(), Array.from({ length: 101 }, () => ({ sku, quantity: 1 }))));
      });
    });

    // ------------------------------------------------------------ confirm and release

    describe("confirm", () => {
      it("turns the hold into a sale; repeating it returns the reservation unchanged", async () => {
        const a = await newProduct(10);
        const b = await newProduct(5);
        const orderId = newOrder();
        const r = await reserve(orderId, [{ sku: a, quantity: 3 }, { sku: b, quantity: 2 }]);
        const confirmed = await reservations().confirm({ orderId, reason: "paid" }, ACTOR);
        expect(confirmed).toMatchObject({ id: r.id, status: "CONFIRMED" });
        expect(await level(a)).toMatchObject({ onHand: 7, reserved: 0, version: 3 });
        expect(await level(b)).toMatchObject({ onHand: 3, reserved: 0, version: 3 });
        const sold = (await orderMovements(orderId)).filter((m) => m.type === "CONFIRM");
        expect(sold.map((m) => [m.onHandDelta, m.reservedDelta, m.reason]).sort()).toEqual([
          [-2, -2, "paid"],
          [-3, -3, "paid"],
        ]);

        const again = await expectNoChange([a, b], () => confirm(orderId));
        expect(again).toMatchObject({ id: r.id, status: "CONFIRMED" });
      });

      it("after release is INVALID_STATE", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        await reserve(orderId, [{ sku, quantity: 3 }]);
        await release(orderId);
        await expectRefused([sku], () => confirm(orderId), "INVALID_STATE");
        expect(await status(orderId)).toBe("RELEASED");
      });

      it("of an unknown order is RESERVATION_NOT_FOUND", async () => {
        await expectRefused([], () => confirm(newOrder()), "RESERVATION_NOT_FOUND");
        await expectRefused([], () => release(newOrder()), "RESERVATION_NOT_FOUND");
      });
    });

    describe("release", () => {
      it("gives the held stock back; repeating it returns the reservation unchanged", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        const r = await reserve(orderId, [{ sku, quantity: 4 }]);
        const released = await release(orderId, "customer cancelled");
        expect(released).toMatchObject({ id: r.id, status: "RELEASED" });
        expect(await level(sku)).toMatchObject({ onHand: 10, reserved: 0, available: 10, version: 3 });
        expect((await orderMovements(orderId)).at(-1)).toMatchObject({ type: "RELEASE", onHandDelta: 0, reservedDelta: -4, reason: "customer cancelled" });

        expect(await expectNoChange([sku], () => release(orderId))).toMatchObject({ id: r.id, status: "RELEASED" });
      });

      it("after confirm is INVALID_STATE", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        await reserve(orderId, [{ sku, quantity: 4 }]);
        await confirm(orderId);
        await expectRefused([sku], () => release(orderId), "INVALID_STATE");
        expect(await status(orderId)).toBe("CONFIRMED");
        expect(await level(sku)).toMatchObject({ onHand: 6, reserved: 0 });
      });
    });

    // ------------------------------------------------------------ expiry and extension

    describe("expiry", () => {
      it("an overdue ACTIVE hold cannot be confirmed or extended; expiry returns the stock exactly once", async () => {
        const a = await newProduct(10);
        const b = await newProduct(10);
        const orderId = newOrder();
        const other = newOrder();
        const r = await reserve(orderId, [{ sku: a, quantity: 4 }, { sku: b, quantity: 1 }], 1);
        await reserve(other, [{ sku: a, quantity: 1 }]); // default TTL: must survive the sweep
        await waitPast(r.expiresAt);

        // Past the deadline but not swept yet.
        await expectRefused([a, b], () => confirm(orderId), "RESERVATION_EXPIRED");
        await expectRefused([a, b], () => reservations().extend({ orderId, ttlSeconds: 600 }, ACTOR), "RESERVATION_EXPIRED");
        expect(await status(orderId)).toBe("ACTIVE");

        expect(await reservations().expireOverdue(ACTOR)).toBeGreaterThanOrEqual(1);
        expect(await status(orderId)).toBe("EXPIRED");
        expect(await status(other)).toBe("ACTIVE");
        const expired = (await orderMovements(orderId)).filter((m) => m.type === "EXPIRE");
        expect(expired.map((m) => [m.onHandDelta, m.reservedDelta]).sort()).toEqual([
          [0, -1],
          [0, -4],
        ]);
        expect(await level(a)).toMatchObject({ onHand: 10, reserved: 1 });
        expect(await level(b)).toMatchObject({ onHand: 10, reserved: 0 });

        // A second sweep does not expire it again.
        await reservations().expireOverdue(ACTOR);
        expect((await orderMovements(orderId)).filter((m) => m.type === "EXPIRE")).toHaveLength(2);

        // From EXPIRED: confirm is RESERVATION_EXPIRED, release INVALID_STATE, extend RESERVATION_EXPIRED.
        await expectRefused([a, b], () => confirm(orderId), "RESERVATION_EXPIRED");
        await expectRefused([a, b], () => release(orderId), "INVALID_STATE");
        await expectRefused([a, b], () => reservations().extend({ orderId, ttlSeconds: 600 }, ACTOR), "RESERVATION_EXPIRED");
        // Repeating the reserve returns the reservation as it is.
        const repeated = await expectNoChange([a, b], () => reserve(orderId, [{ sku: a, quantity: 4 }, { sku: b, quantity: 1 }], 1));
        expect(repeated).toMatchObject({ id: r.id, status: "EXPIRED" });
      });

      it("an overdue ACTIVE hold can still be released", async () => {
        const sku = await newProduct(5);
        const orderId = newOrder();
        const r = await reserve(orderId, [{ sku, quantity: 2 }], 1);
        await waitPast(r.expiresAt);
        expect(await release(orderId)).toMatchObject({ status: "RELEASED" });
        await reservations().expireOverdue(ACTOR);
        expect(await status(orderId)).toBe("RELEASED");
        expect((await orderMovements(orderId)).map((m) => m.type)).toEqual(["RESERVE", "RELEASE"]);
        expect(await level(sku)).toMatchObject({ onHand: 5, reserved: 0 });
      });
    });

    describe("extend", () => {
      it("gives an ACTIVE reservation a new deadline that the sweep respects", async () => {
        const sku = await newProduct(5);
        const orderId = newOrder();
        const r = await reserve(orderId, [{ sku, quantity: 2 }], 1);
        const levelBefore = await level(sku);
        const extended = await reservations().extend({ orderId, ttlSeconds: 600 }, ACTOR);
        expect(extended).toMatchObject({ id: r.id, status: "ACTIVE" });
        expect(extended.expiresAt.getTime()).toBeGreaterThan(r.expiresAt.getTime() + 590_000);
        expect((await queries().reservation(orderId, "default"))?.expiresAt).toEqual(extended.expiresAt);
        // A new deadline is not a stock change: no movement, no new version.
        expect(await level(sku)).toEqual(levelBefore);
        expect(await orderMovements(orderId)).toHaveLength(1);

        await waitPast(r.expiresAt);
        await reservations().expireOverdue(ACTOR);
        expect(await status(orderId)).toBe("ACTIVE");
        expect(await confirm(orderId)).toMatchObject({ status: "CONFIRMED" });
        expect((await orderMovements(orderId)).map((m) => m.type)).toEqual(["RESERVE", "CONFIRM"]);
      });

      it("refuses final and unknown reservations", async () => {
        const sku = await newProduct(5);
        const confirmed = newOrder();
        const released = newOrder();
        await reserve(confirmed, [{ sku, quantity: 1 }]);
        await confirm(confirmed);
        await reserve(released, [{ sku, quantity: 1 }]);
        await release(released);
        await expectRefused([sku], () => reservations().extend({ orderId: confirmed, ttlSeconds: 600 }, ACTOR), "INVALID_STATE");
        await expectRefused([sku], () => reservations().extend({ orderId: released, ttlSeconds: 600 }, ACTOR), "INVALID_STATE");
        await expectRefused([sku], () => reservations().extend({ orderId: newOrder(), ttlSeconds: 600 }, ACTOR), "RESERVATION_NOT_FOUND");
        await expectRejected([sku], () => reservations().extend({ orderId: confirmed, ttlSeconds: 0 }, ACTOR));
      });
    });

    // ------------------------------------------------------------ deduct

    describe("deduct", () => {
      it("sells without a reservation and returns the movements in line order", async () => {
        const a = await newProduct(10);
        const b = await newProduct(10);
        const orderId = newOrder();
        const moved = await stock().deduct({ orderId, items: [{ sku: b, quantity: 2 }, { sku: a, quantity: 3 }], reason: "POS" }, ACTOR);
        expect(moved.map((m) => [m.type, m.onHandDelta, m.reservedDelta, m.orderId, m.reason])).toEqual([
          ["DEDUCT", -2, 0, orderId, "POS"],
          ["DEDUCT", -3, 0, orderId, "POS"],
        ]);
        expect(await level(a)).toMatchObject({ onHand: 7, version: 2 });
        expect(await level(b)).toMatchObject({ onHand: 8, version: 2 });
      });

      it("takes all lines or none", async () => {
        const a = await newProduct(10);
        const short = await newProduct(1);
        const orderId = newOrder();
        const items = [{ sku: a, quantity: 2 }, { sku: short, quantity: 2 }];
        const err = await expectRefused([a, short], () => stock().deduct({ orderId, items }, ACTOR), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ sku: short, requested: 2, available: 1 });
        // The orderId was not used up by the refusal.
        await stock().receive({ sku: short, quantity: 1 }, ACTOR);
        expect(await stock().deduct({ orderId, items }, ACTOR)).toHaveLength(2);
        expect(await level(a)).toMatchObject({ onHand: 8 });
      });

      it("a repeated orderId does not deduct twice and returns the first movements; other lines are DUPLICATE", async () => {
        const a = await newProduct(10);
        const b = await newProduct(10);
        const orderId = newOrder();
        const items = [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }];
        const first = await stock().deduct({ orderId, items }, ACTOR);
        const again = await expectNoChange([a, b], () => stock().deduct({ orderId, items: [...items].reverse() }, ACTOR));
        expect(again.map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
        await expectRefused([a, b], () => stock().deduct({ orderId, items: [{ sku: a, quantity: 3 }, { sku: b, quantity: 1 }] }, ACTOR), "DUPLICATE");
        await expectRefused([a, b], () => stock().deduct({ orderId, items: [{ sku: a, quantity: 2 }] }, ACTOR), "DUPLICATE");
        expect(await level(a)).toMatchObject({ onHand: 8 });

        // Without an orderId every call is a sale of its own.
        await stock().deduct({ items: [{ sku: a, quantity: 1 }] }, ACTOR);
        await stock().deduct({ items: [{ sku: a, quantity: 1 }] }, ACTOR);
        expect(await level(a)).toMatchObject({ onHand: 6 });
      });

      it("lines of the same sku and warehouse count as their sum", async () => {
        const sku = await newProduct(5);
        const err = await expectRefused(
          [sku],
          () => stock().deduct({ orderId: newOrder(), items: [{ sku, quantity: 3, warehouse: "MAIN" }, { sku, quantity: 3, warehouse: "MAIN" }] }, ACTOR),
          "INSUFFICIENT_STOCK",
        );
        expect(err.details).toMatchObject({ sku, requested: 6, available: 5 });

        await stock().receive({ sku, quantity: 5 }, ACTOR);
        const orderId = newOrder();
        const first = await stock().deduct({ orderId, items: [{ sku, quantity: 3, warehouse: "MAIN" }, { sku, quantity: 3, warehouse: "MAIN" }] }, ACTOR);
        expect(first.map((m) => [m.type, m.onHandDelta])).toEqual([["DEDUCT", -6]]);
        // The same sale spelled as one line is the same sale.
        const again = await expectNoChange([sku], () => stock().deduct({ orderId, items: [{ sku, quantity: 6 }] }, ACTOR));
        expect(again.map((m) => m.id)).toEqual(first.map((m) => m.id));
        expect(await level(sku)).toMatchObject({ onHand: 4 });
      });

      it("may not sell reserved stock or stock of another warehouse", async () => {
        const sku = await newProduct(5);
        const code = await newWarehouse();
        await reserve(newOrder(), [{ sku, quantity: 3 }]);
        const err = await expectRefused([sku], () => stock().deduct({ orderId: newOrder(), items: [{ sku, quantity: 3 }] }, ACTOR), "INSUFFICIENT_STOCK");
        expect(err.details).toMatchObject({ requested: 3, available: 2 });
        await expectRefused([sku], () => stock().deduct({ items: [{ sku, quantity: 1, warehouse: code }] }, ACTOR), "INSUFFICIENT_STOCK");
        await expectRefused([sku], () => stock().deduct({ items: [{ sku: uniqueSku("NOPE"), quantity: 1 }] }, ACTOR), "PRODUCT_NOT_FOUND");
        await expectRejected([sku], () => stock().deduct({ items: [] }, ACTOR));
      });
    });

    // ------------------------------------------------------------ return

    describe("returnStock", () => {
      it("with an orderId takes back at most what that order bought there", async () => {
        const sku = await newProduct(10);
        const orderId = newOrder();
        await reserve(orderId, [{ sku, quantity: 4 }]);
        await confirm(orderId);
        const over = await expectRefused([sku], () => stock().returnStock({ sku, quantity: 5, orderId }, ACTOR), "INVALID_QUANTITY");
        expect(over.details).toMatchObject({ sku, requested: 5, available: 4 });

        const back = await stock().returnStock({ sku, quantity: 3, orderId, reason: "too small" }, ACTOR);
        expect(back.movement).toMatchObject({ type: "RETURN", onHandDelta: 3, reservedDelta: 0, orderId, reason: "too small" });
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 2, orderId }, ACTOR), "INVALID_QUANTITY");
        await stock().returnStock({ sku, quantity: 1, orderId }, ACTOR);
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 1, orderId }, ACTOR), "INVALID_QUANTITY");
        expect(await level(sku)).toMatchObject({ onHand: 10, reserved: 0 });

        // A direct sale can be returned the same way.
        const sale = newOrder();
        await stock().deduct({ orderId: sale, items: [{ sku, quantity: 2 }] }, ACTOR);
        await stock().returnStock({ sku, quantity: 2, orderId: sale }, ACTOR);
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 1, orderId: sale }, ACTOR), "INVALID_QUANTITY");
      });

      it("with an orderId that bought nothing there is refused", async () => {
        const sku = await newProduct(10);
        const code = await newWarehouse();
        const held = newOrder();
        await reserve(held, [{ sku, quantity: 2 }]); // held, not bought
        const bought = newOrder();
        await stock().deduct({ orderId: bought, items: [{ sku, quantity: 1 }] }, ACTOR);
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 1, orderId: held }, ACTOR), "RESERVATION_NOT_FOUND");
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 1, orderId: newOrder() }, ACTOR), "RESERVATION_NOT_FOUND");
        await expectRefused([sku], () => stock().returnStock({ sku, quantity: 1, orderId: bought, warehouse: code }, ACTOR), "RESERVATION_NOT_FOUND");
      });

      it("without an orderId is a plain RETURN", async () => {
        const sku = await newProduct(0);
        const back = await stock().returnStock({ sku, quantity: 4, reason: "walk-in" }, ACTOR);
        expect(back.movement).toMatchObject({ type: "RETURN", onHandDelta: 4, orderId: null, reason: "walk-in", version: 1 });
        expect(await level(sku)).toMatchObject({ onHand: 4, reserved: 0 });
        await expectRejected([sku], () => stock().returnStock({ sku, quantity: 0 }, ACTOR));
      });
    });

    // ------------------------------------------------------------ checkStock

    describe("check", () => {
      it("reports availability per line and writes nothing", async () => {
        const a = await newProduct(10);
        const b = await newProduct(0);
        const code = await newWarehouse();
        await reserve(newOrder(), [{ sku: a, quantity: 4 }]);
        const lines = await expectNoChange([a, b], () =>
          stock().check([
            { sku: a, quantity: 5 },
            { sku: b, quantity: 1 },
            { sku: a, quantity: 1 },
            { sku: a, quantity: 1, warehouse: code },
          ]),
        );
        const main = (await fx.t.service.services.catalog.warehouse("MAIN")).id;
        expect(lines).toEqual([
          { sku: a, requested: 6, available: 6, sufficient: true, sources: [{ warehouseId: main, quantity: 6 }] },
          { sku: b, requested: 1, available: 0, sufficient: false, sources: [] },
          { sku: a, requested: 1, available: 0, sufficient: false, sources: [] },
        ]);
        // Lines naming one warehouse are one place: the lines count as their sum.
        expect(await stock().check([{ sku: a, quantity: 4, warehouse: "MAIN" }, { sku: a, quantity: 3, warehouse: "MAIN" }])).toEqual([
          { sku: a, requested: 7, available: 6, sufficient: false, sources: [] },
        ]);
        await expect(stock().check([{ sku: uniqueSku("NOPE"), quantity: 1 }])).rejects.toMatchObject({ code: "PRODUCT_NOT_FOUND" });
        await expect(stock().check([{ sku: a, quantity: 1, warehouse: "NO-SUCH-WH" }])).rejects.toMatchObject({ code: "WAREHOUSE_NOT_FOUND" });
        await expect(stock().check([])).rejects.toBeInstanceOf(InputRejected);
      });
    });

    // ------------------------------------------------------------ concurrent callers on one service

    describe("concurrent callers", () => {
      it("never hold more than is there, and each order is all or nothing", async () => {
        const a = await newProduct(5);
        const b = await newProduct(8);
        const orders = Array.from({ length: 12 }, () => newOrder());
        const outcomes = await Promise.all(
          orders.map((o) =>
            reserve(o, [{ sku: b, quantity: 1 }, { sku: a, quantity: 1 }]).then(
              () => "ok",
              (e: unknown) => (e instanceof StockRefusal ? e.code : e),
            ),
          ),
        );
        expect(outcomes.filter((x) => x === "ok")).toHaveLength(5);
        expect(outcomes.filter((x) => x === "INSUFFICIENT_STOCK")).toHaveLength(7);
        expect(await level(a)).toMatchObject({ reserved: 5, available: 0 });
        expect(await level(b)).toMatchObject({ reserved: 5, available: 3 });
        for (const [i, o] of orders.entries()) {
          expect((await orderMovements(o)).length).toBe(outcomes[i] === "ok" ? 2 : 0);
        }
      });
    });

    // ------------------------------------------------------------ the ledger

    describe("ledger", () => {
      it("is append-only: UPDATE and DELETE of movements and alerts raise an error", async () => {
        const sku = await newProduct(2, { threshold: 5 });
        await stock().deduct({ items: [{ sku, quantity: 2 }] }, ACTOR); // OUT_OF_STOCK alert
        const [m] = await movements(sku);
        const before = await movements(sku);
        const fired = await alerts(sku);
        expect(fired.length).toBeGreaterThan(0);
        const alertId = (await rows<{ id: number }>(sql`select max(a.id)::int as id from stock_alerts a join stock_levels l on l.id = a.level_id join products p on p.id = l.product_id where p.sku = ${sku}`))[0]!.id;

        /** The SQLSTATE the statement failed with (drizzle wraps the driver's error). */
        const failure = (q: SQL) => rows(q).then(() => "no error", (e: unknown) => sqlState(e));
        const RESTRICT_VIOLATION = "23001";
        expect(await failure(sql`update stock_movements set reason = 'rewritten' where id = ${m!.id}`)).toBe(RESTRICT_VIOLATION);
        expect(await failure(sql`update stock_movements set on_hand_delta = 0 where level_id = (select level_id from stock_movements where id = ${m!.id})`)).toBe(
          RESTRICT_VIOLATION,
        );
        expect(await failure(sql`delete from stock_movements where id = ${m!.id}`)).toBe(RESTRICT_VIOLATION);
        expect(await failure(sql`update stock_alerts set kind = 'LOW_STOCK' where id = ${alertId}`)).toBe(RESTRICT_VIOLATION);
        expect(await failure(sql`delete from stock_alerts where id = ${alertId}`)).toBe(RESTRICT_VIOLATION);

        expect(await movements(sku)).toEqual(before);
        expect(await alerts(sku)).toEqual(fired);
      });

      it("numbers each level's movements 1, 2, 3, … with onHand and reserved after each", async () => {
        const sku = await newProduct(5);
        const orderId = newOrder();
        await reserve(orderId, [{ sku, quantity: 2 }]);
        await confirm(orderId);
        await stock().receive({ sku, quantity: 3 }, ACTOR);
        await stock().returnStock({ sku, quantity: 1, orderId }, ACTOR);
        expect((await movements(sku)).map((m) => [m.type, m.version, m.onHandAfter, m.reservedAfter])).toEqual([
          ["RECEIVE", 1, 5, 0],
          ["RESERVE", 2, 5, 2],
          ["CONFIRM", 3, 3, 0],
          ["RECEIVE", 4, 6, 0],
          ["RETURN", 5, 7, 0],
        ]);
      });
    });
  });
});
