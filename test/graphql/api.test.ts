// Every Query and Mutation of the API contract, called over real HTTP against
// the whole service, on PGlite and on real PostgreSQL; plus N+1 checks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { statements as countStatements, fingerprint, must, settle } from "./helpers.js";

const LEVEL = `id onHand reserved available lowStockThreshold lowStock version updatedAt warehouse { code } product { sku }`;
const MOVEMENT = `id sequence type sku warehouse onHandDelta reservedDelta onHandAfter reservedAfter availableAfter version orderId reason actor createdAt`;
const ERRORS = `errors { code message sku warehouse requested available currentVersion }`;
const RESERVATION = `id orderId status expiresAt createdAt updatedAt lines { sku quantity product { sku name } warehouse { code } }`;

const CREATE_WAREHOUSE = `mutation($input: CreateWarehouseInput!) { createWarehouse(input: $input) { warehouse { id code name priority active } ${ERRORS} } }`;
const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku name createdAt updatedAt stock { onHand reserved available lowStock outOfStock } levels { ${LEVEL} } } ${ERRORS} } }`;
const RECEIVE = `mutation($input: ReceiveStockInput!) { receiveStock(input: $input) { level { ${LEVEL} } movement { ${MOVEMENT} } ${ERRORS} } }`;
const ADJUST = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { level { ${LEVEL} } movement { ${MOVEMENT} } ${ERRORS} } }`;
const THRESHOLD = `mutation($input: SetLowStockThresholdInput!) { setLowStockThreshold(input: $input) { level { ${LEVEL} } movement { id } ${ERRORS} } }`;
const RESERVE = `mutation($input: ReserveStockInput!) { reserveStock(input: $input) { reservation { ${RESERVATION} } ${ERRORS} } }`;
const CONFIRM = `mutation($input: OrderRefInput!) { confirmReservation(input: $input) { reservation { ${RESERVATION} } ${ERRORS} } }`;
const RELEASE = `mutation($input: OrderRefInput!) { releaseReservation(input: $input) { reservation { ${RESERVATION} } ${ERRORS} } }`;
const EXTEND = `mutation($input: ExtendReservationInput!) { extendReservation(input: $input) { reservation { ${RESERVATION} } ${ERRORS} } }`;
const DEDUCT = `mutation($input: DeductStockInput!) { deductStock(input: $input) { movements { ${MOVEMENT} } ${ERRORS} } }`;
const RETURN = `mutation($input: ReturnStockInput!) { returnStock(input: $input) { level { ${LEVEL} } movement { ${MOVEMENT} } ${ERRORS} } }`;
const EXPIRE = `mutation { expireReservations { expiredCount } }`;
const PRODUCT = `query($sku: String!) { product(sku: $sku) { id sku name stock { onHand reserved available lowStock outOfStock } levels { ${LEVEL} } } }`;
const RESERVATION_Q = `query($orderId: String!) { reservation(orderId: $orderId) { ${RESERVATION} } }`;
const MOVEMENTS = `query($sku: String, $warehouse: String, $type: MovementType, $orderId: String, $first: Int, $after: String, $newestFirst: Boolean) {
  stockMovements(sku: $sku, warehouse: $warehouse, type: $type, orderId: $orderId, first: $first, after: $after, newestFirst: $newestFirst) {
    edges { cursor node { sequence } } nodes { ${MOVEMENT} } pageInfo { hasNextPage endCursor } } }`;

