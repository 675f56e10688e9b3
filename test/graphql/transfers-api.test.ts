// Transfers over real HTTP against the whole service, on PGlite and on real
// PostgreSQL: the five mutations, the two queries, StockLevel.inTransit and
// StockMovement.transferReference; refusals in the payload that change
// nothing; and the statements a page costs (no N+1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRealPostgres } from "../support/databases.js";
import { CLEAN, checkInvariants } from "../support/invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "../support/service.js";
import { statements as countStatements, fingerprint, must, settle } from "./helpers.js";

const TRANSFER = `id reference status version reason closeReason actor createdAt shippedAt closedAt updatedAt
  from { code } to { code } lines { sku quantity received lost product { sku } }`;
const PAYLOAD = `transfer { ${TRANSFER} } movements { type sku warehouse onHandDelta onHandAfter transferReference reason }
  errors { code message sku warehouse requested available }`;
const CREATE = `mutation($input: CreateTransferInput!) { createTransfer(input: $input) { ${PAYLOAD} } }`;
const SHIP = `mutation($input: TransferRefInput!) { shipTransfer(input: $input) { ${PAYLOAD} } }`;
const RECEIVE = `mutation($input: ReceiveTransferInput!) { receiveTransfer(input: $input) { ${PAYLOAD} } }`;
const CLOSE = `mutation($input: TransferRefInput!) { closeTransfer(input: $input) { ${PAYLOAD} } }`;
const CANCEL = `mutation($input: TransferRefInput!) { cancelTransfer(input: $input) { ${PAYLOAD} } }`;
const TRANSFER_Q = `query($reference: String!) { transfer(reference: $reference) { ${TRANSFER} } }`;
const TRANSFERS = `query($status: TransferStatus, $warehouse: String, $first: Int, $after: String) {
  transfers(status: $status, warehouse: $warehouse, first: $first, after: $after) {
    edges { cursor node { reference } } nodes { reference status } pageInfo { hasNextPage endCursor } } }`;
const LEVELS = `query($sku: String!) { product(sku: $sku) { levels { warehouse { code } onHand available inTransit } } }`;

