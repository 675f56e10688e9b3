import type { Executor, Tx } from "../db/client.js";
import { lotsInTransit } from "../db/lot.queries.js";
import { warehousesByIds } from "../db/read.queries.js";
import type { MovementRow } from "../db/stock.queries.js";
import {
  claimTransfer,
  insertTransferLines,
  movementsOfTransfer,
  OPEN_STATUSES,
  receiveLines,
  recordTransferChange,
  settleReceipt,
  transferByReference,
  transferLinesOf,
  type TransferLineRow,
  type TransferRow,
  transitionTransfer,
  writeOffOutstanding,
} from "../db/transfer.queries.js";
import type { Catalog, WarehouseRow } from "./catalog.js";
import type { Idempotency } from "./idempotency.js";
import type { Ledger } from "./ledger.js";
import type { LotIntent } from "./lot-plan.js";
import * as limit from "./limits.js";
import { InputRejected, refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, Place } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

export interface TransferLineInput {
  sku: string;
  quantity: number;
}
export interface CreateTransferInput {
  reference: string;
  from: string;
  to: string;
  lines: TransferLineInput[];
  reason?: string | null;
}
export interface TransferRefInput {
  reference: string;
  reason?: string | null;
}
export interface ReceiveTransferInput extends TransferRefInput {
  lines: TransferLineInput[];
  idempotencyKey?: string | null;
}

/** A transfer as a change left it, and the movements that change made (none for create, close and cancel). */
export interface TransferResult {
  transfer: TransferRow;
  movements: MovementRow[];
}

/**
 * Stock moving between warehouses (调拨):
 *
 *   createTransfer ─► DRAFT ─ ship ─► IN_TRANSIT ─ receive ─► PARTIALLY_RECEIVED ─ receive ─► RECEIVED
 *                       │                  └───────────── close (the rest is lost) ────────────┘
 *                       └─ cancel ─► CANCELLED
 *
 * Every change is one transaction that starts with a guarded UPDATE of the
 * transfer row (its status is the guard), so of two concurrent changes of
 * one transfer (ship and cancel, receive and close) one wins and the other
 * sees the winner's result; stock moves only through the ledger (TRANSFER_OUT
 * at the origin, guarded by available; TRANSFER_IN at the destination), and
 * each change writes its transfer_events entry, which transferChanged
 * delivers. Repeating a ship, close or cancel that already happened returns
 * the transfer as it is; a create is idempotent by its reference.
 */