function suite(backend: Backend) {
  return () => {
    let t: TestService;
    // Codes of warehouses made for this file (unique per run, so a reused database never clashes).
    let W1: string;
    let W2: string;
    let W3: string;

    beforeAll(async () => {
      // No background sweeper: the test of expireReservations decides when reservations expire.
      t = await startTestService(backend, { expirySweepMs: 3_600_000 });
      W1 = uniqueSku("W1");
      W2 = uniqueSku("W2");
      W3 = uniqueSku("W3");
      for (const [code, priority] of [
        [W1, 10],
        [W2, 20],
        [W3, 30],
      ] as const) {
        const d = await must(t, CREATE_WAREHOUSE, { input: { code, name: `Warehouse ${code}`, priority } });
        expect(d.createWarehouse.errors).toEqual([]);
      }
    });
    afterAll(() => t?.close());

    const gql = (query: string, variables: Record<string, unknown> = {}, key?: string | null) => must(t, query, variables, key);

    async function product(sku: string, stock: Array<[string | null, number]>, threshold = 0) {
      const [first, ...rest] = stock;
      const d = await gql(CREATE_PRODUCT, {
        input: { sku, name: `Product ${sku}`, initialStock: first?.[1] ?? 0, lowStockThreshold: threshold, warehouse: first?.[0] ?? null },
      });
      expect(d.createProduct.errors).toEqual([]);
      for (const [warehouse, quantity] of rest) {
        const r = await gql(RECEIVE, { input: { sku, quantity, warehouse } });
        expect(r.receiveStock.errors).toEqual([]);
      }
      return d.createProduct.product;
    }

    async function level(sku: string, warehouse: string) {
      const d = await gql(PRODUCT, { sku });
      return d.product.levels.find((l: any) => l.warehouse.code === warehouse);
    }

    it("createWarehouse and warehouses: listed with MAIN, duplicates refused in the payload", async () => {
      const d = await gql(`{ warehouses { id code name priority active } }`);
      const codes = d.warehouses.map((w: any) => w.code);
      expect(codes).toEqual(expect.arrayContaining(["MAIN", W1, W2, W3]));
      expect(d.warehouses.find((w: any) => w.code === W1)).toMatchObject({ name: `Warehouse ${W1}`, priority: 10, active: true });
      expect(d.warehouses.find((w: any) => w.code === "MAIN")).toMatchObject({ active: true });

      const code = uniqueSku("WH");
      const made = await gql(CREATE_WAREHOUSE, { input: { code, name: "Overflow" } });
      expect(made.createWarehouse).toMatchObject({ warehouse: { code, name: "Overflow", priority: 100, active: true }, errors: [] });

      const before = await fingerprint(t);
      const again = await gql(CREATE_WAREHOUSE, { input: { code, name: "Overflow again" } });
      expect(again.createWarehouse.warehouse).toBeNull();
      expect(again.createWarehouse.errors).toMatchObject([{ code: "DUPLICATE", warehouse: code }]);
      expect(await fingerprint(t)).toEqual(before);

      // Anonymous callers may read warehouses.
      const anon = await gql(`{ warehouses { code } }`, {}, null);
      expect(anon.warehouses.map((w: any) => w.code)).toContain(W1);
    });

    it("createProduct puts initial stock into the named warehouse as a RECEIVE; product reads it back", async () => {
      const sku = uniqueSku("NEW");
      const d = await gql(CREATE_PRODUCT, { input: { sku, name: "Green tea 250g", initialStock: 12, lowStockThreshold: 3, warehouse: W1 } });
      const p = d.createProduct.product;
      expect(d.createProduct.errors).toEqual([]);
      expect(p).toMatchObject({ sku, name: "Green tea 250g", stock: { onHand: 12, reserved: 0, available: 12, lowStock: false, outOfStock: false } });
      expect(p.levels).toHaveLength(1);
      expect(p.levels[0]).toMatchObject({
        onHand: 12,
        reserved: 0,
        available: 12,
        lowStockThreshold: 3,
        lowStock: false,
        version: 1,
        warehouse: { code: W1 },
        product: { sku },
      });
      expect(new Date(p.createdAt).getTime()).toBeGreaterThan(0);

      const read = await gql(PRODUCT, { sku });
      expect(read.product).toMatchObject({ id: p.id, sku, stock: { onHand: 12 } });
      const movements = await gql(`query($sku: String!) { product(sku: $sku) { movements(first: 5) { nodes { type onHandDelta onHandAfter version reason actor warehouse sku } pageInfo { hasNextPage } } } }`, { sku });
      expect(movements.product.movements.nodes.length).toBeLessThanOrEqual(1); // the watermark may trail the commit
      await settle(t);
      const settled = await gql(`query($sku: String!) { product(sku: $sku) { movements(first: 5) { nodes { type onHandDelta onHandAfter version reason actor warehouse sku } pageInfo { hasNextPage } } } }`, { sku });
      expect(settled.product.movements).toEqual({
        nodes: [{ type: "RECEIVE", onHandDelta: 12, onHandAfter: 12, version: 1, reason: "initial stock", actor: "admin", warehouse: W1, sku }],
        pageInfo: { hasNextPage: false },
      });

      // Without a warehouse the service chooses (MAIN); without initial stock there is no movement.
      const bare = uniqueSku("BARE");
      const b = await gql(CREATE_PRODUCT, { input: { sku: bare, name: "Bare" } });
      expect(b.createProduct.product.levels).toMatchObject([{ onHand: 0, version: 0, warehouse: { code: "MAIN" } }]);
      expect(b.createProduct.product.stock).toMatchObject({ available: 0, outOfStock: true });

      const before = await fingerprint(t);
      const dup = await gql(CREATE_PRODUCT, { input: { sku, name: "Other", initialStock: 5 } });
      expect(dup.createProduct).toMatchObject({ product: null, errors: [{ code: "DUPLICATE", sku }] });
      expect(await fingerprint(t)).toEqual(before);

      expect((await gql(PRODUCT, { sku: uniqueSku("NONE") })).product).toBeNull();
      expect((await gql(PRODUCT, { sku }, null)).product.sku).toBe(sku); // public read
    });

    it("receiveStock, adjustStock both ways, a stocktake count, setLowStockThreshold", async () => {
      const sku = uniqueSku("ADJ");
      await product(sku, [[W1, 1]]);

      const r = await gql(RECEIVE, { input: { sku, quantity: 5, warehouse: W2, reason: "PO-4711" } });
      expect(r.receiveStock.errors).toEqual([]);
      expect(r.receiveStock.level).toMatchObject({ onHand: 5, reserved: 0, available: 5, version: 1, warehouse: { code: W2 } });
      expect(r.receiveStock.movement).toMatchObject({
        type: "RECEIVE",
        sku,
        warehouse: W2,
        onHandDelta: 5,
        reservedDelta: 0,
        onHandAfter: 5,
        reservedAfter: 0,
        availableAfter: 5,
        version: 1,
        orderId: null,
        reason: "PO-4711",
        actor: "admin",
      });
      // The movement's id names it by its sequence (the ledger's own number).
      expect(Buffer.from(r.receiveStock.movement.id, "base64").toString()).toBe(`StockMovement:${r.receiveStock.movement.sequence}`);

      const up = await gql(ADJUST, { input: { sku, warehouse: W2, delta: 3, reason: "found a box" } });
      expect(up.adjustStock.errors).toEqual([]);
      expect(up.adjustStock.level).toMatchObject({ onHand: 8, version: 2 });
      expect(up.adjustStock.movement).toMatchObject({ type: "ADJUST", onHandDelta: 3, onHandAfter: 8, version: 2, reason: "found a box" });

      const down = await gql(ADJUST, { input: { sku, warehouse: W2, delta: -2, reason: "damaged" } });
      expect(down.adjustStock.level).toMatchObject({ onHand: 6, version: 3 });
      expect(down.adjustStock.movement).toMatchObject({ type: "ADJUST", onHandDelta: -2, onHandAfter: 6, version: 3 });
      expect(BigInt(down.adjustStock.movement.sequence)).toBeGreaterThan(BigInt(up.adjustStock.movement.sequence));

      const counted = await gql(ADJUST, { input: { sku, warehouse: W2, countedQuantity: 4, reason: "stocktake", expectedVersion: 3 } });
      expect(counted.adjustStock.errors).toEqual([]);
      expect(counted.adjustStock.level).toMatchObject({ onHand: 4, version: 4 });
      expect(counted.adjustStock.movement).toMatchObject({ type: "ADJUST", onHandDelta: -2, onHandAfter: 4, version: 4, reason: "stocktake" });

      const same = await gql(ADJUST, { input: { sku, warehouse: W2, countedQuantity: 4, reason: "stocktake again" } });
      expect(same.adjustStock).toMatchObject({ level: { onHand: 4, version: 4 }, movement: null, errors: [] });

      let before = await fingerprint(t);
      const stale = await gql(ADJUST, { input: { sku, warehouse: W2, delta: 1, reason: "late", expectedVersion: 2 } });
      expect(stale.adjustStock).toMatchObject({ level: null, movement: null, errors: [{ code: "VERSION_CONFLICT", sku, warehouse: W2, currentVersion: 4 }] });
      const tooMuch = await gql(ADJUST, { input: { sku, warehouse: W2, delta: -5, reason: "lost" } });
      expect(tooMuch.adjustStock).toMatchObject({ level: null, errors: [{ code: "INSUFFICIENT_STOCK", sku, warehouse: W2 }] });
      expect(await fingerprint(t)).toEqual(before);

      const th = await gql(THRESHOLD, { input: { sku, warehouse: W2, threshold: 5 } });
      // A threshold change is versioned like every change: a THRESHOLD movement.
      expect(th.setLowStockThreshold).toMatchObject({
        level: { lowStockThreshold: 5, lowStock: true, available: 4, version: 5 },
        movement: { id: expect.any(String) },
        errors: [],
      });
      before = await fingerprint(t);
      const thStale = await gql(THRESHOLD, { input: { sku, warehouse: W2, threshold: 1, expectedVersion: 4 } });
      expect(thStale.setLowStockThreshold).toMatchObject({ level: null, errors: [{ code: "VERSION_CONFLICT", currentVersion: 5 }] });
      expect(await fingerprint(t)).toEqual(before);

      const p = await gql(PRODUCT, { sku });
      expect(p.product.stock).toEqual({ onHand: 5, reserved: 0, available: 5, lowStock: true, outOfStock: false });
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });

    it("reserveStock across two warehouses, then confirm, release, return and deduct, all idempotent", async () => {
      const a = uniqueSku("A");
      const b = uniqueSku("B");
      await product(a, [
        [W1, 10],
        [W2, 10],
      ]);
      await product(b, [[null, 5]]);

      const check = await gql(
        `query($items: [StockLineInput!]!) { checkStock(items: $items) { available lines { sku requested available sufficient } } }`,
        { items: [{ sku: a, quantity: 4, warehouse: W1 }, { sku: a, quantity: 20, warehouse: W2 }, { sku: b, quantity: 1 }] },
      );
      expect(check.checkStock).toEqual({
        available: false,
        lines: [
          { sku: a, requested: 4, available: 10, sufficient: true },
          { sku: a, requested: 20, available: 10, sufficient: false },
          { sku: b, requested: 1, available: 5, sufficient: true },
        ],
      });
      const anonCheck = await gql(`query($sku: String!) { checkStock(items: [{ sku: $sku, quantity: 5 }]) { available } }`, { sku: b }, null);
      expect(anonCheck.checkStock.available).toBe(true);

      const order = uniqueSku("ORDER");
      const items = [
        { sku: a, quantity: 3, warehouse: W1 },
        { sku: a, quantity: 2, warehouse: W2 },
        { sku: b, quantity: 1 },
      ];
      const startedAt = Date.now();
      const r = await gql(RESERVE, { input: { orderId: order, items, ttlSeconds: 600 } });
      expect(r.reserveStock.errors).toEqual([]);
      const reservation = r.reserveStock.reservation;
      expect(reservation).toMatchObject({ orderId: order, status: "ACTIVE" });
      expect(reservation.lines).toEqual(
        expect.arrayContaining([
          { sku: a, quantity: 3, product: { sku: a, name: `Product ${a}` }, warehouse: { code: W1 } },
          { sku: a, quantity: 2, product: { sku: a, name: `Product ${a}` }, warehouse: { code: W2 } },
          { sku: b, quantity: 1, product: { sku: b, name: `Product ${b}` }, warehouse: { code: "MAIN" } },
        ]),
      );
      expect(reservation.lines).toHaveLength(3);
      const expiresIn = new Date(reservation.expiresAt).getTime() - startedAt;
      expect(expiresIn).toBeGreaterThan(500_000);
      expect(expiresIn).toBeLessThan(700_000);
      expect(await level(a, W1)).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
      expect(await level(a, W2)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
      expect((await gql(PRODUCT, { sku: a })).product.stock).toMatchObject({ onHand: 20, reserved: 5, available: 15 });

      // The same order with the same lines is the same reservation; other lines are a DUPLICATE.
      let before = await fingerprint(t);
      const again = await gql(RESERVE, { input: { orderId: order, items: [...items].reverse(), ttlSeconds: 600 } });
      expect(again.reserveStock).toMatchObject({ reservation: { id: reservation.id, status: "ACTIVE" }, errors: [] });
      const other = await gql(RESERVE, { input: { orderId: order, items: [{ sku: a, quantity: 1, warehouse: W1 }] } });
      expect(other.reserveStock).toMatchObject({ reservation: null, errors: [{ code: "DUPLICATE" }] });
      // All lines or none: the second line cannot be had, so the first is not held either.
      const short = uniqueSku("SHORT");
      const no = await gql(RESERVE, { input: { orderId: short, items: [{ sku: b, quantity: 1 }, { sku: a, quantity: 9, warehouse: W1 }] } });
      expect(no.reserveStock).toMatchObject({
        reservation: null,
        errors: [{ code: "INSUFFICIENT_STOCK", sku: a, warehouse: W1, requested: 9, available: 7 }],
      });
      expect(await fingerprint(t)).toEqual(before);
      expect((await gql(RESERVATION_Q, { orderId: short })).reservation).toBeNull();

      const confirmed = await gql(CONFIRM, { input: { orderId: order, reason: "paid" } });
      expect(confirmed.confirmReservation).toMatchObject({ reservation: { id: reservation.id, status: "CONFIRMED" }, errors: [] });
      expect(await level(a, W1)).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
      expect(await level(a, W2)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
      expect(await level(b, "MAIN")).toMatchObject({ onHand: 4, reserved: 0 });
      before = await fingerprint(t);
      const twice = await gql(CONFIRM, { input: { orderId: order } });
      expect(twice.confirmReservation).toMatchObject({ reservation: { status: "CONFIRMED" }, errors: [] });
      const releaseConfirmed = await gql(RELEASE, { input: { orderId: order } });
      expect(releaseConfirmed.releaseReservation).toMatchObject({ reservation: null, errors: [{ code: "INVALID_STATE" }] });
      expect(await fingerprint(t)).toEqual(before);

      const cancelled = uniqueSku("CANCEL");
      await gql(RESERVE, { input: { orderId: cancelled, items: [{ sku: a, quantity: 4, warehouse: W1 }] } });
      expect(await level(a, W1)).toMatchObject({ reserved: 4, available: 3 });
      const released = await gql(RELEASE, { input: { orderId: cancelled, reason: "customer cancelled" } });
      expect(released.releaseReservation).toMatchObject({ reservation: { orderId: cancelled, status: "RELEASED" }, errors: [] });
      expect(await level(a, W1)).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
      before = await fingerprint(t);
      expect((await gql(RELEASE, { input: { orderId: cancelled } })).releaseReservation).toMatchObject({ reservation: { status: "RELEASED" }, errors: [] });
      expect((await gql(CONFIRM, { input: { orderId: cancelled } })).confirmReservation).toMatchObject({ errors: [{ code: "INVALID_STATE" }] });
      expect(await fingerprint(t)).toEqual(before);

      const ret = await gql(RETURN, { input: { orderId: order, sku: a, quantity: 2, warehouse: W1, reason: "wrong size" } });
      expect(ret.returnStock.errors).toEqual([]);
      expect(ret.returnStock.level).toMatchObject({ onHand: 9, reserved: 0, warehouse: { code: W1 } });
      expect(ret.returnStock.movement).toMatchObject({ type: "RETURN", onHandDelta: 2, orderId: order, reason: "wrong size", sku: a, warehouse: W1 });
      before = await fingerprint(t);
      const overReturn = await gql(RETURN, { input: { orderId: order, sku: a, quantity: 2, warehouse: W1 } });
      expect(overReturn.returnStock).toMatchObject({ level: null, errors: [{ code: "INVALID_QUANTITY", requested: 2, available: 1 }] });
      expect(await fingerprint(t)).toEqual(before);
      const anyReturn = await gql(RETURN, { input: { sku: b, quantity: 1 } });
      expect(anyReturn.returnStock.level).toMatchObject({ onHand: 5, warehouse: { code: "MAIN" } });

      const sale = uniqueSku("SALE");
      const deducted = await gql(DEDUCT, { input: { orderId: sale, items: [{ sku: a, quantity: 2, warehouse: W2 }, { sku: b, quantity: 1 }], reason: "shop counter" } });
      expect(deducted.deductStock.errors).toEqual([]);
      expect(deducted.deductStock.movements).toMatchObject([
        { type: "DEDUCT", sku: a, warehouse: W2, onHandDelta: -2, onHandAfter: 6, orderId: sale, reason: "shop counter" },
        { type: "DEDUCT", sku: b, warehouse: "MAIN", onHandDelta: -1, onHandAfter: 4, orderId: sale },
      ]);
      before = await fingerprint(t);
      const repeated = await gql(DEDUCT, { input: { orderId: sale, items: [{ sku: a, quantity: 2, warehouse: W2 }, { sku: b, quantity: 1 }] } });
      expect(repeated.deductStock.errors).toEqual([]);
      expect(repeated.deductStock.movements.map((m: any) => m.sequence).sort()).toEqual(deducted.deductStock.movements.map((m: any) => m.sequence).sort());
      const tooMuch = await gql(DEDUCT, { input: { items: [{ sku: b, quantity: 1 }, { sku: a, quantity: 7, warehouse: W2 }] } });
      expect(tooMuch.deductStock).toMatchObject({ movements: [], errors: [{ code: "INSUFFICIENT_STOCK", sku: a, requested: 7, available: 6 }] });
      expect(await fingerprint(t)).toEqual(before);

      const one = await gql(RESERVATION_Q, { orderId: order });
      expect(one.reservation).toMatchObject({ id: reservation.id, orderId: order, status: "CONFIRMED" });
      expect(one.reservation.lines).toHaveLength(3);

      const confirmedList = await gql(`{ reservations(status: CONFIRMED, first: 500) { nodes { orderId status } } }`);
      expect(confirmedList.reservations.nodes).toContainEqual({ orderId: order, status: "CONFIRMED" });
      expect(confirmedList.reservations.nodes.every((n: any) => n.status === "CONFIRMED")).toBe(true);
      const releasedList = await gql(`{ reservations(status: RELEASED, first: 500) { nodes { orderId status } } }`);
      expect(releasedList.reservations.nodes).toContainEqual({ orderId: cancelled, status: "RELEASED" });
      expect(releasedList.reservations.nodes.map((n: any) => n.orderId)).not.toContain(order);

      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });

    it("reservations pages newest first with cursors", async () => {
      const sku = uniqueSku("PAGE");
      await product(sku, [[null, 50]]);
      const orders = [uniqueSku("P1"), uniqueSku("P2"), uniqueSku("P3")];
      for (const orderId of orders) await gql(RESERVE, { input: { orderId, items: [{ sku, quantity: 1 }] } });

      const PAGE = `query($after: String) { reservations(status: ACTIVE, first: 2, after: $after) { edges { cursor node { orderId } } nodes { orderId } pageInfo { hasNextPage endCursor } } }`;
      const first = (await gql(PAGE, {})).reservations;
      expect(first.nodes.map((n: any) => n.orderId)).toEqual([orders[2], orders[1]]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      expect(first.pageInfo.endCursor).toBe(first.edges[1].cursor);
      const second = (await gql(PAGE, { after: first.pageInfo.endCursor })).reservations;
      expect(second.nodes[0].orderId).toBe(orders[0]);
      for (const orderId of orders) await gql(RELEASE, { input: { orderId } });
    });

    it("extendReservation and expireReservations", async () => {
      const sku = uniqueSku("EXP");
      await product(sku, [[W3, 10]]);
      const kept = uniqueSku("KEPT");
      const lapsed = uniqueSku("LAPSED");
      const k = await gql(RESERVE, { input: { orderId: kept, items: [{ sku, quantity: 2, warehouse: W3 }], ttlSeconds: 60 } });
      const l = await gql(RESERVE, { input: { orderId: lapsed, items: [{ sku, quantity: 3, warehouse: W3 }], ttlSeconds: 1 } });
      expect(k.reserveStock.errors).toEqual([]);
      expect(l.reserveStock.errors).toEqual([]);

      const extended = await gql(EXTEND, { input: { orderId: kept, ttlSeconds: 3600 } });
      expect(extended.extendReservation.errors).toEqual([]);
      expect(extended.extendReservation.reservation.status).toBe("ACTIVE");
      expect(new Date(extended.extendReservation.reservation.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3_000_000);

      // Wait (by the server's clock, through the API) until the short hold is past its time.
      const deadline = new Date(l.reserveStock.reservation.expiresAt).getTime();
      while (Date.now() < deadline + 250) await new Promise((r) => setTimeout(r, 100));
      let before = await fingerprint(t);
      const late = await gql(CONFIRM, { input: { orderId: lapsed } });
      expect(late.confirmReservation).toMatchObject({ reservation: null, errors: [{ code: "RESERVATION_EXPIRED" }] });
      expect((await gql(EXTEND, { input: { orderId: lapsed, ttlSeconds: 60 } })).extendReservation).toMatchObject({
        reservation: null,
        errors: [{ code: "RESERVATION_EXPIRED" }],
      });
      expect(await fingerprint(t)).toEqual(before);
      expect(await level(sku, W3)).toMatchObject({ reserved: 5 });

      const expired = await gql(EXPIRE);
      expect(expired.expireReservations.expiredCount).toBeGreaterThanOrEqual(1);
      expect((await gql(RESERVATION_Q, { orderId: lapsed })).reservation.status).toBe("EXPIRED");
      expect((await gql(RESERVATION_Q, { orderId: kept })).reservation.status).toBe("ACTIVE");
      expect(await level(sku, W3)).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
      expect((await gql(EXPIRE)).expireReservations.expiredCount).toBe(0);

      const list = await gql(`{ reservations(status: EXPIRED, first: 500) { nodes { orderId } } }`);
      expect(list.reservations.nodes.map((n: any) => n.orderId)).toContain(lapsed);
      await settle(t);
      const moves = await gql(MOVEMENTS, { orderId: lapsed });
      expect(moves.stockMovements.nodes.map((m: any) => [m.type, m.reservedDelta, m.actor])).toEqual([
        ["RESERVE", 3, "admin"],
        ["EXPIRE", -3, "admin"],
      ]);

      before = await fingerprint(t);
      const unknown = uniqueSku("UNKNOWN");
      expect((await gql(EXTEND, { input: { orderId: unknown, ttlSeconds: 60 } })).extendReservation.errors).toMatchObject([{ code: "RESERVATION_NOT_FOUND" }]);
      expect((await gql(CONFIRM, { input: { orderId: unknown } })).confirmReservation.errors).toMatchObject([{ code: "RESERVATION_NOT_FOUND" }]);
      expect((await gql(RELEASE, { input: { orderId: unknown } })).releaseReservation.errors).toMatchObject([{ code: "RESERVATION_NOT_FOUND" }]);
      expect(await fingerprint(t)).toEqual(before);
      await gql(RELEASE, { input: { orderId: kept } });
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });

    it("products: search, lowStock and outOfStock filters, cursor pagination with totalCount", async () => {
      const prefix = uniqueSku("FLT");
      const plenty = `${prefix}-PLENTY`;
      const low = `${prefix}-LOW`;
      const out = `${prefix}-OUT`;
      const held = `${prefix}-HELD`;
      const spread = `${prefix}-SPREAD`;
      await product(plenty, [[W1, 50]], 5);
      await product(low, [[W1, 2]], 5);
      await product(out, [], 0);
      await product(held, [[W2, 3]], 1);
      await product(spread, [
        [W1, 10],
        [W2, 10],
      ]);
      // All of `held` is reserved: out of stock and low.
      const hold = uniqueSku("HOLD");
      await gql(RESERVE, { input: { orderId: hold, items: [{ sku: held, quantity: 3, warehouse: W2 }] } });
      const named = uniqueSku("NAMED");
      await gql(
        `mutation($name: String!, $sku: String!) { named: createProduct(input: { sku: $sku, name: $name, initialStock: 5 }) { errors { code } } }`,
        { sku: named, name: `Tea ${prefix.toLowerCase()} special` },
      );

      const PRODUCTS = `query($first: Int, $after: String, $filter: ProductFilter) {
        products(first: $first, after: $after, filter: $filter) {
          totalCount edges { cursor node { sku } } nodes { sku stock { available lowStock outOfStock } } pageInfo { hasNextPage endCursor } } }`;
      const skus = async (filter: object) => (await gql(PRODUCTS, { first: 50, filter })).products.nodes.map((n: any) => n.sku);

      expect((await gql(PRODUCTS, { first: 50, filter: { search: prefix } })).products.totalCount).toBe(6); // five by sku, one by name
      expect(await skus({ search: prefix.toLowerCase() })).toHaveLength(6);
      expect(await skus({ search: `${prefix}-lo` })).toEqual([low]);
      expect(await skus({ search: prefix, lowStock: true })).toEqual([low, out, held]);
      expect(await skus({ search: prefix, lowStock: false })).toEqual([plenty, spread, named]);
      expect(await skus({ search: prefix, outOfStock: true })).toEqual([out, held]);
      expect(await skus({ search: prefix, outOfStock: false })).toEqual([plenty, low, spread, named]);
      expect(await skus({ search: prefix, lowStock: true, outOfStock: false })).toEqual([low]);
      // `%` and `_` are matched literally.
      expect(await skus({ search: `${prefix}%` })).toEqual([]);

      const page1 = (await gql(PRODUCTS, { first: 2, filter: { search: prefix } })).products;
      expect(page1.totalCount).toBe(6);
      expect(page1.nodes.map((n: any) => n.sku)).toEqual([plenty, low]);
      expect(page1.edges.map((e: any) => e.node.sku)).toEqual([plenty, low]);
      expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1].cursor });
      const page2 = (await gql(PRODUCTS, { first: 2, after: page1.pageInfo.endCursor, filter: { search: prefix } })).products;
      expect(page2.nodes.map((n: any) => n.sku)).toEqual([out, held]);
      expect(page2.totalCount).toBe(6);
      expect(page2.pageInfo.hasNextPage).toBe(true);
      const page3 = (await gql(PRODUCTS, { first: 2, after: page2.pageInfo.endCursor, filter: { search: prefix } })).products;
      expect(page3.nodes.map((n: any) => n.sku)).toEqual([spread, named]);
      expect(page3.pageInfo.hasNextPage).toBe(false);
      const page4 = (await gql(PRODUCTS, { first: 2, after: page3.pageInfo.endCursor, filter: { search: prefix } })).products;
      expect(page4).toMatchObject({ nodes: [], edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

      // The default page size and anonymous access.
      const anon = await gql(`{ products { nodes { sku } pageInfo { hasNextPage } totalCount } }`, {}, null);
      expect(anon.products.nodes.length).toBeLessThanOrEqual(20);
      await gql(RELEASE, { input: { orderId: hold } });
    });

    it("lowStockLevels: lowest available first, by warehouse, paged by level id", async () => {
      const code = uniqueSku("LOWWH");
      await gql(CREATE_WAREHOUSE, { input: { code, name: "Low stock warehouse" } });
      const skus = [uniqueSku("L3"), uniqueSku("L1"), uniqueSku("L2"), uniqueSku("FINE")];
      await product(skus[0]!, [[code, 3]], 5);
      await product(skus[1]!, [[code, 1]], 5);
      await product(skus[2]!, [[code, 2]], 5);
      await product(skus[3]!, [[code, 9]], 5);
      const Q = `query($w: String, $first: Int, $after: String) { lowStockLevels(warehouse: $w, first: $first, after: $after) { ${LEVEL} } }`;
      const all = (await gql(Q, { w: code })).lowStockLevels;
      expect(all.map((l: any) => [l.product.sku, l.available, l.lowStock])).toEqual([
        [skus[1], 1, true],
        [skus[2], 2, true],
        [skus[0], 3, true],
      ]);
      expect(all.every((l: any) => l.warehouse.code === code)).toBe(true);
      const page1 = (await gql(Q, { w: code, first: 2 })).lowStockLevels;
      expect(page1.map((l: any) => l.product.sku)).toEqual([skus[1], skus[2]]);
      const page2 = (await gql(Q, { w: code, first: 2, after: page1[1].id })).lowStockLevels;
      expect(page2.map((l: any) => l.product.sku)).toEqual([skus[0]]);
      const everywhere = (await gql(Q, { first: 500 })).lowStockLevels;
      expect(everywhere.map((l: any) => l.id)).toEqual(expect.arrayContaining(all.map((l: any) => l.id)));
      const avail = everywhere.map((l: any) => l.available);
      expect(avail).toEqual([...avail].sort((x: number, y: number) => x - y));
    });

    it("stockMovements: every filter, paging forwards and newest first", async () => {
      const sku = uniqueSku("LEDGER");
      const other = uniqueSku("OTHER");
      await product(sku, [
        [W1, 10],
        [W2, 4],
      ]);
      await product(other, [[W1, 1]]);
      const orderId = uniqueSku("LEDGER-ORDER");
      await gql(RESERVE, { input: { orderId, items: [{ sku, quantity: 2, warehouse: W1 }, { sku, quantity: 1, warehouse: W2 }] } });
      await gql(CONFIRM, { input: { orderId } });
      await gql(ADJUST, { input: { sku, warehouse: W1, delta: -1, reason: "breakage" } });
      await settle(t);

      const list = async (vars: Record<string, unknown>) => (await gql(MOVEMENTS, { first: 100, ...vars })).stockMovements;
      const all = await list({ sku });
      expect(all.nodes.map((m: any) => [m.type, m.warehouse, m.onHandDelta, m.reservedDelta])).toEqual([
        ["RECEIVE", W1, 10, 0],
        ["RECEIVE", W2, 4, 0],
        ["RESERVE", W1, 0, 2],
        ["RESERVE", W2, 0, 1],
        ["CONFIRM", W1, -2, -2],
        ["CONFIRM", W2, -1, -1],
        ["ADJUST", W1, -1, 0],
      ]);
      expect(all.nodes.every((m: any) => m.sku === sku && m.actor === "admin")).toBe(true);
      const seqs = all.nodes.map((m: any) => BigInt(m.sequence));
      expect(seqs).toEqual([...seqs].sort((x, y) => (x < y ? -1 : 1)));
      expect(all.nodes.filter((m: any) => m.warehouse === W1).map((m: any) => m.version)).toEqual([1, 2, 3, 4]);
      expect(all.nodes.at(-1)).toMatchObject({ onHandAfter: 7, reservedAfter: 0, availableAfter: 7, reason: "breakage", orderId: null });
      expect(all.pageInfo.hasNextPage).toBe(false);
      expect(all.edges.map((e: any) => e.node.sequence)).toEqual(all.nodes.map((m: any) => m.sequence));
      expect(all.pageInfo.endCursor).toBe(all.edges.at(-1).cursor);

      expect((await list({ sku, warehouse: W2 })).nodes.map((m: any) => m.type)).toEqual(["RECEIVE", "RESERVE", "CONFIRM"]);
      expect((await list({ sku, type: "CONFIRM" })).nodes.map((m: any) => m.warehouse)).toEqual([W1, W2]);
      expect((await list({ orderId })).nodes.map((m: any) => m.type)).toEqual(["RESERVE", "RESERVE", "CONFIRM", "CONFIRM"]);
      expect((await list({ orderId, type: "RESERVE", warehouse: W2 })).nodes).toHaveLength(1);
      const w1 = (await list({ warehouse: W1, first: 500 })).nodes;
      expect(w1.every((m: any) => m.warehouse === W1)).toBe(true);
      expect(w1.map((m: any) => m.sku)).toEqual(expect.arrayContaining([sku, other]));
      const receives = (await list({ type: "RECEIVE", first: 500 })).nodes;
      expect(receives.every((m: any) => m.type === "RECEIVE")).toBe(true);
      const everything = await list({});
      expect(everything.nodes.length).toBeGreaterThan(0);

      // Pages of 3 walk the same rows, with no gap and no repeat.
      const walked: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page: any = await list({ sku, first: 3, after });
        walked.push(...page.nodes.map((m: any) => m.sequence));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(walked).toEqual(all.nodes.map((m: any) => m.sequence));

      const newest = await list({ sku, first: 2, newestFirst: true });
      expect(newest.nodes.map((m: any) => m.type)).toEqual(["ADJUST", "CONFIRM"]);
      expect(newest.pageInfo.hasNextPage).toBe(true);
      const older = await list({ sku, first: 10, newestFirst: true, after: newest.pageInfo.endCursor });
      expect(older.nodes.map((m: any) => m.sequence)).toEqual(all.nodes.map((m: any) => m.sequence).reverse().slice(2));

      const nested = await gql(`query($sku: String!, $after: String) { product(sku: $sku) { movements(first: 4, after: $after) { nodes { sequence } pageInfo { hasNextPage endCursor } } } }`, { sku });
      expect(nested.product.movements.nodes.map((m: any) => m.sequence)).toEqual(all.nodes.slice(0, 4).map((m: any) => m.sequence));
      expect(nested.product.movements.pageInfo.hasNextPage).toBe(true);
      const nested2 = await gql(`query($sku: String!, $after: String) { product(sku: $sku) { movements(first: 4, after: $after) { nodes { sequence } pageInfo { hasNextPage } } } }`, {
        sku,
        after: nested.product.movements.pageInfo.endCursor,
      });
      expect(nested2.product.movements.nodes.map((m: any) => m.sequence)).toEqual(all.nodes.slice(4).map((m: any) => m.sequence));

      const unknown = await t.gql(MOVEMENTS, { sku: uniqueSku("NOPE") });
      expect(unknown.errors?.[0]?.extensions?.code).toBe("PRODUCT_NOT_FOUND");
      const unknownWh = await t.gql(MOVEMENTS, { warehouse: uniqueSku("NOPE") });
      expect(unknownWh.errors?.[0]?.extensions?.code).toBe("WAREHOUSE_NOT_FOUND");
    });

    it("stockAlerts: stored crossings, newest first, with their level", async () => {
      const sku = uniqueSku("ALERT");
      const code = uniqueSku("ALWH");
      await gql(CREATE_WAREHOUSE, { input: { code, name: "Alert warehouse" } });
      await product(sku, [[code, 10]], 3);
      await gql(ADJUST, { input: { sku, warehouse: code, delta: -8, reason: "sold at a fair" } }); // 10 -> 2: LOW_STOCK
      await gql(ADJUST, { input: { sku, warehouse: code, delta: -1, reason: "sample" } }); // 2 -> 1: no crossing
      await gql(DEDUCT, { input: { items: [{ sku, quantity: 1, warehouse: code }] } }); // 1 -> 0: OUT_OF_STOCK
      await gql(RECEIVE, { input: { sku, quantity: 20, warehouse: code } }); // 0 -> 20: BACK_IN_STOCK
      await gql(THRESHOLD, { input: { sku, warehouse: code, threshold: 25 } }); // 20 <= 25: LOW_STOCK by threshold

      const Q = `query($w: String, $first: Int, $after: String) { stockAlerts(warehouse: $w, first: $first, after: $after) {
        edges { cursor } nodes { id sequence kind threshold availableBefore availableAfter at level { onHand available product { sku } warehouse { code } } }
        pageInfo { hasNextPage endCursor } } }`;
      const all = (await gql(Q, { w: code })).stockAlerts;
      expect(all.nodes.map((a: any) => [a.kind, a.availableBefore, a.availableAfter, a.threshold])).toEqual([
        ["LOW_STOCK", 20, 20, 25],
        ["BACK_IN_STOCK", 0, 20, 3],
        ["OUT_OF_STOCK", 1, 0, 3],
        ["LOW_STOCK", 10, 2, 3],
        // No BACK_IN_STOCK for the initial stock: the level was never in stock before.
      ]);
      expect(all.nodes[0].level).toEqual({ onHand: 20, available: 20, product: { sku }, warehouse: { code } });
      expect(all.pageInfo.hasNextPage).toBe(false);
      const page1 = (await gql(Q, { w: code, first: 2 })).stockAlerts;
      expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1].cursor });
      const page2 = (await gql(Q, { w: code, first: 2, after: page1.pageInfo.endCursor })).stockAlerts;
      expect(page2.nodes.map((a: any) => a.id)).toEqual([all.nodes[2].id, all.nodes[3].id]);
      expect(page2.pageInfo.hasNextPage).toBe(false);
      expect((await gql(Q, { first: 500 })).stockAlerts.nodes.map((a: any) => a.id)).toEqual(expect.arrayContaining(all.nodes.map((a: any) => a.id)));
    });

    it("me: the caller's key name and role, null when anonymous; a SERVICE key is the ledger's actor", async () => {
      expect(await gql(`{ me { name role } }`)).toEqual({ me: { name: "admin", role: "ADMIN" } });
      expect(await gql(`{ me { name role } }`, {}, null)).toEqual({ me: null });

      const name = `checkout-${uniqueSku("K").toLowerCase()}`;
      const made = await gql(`mutation($name: String!) { createApiKey(input: { name: $name, role: SERVICE }) { key apiKey { name role } errors { code } } }`, { name });
      const key = made.createApiKey.key as string;
      expect(made.createApiKey.apiKey).toEqual({ name, role: "SERVICE" });
      expect(await gql(`{ me { name role } }`, {}, key)).toEqual({ me: { name, role: "SERVICE" } });

      const sku = uniqueSku("SVC");
      await product(sku, [[null, 3]]);
      const orderId = uniqueSku("SVC-ORDER");
      const r = await gql(RESERVE, { input: { orderId, items: [{ sku, quantity: 1 }] } }, key);
      expect(r.reserveStock.errors).toEqual([]);
      await settle(t);
      const moves = await gql(MOVEMENTS, { orderId });
      expect(moves.stockMovements.nodes.map((m: any) => m.actor)).toEqual([name]);
      // A SERVICE key may not receive stock.
      const denied = await t.gql(RECEIVE, { input: { sku, quantity: 1 } }, key);
      expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      await gql(RELEASE, { input: { orderId } }, key);
    });

    it("keeps the invariants after everything above", async () => {
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });

    describe("N+1: the statements a page costs do not grow with its size", () => {
      const statements = (query: string, variables: Record<string, unknown> = {}) => countStatements(t, query, variables);

      /** Runs one aliased mutation per item, ten to a request (mutations of a request run one after another). */
      async function batch(items: string[], field: (item: string, index: number) => string) {
        for (let i = 0; i < items.length; i += 10) {
          const chunk = items.slice(i, i + 10);
          const d = await gql(`mutation { ${chunk.map((s, k) => `m${k}: ${field(s, i + k)}`).join("\n")} }`);
          for (const v of Object.values(d)) expect((v as any).errors).toEqual([]);
        }
      }

      it("products with their stock, levels, warehouses and products", async () => {
        const prefix = uniqueSku("NPLUS");
        const skus = Array.from({ length: 100 }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);
        await batch(skus, (s) => `createProduct(input: { sku: "${s}", name: "N+1 ${s}", initialStock: 5, warehouse: "${W1}" }) { errors { code } }`);
        await batch(skus, (s) => `receiveStock(input: { sku: "${s}", quantity: 3, warehouse: "${W2}" }) { errors { code } }`);
        await batch(skus, (s) => `receiveStock(input: { sku: "${s}", quantity: 2, warehouse: "${W3}" }) { errors { code } }`);

        const Q = `query($first: Int, $search: String) { products(first: $first, filter: { search: $search }) {
          nodes { sku stock { available } levels { onHand warehouse { code } product { sku } } } } }`;
        const check = await gql(Q, { first: 100, search: prefix });
        expect(check.products.nodes).toHaveLength(100);
        expect(check.products.nodes[7]).toEqual({
          sku: skus[7],
          stock: { available: 10 },
          levels: [
            { onHand: 5, warehouse: { code: W1 }, product: { sku: skus[7] } },
            { onHand: 3, warehouse: { code: W2 }, product: { sku: skus[7] } },
            { onHand: 2, warehouse: { code: W3 }, product: { sku: skus[7] } },
          ],
        });

        await settle(t);
        const ten = await statements(Q, { first: 10, search: prefix });
        const hundred = await statements(Q, { first: 100, search: prefix });
        expect(hundred).toBe(ten);
        expect(hundred).toBeLessThanOrEqual(8);
      });

      it("reservations with their lines, products and warehouses", async () => {
        const prefix = uniqueSku("NRES");
        const skus = Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`);
        await batch(skus, (s) => `createProduct(input: { sku: "${s}", name: "Res ${s}", initialStock: 10, warehouse: "${W1}" }) { errors { code } }`);
        await batch(skus, (s) => `receiveStock(input: { sku: "${s}", quantity: 10, warehouse: "${W2}" }) { errors { code } }`);
        await batch(
          skus,
          (s) =>
            `reserveStock(input: { orderId: "${prefix}-order-${s}", items: [{ sku: "${s}", quantity: 1, warehouse: "${W1}" }, { sku: "${s}", quantity: 2, warehouse: "${W2}" }] }) { errors { code } }`,
        );

        const Q = `query($first: Int) { reservations(first: $first) { nodes { orderId lines { sku product { name } warehouse { code } } } } }`;
        const check = await gql(Q, { first: 50 });
        expect(check.reservations.nodes).toHaveLength(50);
        const newest = check.reservations.nodes[0];
        expect(newest.orderId).toBe(`${prefix}-order-${skus[49]}`);
        expect(newest.lines).toEqual([
          { sku: skus[49], product: { name: `Res ${skus[49]}` }, warehouse: { code: W1 } },
          { sku: skus[49], product: { name: `Res ${skus[49]}` }, warehouse: { code: W2 } },
        ]);

        await settle(t);
        const five = await statements(Q, { first: 5 });
        const fifty = await statements(Q, { first: 50 });
        expect(fifty).toBe(five);
        expect(fifty).toBeLessThanOrEqual(8);
        await batch(skus, (s) => `releaseReservation(input: { orderId: "${prefix}-order-${s}" }) { errors { code } }`);
      });

      it("stock movements with their sku and warehouse", async () => {
        await settle(t);
        const newest = await gql(`{ stockMovements(first: 1, newestFirst: true) { nodes { sequence } } }`);
        const mark = newest.stockMovements.nodes[0]?.sequence ?? null;
        const prefix = uniqueSku("NMOV");
        const skus = Array.from({ length: 100 }, (_, i) => `${prefix}-${i}`);
        const warehouses = [W1, W2, W3];
        await batch(skus, (s, i) => `createProduct(input: { sku: "${s}", name: "${s}", initialStock: 1, warehouse: "${warehouses[i % 3]}" }) { errors { code } }`);
        await settle(t);

        const Q = `query($first: Int, $after: String) { stockMovements(first: $first, after: $after) { nodes { sku warehouse } } }`;
        const check = await gql(Q, { first: 100, after: mark });
        expect(check.stockMovements.nodes.map((m: any) => m.sku)).toEqual(skus);
        expect(new Set(check.stockMovements.nodes.map((m: any) => m.warehouse)).size).toBe(3);
        const ten = await statements(Q, { first: 10, after: mark });
        const hundred = await statements(Q, { first: 100, after: mark });
        expect(hundred).toBe(ten);
        expect(hundred).toBeLessThanOrEqual(8);
      });
    });
  };
}

describe("GraphQL API over HTTP (PGlite)", suite("pglite"));
describe.skipIf(!hasRealPostgres())("GraphQL API over HTTP (PostgreSQL)", suite("postgres"));