function suite(backend: Backend) {
  return () => {
    let t: TestService;
    let A: string;
    let B: string;
    let C: string;

    beforeAll(async () => {
      t = await startTestService(backend, { expirySweepMs: 3_600_000 });
      [A, B, C] = [uniqueSku("TA"), uniqueSku("TB"), uniqueSku("TC")];
      for (const code of [A, B, C]) {
        const d = await gql(`mutation($code: String!) { createWarehouse(input: { code: $code, name: "transfers" }) { errors { code } } }`, { code });
        expect(d.createWarehouse.errors).toEqual([]);
      }
    });
    afterAll(() => t?.close());

    const gql = (query: string, variables: Record<string, unknown> = {}) => must(t, query, variables);

    async function product(stock: number, warehouse = A, threshold = 0): Promise<string> {
      const sku = uniqueSku("TP");
      const d = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }`, {
        i: { sku, name: `Product ${sku}`, initialStock: stock, lowStockThreshold: threshold, warehouse },
      });
      expect(d.createProduct.errors).toEqual([]);
      return sku;
    }

    async function levels(sku: string): Promise<Record<string, { onHand: number; available: number; inTransit: number }>> {
      const d = await gql(LEVELS, { sku });
      return Object.fromEntries(d.product.levels.map((l: any) => [l.warehouse.code, { onHand: l.onHand, available: l.available, inTransit: l.inTransit }]));
    }

    /** A mutation refused in its payload, changing nothing. */
    async function refused(query: string, input: Record<string, unknown>, field: string, code: string) {
      const before = await fingerprint(t);
      const d = await gql(query, { input });
      expect(d[field].transfer).toBeNull();
      expect(d[field].movements).toEqual([]);
      expect(d[field].errors).toMatchObject([{ code }]);
      expect(await fingerprint(t)).toEqual(before);
      return d[field].errors[0];
    }

    /** A request refused as bad input (a GraphQL error), changing nothing. */
    async function rejected(query: string, input: Record<string, unknown>) {
      const before = await fingerprint(t);
      const res = await t.gql(query, { input });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe("BAD_USER_INPUT");
      expect(await fingerprint(t)).toEqual(before);
    }

    it("creates, ships, receives in parts and closes short, with inTransit and transferReference along the way", async () => {
      const tea = await product(20);
      const cups = await product(6);
      const reference = uniqueSku("PO-T");

      const created = (await gql(CREATE, { input: { reference, from: A, to: B, lines: [{ sku: tea, quantity: 8 }, { sku: cups, quantity: 6 }], reason: "stock B for the weekend" } })).createTransfer;
      expect(created.errors).toEqual([]);
      expect(created.movements).toEqual([]);
      expect(created.transfer).toMatchObject({
        reference,
        status: "DRAFT",
        version: 1,
        reason: "stock B for the weekend",
        closeReason: null,
        actor: "admin",
        shippedAt: null,
        closedAt: null,
        from: { code: A },
        to: { code: B },
        lines: [
          { sku: tea, quantity: 8, received: 0, lost: 0, product: { sku: tea } },
          { sku: cups, quantity: 6, received: 0, lost: 0, product: { sku: cups } },
        ],
      });
      expect(await levels(tea)).toEqual({ [A]: { onHand: 20, available: 20, inTransit: 0 } });

      const shipped = (await gql(SHIP, { input: { reference, reason: "van 3" } })).shipTransfer;
      expect(shipped.errors).toEqual([]);
      expect(shipped.transfer).toMatchObject({ status: "IN_TRANSIT", version: 2, closedAt: null });
      expect(Date.parse(shipped.transfer.shippedAt)).toBeGreaterThan(0);
      expect(shipped.movements).toEqual([
        { type: "TRANSFER_OUT", sku: tea, warehouse: A, onHandDelta: -8, onHandAfter: 12, transferReference: reference, reason: "van 3" },
        { type: "TRANSFER_OUT", sku: cups, warehouse: A, onHandDelta: -6, onHandAfter: 0, transferReference: reference, reason: "van 3" },
      ]);
      // Shipping gives the destination its level: what is on its way shows there.
      expect(await levels(tea)).toEqual({ [A]: { onHand: 12, available: 12, inTransit: 0 }, [B]: { onHand: 0, available: 0, inTransit: 8 } });

      const part = (await gql(RECEIVE, { input: { reference, lines: [{ sku: tea, quantity: 5 }] } })).receiveTransfer;
      expect(part.errors).toEqual([]);
      expect(part.transfer).toMatchObject({ status: "PARTIALLY_RECEIVED", version: 3, lines: [{ sku: tea, received: 5 }, { sku: cups, received: 0 }] });
      expect(part.movements).toEqual([{ type: "TRANSFER_IN", sku: tea, warehouse: B, onHandDelta: 5, onHandAfter: 5, transferReference: reference, reason: null }]);
      expect(await levels(tea)).toEqual({ [A]: { onHand: 12, available: 12, inTransit: 0 }, [B]: { onHand: 5, available: 5, inTransit: 3 } });

      await settle(t);
      const ledger = await gql(`query($sku: String!) { stockMovements(sku: $sku, type: TRANSFER_IN) { nodes { type warehouse transferReference } } }`, { sku: tea });
      expect(ledger.stockMovements.nodes).toEqual([{ type: "TRANSFER_IN", warehouse: B, transferReference: reference }]);
      const unrelated = await gql(`query($sku: String!) { stockMovements(sku: $sku, type: RECEIVE) { nodes { transferReference } } }`, { sku: tea });
      expect(unrelated.stockMovements.nodes).toEqual([{ transferReference: null }]);

      const closed = (await gql(CLOSE, { input: { reference, reason: "2 tea and 6 cups broken" } })).closeTransfer;
      expect(closed.errors).toEqual([]);
      expect(closed.movements).toEqual([]);
      expect(closed.transfer).toMatchObject({
        status: "RECEIVED",
        version: 4,
        closeReason: "2 tea and 6 cups broken",
        lines: [
          { sku: tea, quantity: 8, received: 5, lost: 3 },
          { sku: cups, quantity: 6, received: 0, lost: 6 },
        ],
      });
      expect(Date.parse(closed.transfer.closedAt)).toBeGreaterThan(0);
      expect(await levels(tea)).toEqual({ [A]: { onHand: 12, available: 12, inTransit: 0 }, [B]: { onHand: 5, available: 5, inTransit: 0 } });

      const read = await gql(TRANSFER_Q, { reference });
      expect(read.transfer).toEqual(closed.transfer);
      expect((await gql(TRANSFER_Q, { reference: uniqueSku("NONE") })).transfer).toBeNull();
    });

    it("answers refusals in the payload and bad input as BAD_USER_INPUT, changing nothing", async () => {
      const sku = await product(5);
      const reference = uniqueSku("PO-R");
      const base = { reference, from: A, to: B, lines: [{ sku, quantity: 4 }] };

      await refused(SHIP, { reference }, "shipTransfer", "TRANSFER_NOT_FOUND");
      await refused(CREATE, { ...base, to: "NO-SUCH-WH" }, "createTransfer", "WAREHOUSE_NOT_FOUND");
      await refused(CREATE, { ...base, lines: [{ sku: uniqueSku("NOPE"), quantity: 1 }] }, "createTransfer", "PRODUCT_NOT_FOUND");
      await rejected(CREATE, { ...base, to: A });
      await rejected(CREATE, { ...base, reference: "r".repeat(129) });
      await rejected(CREATE, { ...base, lines: [] });

      expect((await gql(CREATE, { input: base })).createTransfer.errors).toEqual([]);
      const same = await fingerprint(t);
      expect((await gql(CREATE, { input: base })).createTransfer).toMatchObject({ transfer: { reference, status: "DRAFT" }, errors: [] });
      expect(await fingerprint(t)).toEqual(same);
      await refused(CREATE, { ...base, lines: [{ sku, quantity: 3 }] }, "createTransfer", "DUPLICATE");
      await refused(RECEIVE, { reference, lines: [{ sku, quantity: 1 }] }, "receiveTransfer", "INVALID_STATE");
      await refused(CLOSE, { reference, reason: "nothing shipped" }, "closeTransfer", "INVALID_STATE");

      // Another transfer takes 2 of the 5 first: 4 no longer fit.
      const other = uniqueSku("PO-R");
      await gql(CREATE, { input: { ...base, reference: other, lines: [{ sku, quantity: 2 }] } });
      expect((await gql(SHIP, { input: { reference: other } })).shipTransfer.errors).toEqual([]);
      const short = await refused(SHIP, { reference }, "shipTransfer", "INSUFFICIENT_STOCK");
      expect(short).toMatchObject({ sku, warehouse: A, requested: 4, available: 3 });
      await refused(CANCEL, { reference: other }, "cancelTransfer", "INVALID_STATE");
      const over = await refused(RECEIVE, { reference: other, lines: [{ sku, quantity: 3 }] }, "receiveTransfer", "INVALID_QUANTITY");
      expect(over).toMatchObject({ sku, warehouse: B, requested: 3, available: 2 });
      await rejected(CLOSE, { reference: other });
      await rejected(RECEIVE, { reference: other, lines: [{ sku, quantity: 0 }] });

      const cancelled = (await gql(CANCEL, { input: { reference, reason: "not needed after all" } })).cancelTransfer;
      expect(cancelled).toMatchObject({ transfer: { status: "CANCELLED", closeReason: "not needed after all" }, errors: [] });
      await refused(SHIP, { reference }, "shipTransfer", "INVALID_STATE");
      // Repeats of what already happened answer the transfer as it is.
      const again = await fingerprint(t);
      expect((await gql(CANCEL, { input: { reference } })).cancelTransfer).toMatchObject({ transfer: { status: "CANCELLED" }, errors: [] });
      const reshipped = (await gql(SHIP, { input: { reference: other } })).shipTransfer;
      expect(reshipped).toMatchObject({ transfer: { status: "IN_TRANSIT", version: 2 }, errors: [] });
      expect(reshipped.movements).toMatchObject([{ type: "TRANSFER_OUT", onHandDelta: -2, transferReference: other }]);
      expect(await fingerprint(t)).toEqual(again);
    });

    it("lists transfers newest first, by status and warehouse, page by page", async () => {
      const sku = await product(50, C);
      const refs: string[] = [];
      for (let i = 0; i < 5; i++) {
        const reference = uniqueSku(`LIST${i}`);
        refs.push(reference);
        const to = i % 2 ? A : B;
        expect((await gql(CREATE, { input: { reference, from: C, to, lines: [{ sku, quantity: 1 }] } })).createTransfer.errors).toEqual([]);
        if (i < 3) expect((await gql(SHIP, { input: { reference } })).shipTransfer.errors).toEqual([]);
      }
      const all = await gql(TRANSFERS, { warehouse: C, first: 10 });
      expect(all.transfers.nodes.map((n: any) => n.reference)).toEqual([...refs].reverse());
      expect(all.transfers.pageInfo.hasNextPage).toBe(false);

      const inTransit = await gql(TRANSFERS, { warehouse: C, status: "IN_TRANSIT", first: 2 });
      expect(inTransit.transfers.nodes).toEqual([
        { reference: refs[2], status: "IN_TRANSIT" },
        { reference: refs[1], status: "IN_TRANSIT" },
      ]);
      expect(inTransit.transfers.edges.map((e: any) => e.node.reference)).toEqual([refs[2], refs[1]]);
      expect(inTransit.transfers.pageInfo.hasNextPage).toBe(true);
      const next = await gql(TRANSFERS, { warehouse: C, status: "IN_TRANSIT", first: 2, after: inTransit.transfers.pageInfo.endCursor });
      expect(next.transfers.nodes).toEqual([{ reference: refs[0], status: "IN_TRANSIT" }]);
      expect(next.transfers.pageInfo.hasNextPage).toBe(false);

      // Either end matches the warehouse filter.
      const toA = await gql(TRANSFERS, { warehouse: A, first: 500 });
      expect(toA.transfers.nodes.map((n: any) => n.reference)).toEqual(expect.arrayContaining([refs[1], refs[3]]));
      expect(toA.transfers.nodes.map((n: any) => n.reference)).not.toContain(refs[0]);

      for (const variables of [{ after: "not-a-cursor" }, { first: 0 }, { warehouse: "bad code!" }]) {
        const res = await t.gql(TRANSFERS, variables);
        expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe("BAD_USER_INPUT");
      }
    });

    it("keeps the invariants after everything above", async () => {
      expect(await checkInvariants(t.service.database)).toEqual(CLEAN);
    });

    describe("N+1: the statements a page costs do not grow with its size", () => {
      const statements = (query: string, variables: Record<string, unknown> = {}) => countStatements(t, query, variables);

      it("transfers with their warehouses, lines and products; levels with what is in transit to them", async () => {
        const prefix = uniqueSku("NTR");
        const skus: string[] = [];
        for (let i = 0; i < 12; i++) skus.push(await product(10, C));
        for (let i = 0; i < 12; i++) {
          const reference = `${prefix}-${i}`;
          const lines = [{ sku: skus[i]!, quantity: 2 }, { sku: skus[(i + 1) % 12]!, quantity: 1 }];
          expect((await gql(CREATE, { input: { reference, from: C, to: i % 2 ? A : B, lines } })).createTransfer.errors).toEqual([]);
          expect((await gql(SHIP, { input: { reference } })).shipTransfer.errors).toEqual([]);
          expect((await gql(RECEIVE, { input: { reference, lines: [{ sku: skus[i]!, quantity: 1 }] } })).receiveTransfer.errors).toEqual([]);
        }
        const Q = `query($first: Int, $warehouse: String) { transfers(first: $first, warehouse: $warehouse) {
          nodes { reference from { code } to { code } lines { sku quantity product { name } } } } }`;
        const check = await gql(Q, { first: 12, warehouse: C });
        expect(check.transfers.nodes[0]).toMatchObject({ reference: `${prefix}-11`, from: { code: C }, to: { code: A }, lines: [{ sku: skus[11] }, { sku: skus[0] }] });
        const two = await statements(Q, { first: 2, warehouse: C });
        const twelve = await statements(Q, { first: 12, warehouse: C });
        expect(twelve).toBe(two);
        expect(twelve).toBeLessThanOrEqual(6);

        const L = `query($search: String) { products(first: 50, filter: { search: $search }) { nodes { sku levels { inTransit warehouse { code } } } } }`;
        const shown = await gql(L, { search: skus[3] });
        // skus[3]: 2 shipped to A by transfer 3 (1 received), 1 to B by transfer 2 (none received).
        expect(shown.products.nodes[0].levels).toEqual([
          { inTransit: 0, warehouse: { code: C } },
          { inTransit: 1, warehouse: { code: B } },
          { inTransit: 1, warehouse: { code: A } },
        ]);
        const one = await statements(L, { search: skus[3] });
        const many = await statements(L, { search: "TP-" });
        expect(many).toBe(one);
      });
    });
  };
}

describe("transfers API on PGlite", suite("pglite"));
describe.skipIf(!hasRealPostgres())("transfers API on PostgreSQL", suite("postgres"));