export class TransferService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: Catalog,
    private readonly ledger: Ledger,
    private readonly idem: Idempotency,
  ) {}

  private get db() {
    return this.uow.database.db;
  }

  /**
   * A DRAFT transfer. The reference is claimed first: a concurrent or later
   * create with the same reference, warehouses and lines gets this transfer
   * back (whatever its status now); with anything else, DUPLICATE.
   */
  async create(input: CreateTransferInput, actor: Actor): Promise<TransferResult> {
    const reference = limit.reference(input.reference);
    const fromCode = limit.warehouseCode(input.from, "from");
    const toCode = limit.warehouseCode(input.to, "to");
    if (fromCode === toCode) throw new InputRejected("from and to must be two different warehouses", "to");
    const lines = limit.lines(input.lines, "lines");
    const reason = limit.reason(input.reason) ?? null;
    const [from, to] = await Promise.all([this.catalog.warehouse(fromCode), this.catalog.warehouse(toCode)]);
    const wanted = await Promise.all(lines.map(async (l) => ({ productId: await this.catalog.productId(l.sku), quantity: l.quantity })));
    return this.uow.run(async (tx, commit) => {
      const claimed = await claimTransfer(tx, { reference, fromWarehouseId: from.id, toWarehouseId: to.id, reason, actor: actor.name });
      if (!claimed) {
        const first = (await transferByReference(tx, reference))!;
        const same = first.fromWarehouseId === from.id && first.toWarehouseId === to.id && sameLines(await transferLinesOf(tx, [first.id]), wanted);
        if (!same) throw new StockRefusal("DUPLICATE", `transfer "${reference}" already exists with other warehouses or lines`);
        return { transfer: first, movements: [] };
      }
      await commit(() => Promise.all([insertTransferLines(tx, claimed.id, wanted), recordTransferChange(tx, claimed.id, "CREATED", actor.name, reason)]));
      return { transfer: claimed, movements: [] };
    });
  }

  /**
   * All lines leave the origin at once (TRANSFER_OUT, each guarded by
   * available) or none does. Shipping again returns the transfer with the
   * movements of its shipment; a cancelled one is INVALID_STATE.
   */
  async ship(input: TransferRefInput, actor: Actor): Promise<TransferResult> {
    const reference = limit.reference(input.reference);
    const reason = limit.reason(input.reason) ?? null;
    const found = await this.find(this.db, reference);
    if (found.status !== "DRAFT") return this.alreadyShipped(this.db, found);
    // A DRAFT's lines never change: they can be resolved before the transaction.
    const [from, to] = await Promise.all([this.warehouseOf(found.fromWarehouseId), this.warehouseOf(found.toWarehouseId)]);
    const lines = await transferLinesOf(this.db, [found.id]);
    const outgoing = await Promise.all(lines.map((l) => this.located(placeOf(l, from), l.quantity)));
    const tracked = await Promise.all(lines.map(async (l) => (await this.catalog.productById(l.productId)).tracksLots));
    const incoming = await Promise.all(lines.map((l) => this.located(placeOf(l, to), l.quantity)));
    return this.uow.run(async (tx, commit) => {
      const row = await transitionTransfer(tx, reference, ["DRAFT"], "IN_TRANSIT", { shipped: true });
      if (!row) return this.alreadyShipped(tx, await this.find(tx, reference));
      // The destination gets its (empty) levels now, so what is on its way shows there as inTransit.
      await this.makeLevels(tx, incoming);
      const changes = outgoing.map(({ place, quantity, levelId }, i): Change => {
        if (levelId === null) throw refuse.insufficient(place.sku, place.warehouseCode, quantity, 0);
        // Lots leave first-expiry-first-out, as for a sale.
        const lots: LotIntent | undefined = tracked[i] ? { kind: "pick" } : undefined;
        return { ...place, levelId, type: "TRANSFER_OUT", onHandDelta: -quantity, reservedDelta: 0, requested: quantity, minAvailable: quantity, reason, transferId: row.id, lots };
      });
      await recordTransferChange(tx, row.id, "SHIPPED", actor.name, reason);
      const applied = await this.ledger.apply(tx, changes, { actor, commit });
      return { transfer: row, movements: applied.changed.map((c) => c.movement) };
    });
  }

  /**
   * One receipt: what arrived now, per sku (TRANSFER_IN at the destination).
   * A line may take no more than is still outstanding on it (quantity -
   * received - lost); otherwise INVALID_QUANTITY and nothing changes. The
   * transfer is RECEIVED once nothing is outstanding. Receipts add up, so a
   * retry would count twice: give an idempotency key.
   */
  async receive(input: ReceiveTransferInput, actor: Actor): Promise<TransferResult> {
    const reference = limit.reference(input.reference);
    const lines = limit.lines(input.lines, "lines");
    const reason = limit.reason(input.reason) ?? null;
    const found = await this.find(this.db, reference);
    const to = await this.warehouseOf(found.toWarehouseId);
    const arriving = await Promise.all(
      lines.map(async (l) => this.located(placeOf({ productId: await this.catalog.productId(l.sku), sku: l.sku }, to), l.quantity)),
    );
    return this.idem.run("receiveTransfer", input, actor, async (tx, commit) => {
      const row = await transitionTransfer(tx, reference, OPEN_STATUSES, "PARTIALLY_RECEIVED");
      if (!row) throw cannotReceive(await this.find(tx, reference));
      const took = await receiveLines(tx, row.id, arriving.map((a) => ({ productId: a.place.productId, quantity: a.quantity })));
      if (took.length < arriving.length) throw await overReceipt(tx, row, arriving, took);
      const levelIds = await this.makeLevels(tx, arriving);
      const changes: Change[] = [];
      for (const [i, { place, quantity }] of arriving.entries()) {
        const base: Change = { ...place, levelId: levelIds[i]!, type: "TRANSFER_IN", onHandDelta: quantity, reservedDelta: 0, requested: quantity, reason, transferId: row.id };
        if (!(await this.catalog.productById(place.productId)).tracksLots) {
          changes.push(base);
          continue;
        }
        // Into the lots it left in, earliest expiry first: one movement per lot.
        let left = quantity;
        for (const lot of await lotsInTransit(tx, row.id, place.productId)) {
          const q = Math.min(left, lot.outstanding);
          if (q === 0) break;
          changes.push({ ...base, onHandDelta: q, requested: q, lots: { kind: "into", code: lot.code, expiresOn: lot.expiresOn, sellBy: lot.sellBy } });
          left -= q;
        }
      }
      const settled = await settleReceipt(tx, row.id);
      await recordTransferChange(tx, row.id, "RECEIPT", actor.name, reason);
      const applied = await this.ledger.apply(tx, changes, { actor, commit });
      return { transfer: settled, movements: applied.changed.map((c) => c.movement) };
    });
  }

  /**
   * Ends an IN_TRANSIT or PARTIALLY_RECEIVED transfer short: what is still
   * outstanding is written off as lost (it left the origin's stock when it
   * shipped, so no level changes), with the reason, which is required.
   * Closing a RECEIVED transfer returns it as it is.
   */
  async close(input: TransferRefInput, actor: Actor): Promise<TransferResult> {
    const reference = limit.reference(input.reference);
    const reason = limit.requiredReason(input.reason);
    return this.uow.run(async (tx, commit) => {
      const row = await transitionTransfer(tx, reference, OPEN_STATUSES, "RECEIVED", { closed: true, closeReason: reason });
      if (!row) {
        const now = await this.find(tx, reference);
        if (now.status === "RECEIVED") return { transfer: now, movements: [] };
        const hint = now.status === "DRAFT" ? "; cancel it instead" : "";
        throw new StockRefusal("INVALID_STATE", `transfer "${reference}" is ${now.status}: only a shipped transfer can be closed${hint}`);
      }
      await commit(() => Promise.all([writeOffOutstanding(tx, row.id), recordTransferChange(tx, row.id, "CLOSED", actor.name, reason)]));
      return { transfer: row, movements: [] };
    });
  }

  /** Only a DRAFT can be cancelled (nothing has moved); cancelling again returns it as it is. */
  async cancel(input: TransferRefInput, actor: Actor): Promise<TransferResult> {
    const reference = limit.reference(input.reference);
    const reason = limit.reason(input.reason) ?? null;
    return this.uow.run(async (tx, commit) => {
      const row = await transitionTransfer(tx, reference, ["DRAFT"], "CANCELLED", { closed: true, closeReason: reason });
      if (!row) {
        const now = await this.find(tx, reference);
        if (now.status === "CANCELLED") return { transfer: now, movements: [] };
        throw new StockRefusal("INVALID_STATE", `transfer "${reference}" is ${now.status}: only a DRAFT can be cancelled; close a shipped one instead`);
      }
      await commit(() => recordTransferChange(tx, row.id, "CANCELLED", actor.name, reason));
      return { transfer: row, movements: [] };
    });
  }

  /** A place with its quantity and its level's id, null if it has no level yet. */
  private async located(place: Place, quantity: number): Promise<Located> {
    return { place, quantity, levelId: await this.catalog.existingLevelId(place) };
  }

  /**
   * The levels of the places, making those still missing one by one in
   * product order: two transactions making the same two levels then wait for
   * each other, never deadlock.
   */
  private async makeLevels(tx: Tx, located: readonly Located[]): Promise<number[]> {
    const ids = located.map((l) => l.levelId);
    const order = located.map((_, i) => i).sort((x, y) => located[x]!.place.productId - located[y]!.place.productId);
    for (const i of order) ids[i] ??= await this.catalog.levelId(located[i]!.place, tx);
    return ids as number[];
  }

  private async find(ex: Executor, reference: string): Promise<TransferRow> {
    const row = await transferByReference(ex, reference);
    if (!row) throw new StockRefusal("TRANSFER_NOT_FOUND", `no transfer with reference "${reference}"`);
    return row;
  }

  /** Transfers name their warehouses by id; a deactivated one still ends its transfers. */
  private async warehouseOf(id: number): Promise<WarehouseRow> {
    const [w] = await warehousesByIds(this.db, [id]);
    return w!;
  }

  /** A ship that finds the transfer past DRAFT: as it is, with its shipment's movements; never shipped: refused. */
  private async alreadyShipped(ex: Executor, row: TransferRow): Promise<TransferResult> {
    if (row.status === "CANCELLED" || row.status === "DRAFT") {
      throw new StockRefusal("INVALID_STATE", `transfer "${row.reference}" is ${row.status}; it cannot be shipped`);
    }
    return { transfer: row, movements: await movementsOfTransfer(ex, row.id, "TRANSFER_OUT") };
  }
}

interface Located {
  place: Place;
  quantity: number;
  levelId: number | null;
}

function placeOf(l: { productId: number; sku: string }, w: WarehouseRow): Place {
  return { productId: l.productId, sku: l.sku, warehouseId: w.id, warehouseCode: w.code };
}

/** The same lines, in any order (both are merged per product). */
function sameLines(stored: readonly TransferLineRow[], wanted: readonly { productId: number; quantity: number }[]): boolean {
  const byProduct = new Map(stored.map((l) => [l.productId, l.quantity]));
  return stored.length === wanted.length && wanted.every((w) => byProduct.get(w.productId) === w.quantity);
}

function cannotReceive(row: TransferRow): StockRefusal {
  const why: Record<string, string> = {
    DRAFT: "it has not been shipped yet",
    CANCELLED: "it was cancelled",
    RECEIVED: "it is closed: everything shipped was received or written off",
  };
  return new StockRefusal("INVALID_STATE", `transfer "${row.reference}" is ${row.status}: nothing can be received (${why[row.status] ?? "not in transit"})`);
}

/** The first line that asked for more than its outstanding part, worded from the lines as this transaction holds them. */
async function overReceipt(tx: Tx, row: TransferRow, arriving: readonly { place: Place; quantity: number }[], took: readonly number[]): Promise<StockRefusal> {
  const lines = await transferLinesOf(tx, [row.id]);
  const refused = arriving.find((a) => !took.includes(a.place.productId))!;
  const line = lines.find((l) => l.productId === refused.place.productId);
  const outstanding = line ? line.quantity - line.received - line.lost : 0;
  const { sku, warehouseCode } = refused.place;
  const message = line
    ? `only ${outstanding} of "${sku}" are still in transit on transfer "${row.reference}", not ${refused.quantity}`
    : `transfer "${row.reference}" carries no "${sku}"`;
  return new StockRefusal("INVALID_QUANTITY", message, { sku, warehouse: warehouseCode, requested: refused.quantity, available: outstanding });
}
