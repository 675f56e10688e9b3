import { levelsByIds } from "../db/read.queries.js";
import { SQLSTATE, sqlState } from "../db/errors.js";
import { ensureLevel, findLevel, lockKey, type LevelRow, movementsByOrder, type MovementRow, soldToOrder, type SourceRow, sourcesOf } from "../db/stock.queries.js";
import { claimDeduction } from "../db/reservation.queries.js";
import type { Tx } from "../db/client.js";
import { expiryOfCode, lotOfLevel, lotsSoldToOrder } from "../db/lot.queries.js";
import type { Catalog, ProductRow } from "./catalog.js";
import type { Idempotency } from "./idempotency.js";
import type { Ledger } from "./ledger.js";
import { addDays, type LotIntent } from "./lot-plan.js";
import { applyOutflow, openProducts, plan, readSources, sameRequest } from "./outflow.js";
import { pickIntent } from "./reserve.js";
import * as limit from "./limits.js";
import { InputRejected, NotPermitted, refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, LevelChanged, Place, RequestLine } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";
import { products } from "../db/schema.js";

/** Mutations not idempotent by an orderId or a reference take an optional idempotency key (idempotency.ts). */
interface Idempotent {
  idempotencyKey?: string | null;
}

/** A lot as a receipt names it: its code and, if it has one, its expiry date. */
export interface LotInput {
  code: string;
  expiresOn?: Date | string | null;
}

export interface CreateProductInput extends Idempotent {
  sku: string;
  name: string;
  initialStock?: number | null;
  lowStockThreshold?: number | null;
  warehouse?: string | null;
  tracksLots?: boolean | null;
  removalDays?: number | null;
  initialLot?: LotInput | null;
}
export interface ReceiveInput extends Idempotent {
  sku: string;
  quantity: number;
  warehouse?: string | null;
  reason?: string | null;
  orderId?: string | null;
  /** Receipts of a lot-tracked product name the lot. */
  lot?: LotInput | null;
}
export interface ReturnInput extends Idempotent {
  sku: string;
  quantity: number;
  warehouse?: string | null;
  reason?: string | null;
  orderId?: string | null;
  /** Returned into this lot; omitted: the lots the order took it from. */
  lot?: string | null;
}
export interface AdjustInput extends Idempotent {
  sku: string;
  warehouse?: string | null;
  delta?: number | null;
  countedQuantity?: number | null;
  reason: string;
  expectedVersion?: number | null;
  /** For a lot-tracked product: the lot adjusted or counted (a new lot needs its expiry date). */
  lot?: LotInput | null;
}
export interface WriteOffInput extends Idempotent {
  sku: string;
  warehouse?: string | null;
  lot: string;
  quantity?: number | null;
  reason: string;
}
export interface ThresholdInput extends Idempotent {
  sku: string;
  warehouse?: string | null;
  threshold: number;
  expectedVersion?: number | null;
}
export interface DeductInput extends Idempotent {
  orderId?: string | null;
  items: limit.LineInput[];
  reason?: string | null;
  allocation?: limit.AllocationInput | null;
}
export interface CheckLine {
  sku: string;
  requested: number;
  /** In the warehouse named, or in every active warehouse when the service chooses. */
  available: number;
  sufficient: boolean;
  /** Where reserveStock would take it from now (empty when it could not). */
  sources: Array<{ warehouseId: number; quantity: number }>;
}

/**
 * The level the change left behind and the movement that records it (none
 * when nothing changed); a change of several levels (a return split over the
 * places an order was served from) lists them all in `changed`.
 */
export interface LevelResult {
  level: LevelRow;
  movement: MovementRow | null;
  changed?: LevelChanged[];
}

const COUNT_RETRIES = 5;

/**
 * Stock that is not held for an order: products, receipts,
 * corrections, thresholds, direct sales and returns. Every change is one
 * transaction of guarded updates plus its ledger rows (see ledger.ts).
 */
export class StockService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: Catalog,
    private readonly ledger: Ledger,
    private readonly idem: Idempotency,
  ) {}

  async createProduct(input: CreateProductInput, actor: Actor): Promise<ProductRow> {
    const sku = limit.sku(input.sku);
    const name = limit.name(input.name);
    const initial = limit.nonNegative(input.initialStock ?? 0, "initialStock");
    const threshold = limit.nonNegative(input.lowStockThreshold ?? 0, "lowStockThreshold", limit.LIMITS.thresholdMax);
    const tracksLots = input.tracksLots ?? false;
    const removalDays = limit.days(input.removalDays ?? 0, "removalDays");
    if (!tracksLots && input.initialLot != null) throw new InputRejected("initialLot is for products that track lots (tracksLots: true)", "initialLot");
    if (tracksLots && initial > 0 && input.initialLot == null) throw new InputRejected("a product that tracks lots names the lot of its initial stock (initialLot)", "initialLot");
    const lot = tracksLots && input.initialLot != null ? lotOf(input.initialLot, removalDays, "initialLot") : null;
    const code = limit.optionalWarehouse(input.warehouse);
    const warehouse = await this.catalog.warehouse(code);
    try {
      return await this.idem.run("createProduct", input, actor, async (tx) => {
        const [product] = await tx.insert(products).values({ sku, name, tracksLots, removalDays }).returning();
        const levelId = await ensureLevel(tx, product!.id, warehouse.id, threshold);
        if (initial > 0) {
          const place: Place = { productId: product!.id, sku, warehouseId: warehouse.id, warehouseCode: warehouse.code };
          await this.ledger.apply(tx, [{ ...receiveChange(place, levelId, initial, null, "initial stock"), lots: lot ?? undefined }], { actor });
        }
        return product!;
      });
    } catch (err) {
      if (sqlState(err) === SQLSTATE.uniqueViolation) {
        throw new StockRefusal("DUPLICATE", `a product with sku "${sku}" already exists`, { sku });
      }
      throw err;
    }
  }

  /**
   * A receipt. For a lot-tracked product it names the lot (made if new; a
   * lot code has one expiry date across the product's warehouses).
   */
  async receive(input: ReceiveInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const q = limit.quantity(input.quantity);
    const reason = limit.reason(input.reason);
    const product = await this.catalog.productOf(sku);
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    const lot = this.inboundLot(product, input.lot, "lot");
    return this.idem.run("receiveStock", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      if (lot) await this.sameExpiry(tx, product, lot);
      return single(await this.ledger.apply(tx, [{ ...receiveChange(place, levelId, q, null, reason), lots: lot ?? undefined }], { actor, commit }));
    });
  }

  /**
   * Takes expired or damaged stock of one lot out (WRITE_OFF): what it says,
   * or all of the lot that no order holds.
   */
  async writeOffLot(input: WriteOffInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const code = limit.lotCode(input.lot, "lot");
    const reason = limit.requiredReason(input.reason);
    const asked = input.quantity == null ? null : limit.quantity(input.quantity);
    const product = await this.catalog.productOf(sku);
    if (!product.tracksLots) throw refuse.lotRequired(sku, input.warehouse ?? "MAIN", `"${sku}" does not track lots: use adjustStock`);
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    return this.idem.run("writeOffLot", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.existingLevelId(place, tx);
      const lot = levelId === null ? null : await lotOfLevel(tx, levelId, code);
      if (levelId === null || !lot) throw refuse.lotRequired(sku, place.warehouseCode, `there is no lot "${code}" of "${sku}" in ${place.warehouseCode}`);
      // All of it by default: read here, and the write checks it again under the level's lock.
      const q = asked ?? lot.onHand - lot.reserved;
      if (q <= 0) throw refuse.insufficient(sku, place.warehouseCode, 1, 0);
      const change: Change = {
        ...place,
        levelId,
        type: "WRITE_OFF",
        onHandDelta: -q,
        reservedDelta: 0,
        requested: q,
        reason,
        lots: { kind: "exact", lots: [{ code, quantity: q }] },
      };
      return single(await this.ledger.apply(tx, [change], { actor, commit }));
    });
  }

  /** The lot a receipt names: required for a lot-tracked product, refused for others. */
  private inboundLot(product: ProductRow, lot: LotInput | null | undefined, field: string): LotIntent | null {
    if (!product.tracksLots) {
      if (lot != null) throw new InputRejected(`"${product.sku}" does not track lots: leave ${field} out`, field);
      return null;
    }
    if (lot == null) throw refuse.lotRequired(product.sku, "", `"${product.sku}" tracks lots: name the lot (${field}: { code, expiresOn })`);
    return lotOf(lot, product.removalDays, field);
  }

  /** A lot code has one expiry date across the product's warehouses. */
  private async sameExpiry(tx: Tx, product: ProductRow, lot: LotIntent): Promise<void> {
    if (lot.kind !== "into") return;
    const known = await expiryOfCode(tx, product.id, lot.code);
    if (known && known.expiresOn !== lot.expiresOn) {
      throw new StockRefusal(
        "DUPLICATE",
        `lot "${lot.code}" of "${product.sku}" expires on ${known.expiresOn ?? "no date"}, not ${lot.expiresOn ?? "no date"}: a lot code has one expiry date`,
        { sku: product.sku },
      );
    }
  }

  /**
   * A customer return: onHand grows. It names the order it comes back from,
   * and goes back where that order took it (the warehouse named, or the
   * places the order was served from, in the order it was), never more than
   * the order bought there; only ADMIN may return stock without an order
   * (that would otherwise create stock), into the warehouse named or MAIN.
   */
  async returnStock(input: ReturnInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const q = limit.quantity(input.quantity);
    const reason = limit.reason(input.reason);
    const orderId = input.orderId == null ? null : limit.orderId(input.orderId);
    const named = limit.optionalWarehouse(input.warehouse);
    const lotCode = input.lot == null ? null : limit.lotCode(input.lot, "lot");
    if (orderId === null && actor.role !== "ADMIN") {
      throw new NotPermitted("a return must name the order it comes back from (orderId); only ADMIN may return stock without one");
    }
    const product = await this.catalog.productOf(sku);
    if (!product.tracksLots && lotCode !== null) throw new InputRejected(`"${sku}" does not track lots: leave lot out`, "lot");
    const productId = product.id;
    const place = named !== undefined || orderId === null ? await this.catalog.place(sku, named) : null;
    return this.idem.run("returnStock", input, actor, async (tx, commit) => {
      if (orderId === null) {
        const levelId = await this.catalog.levelId(place!, tx);
        if (product.tracksLots && lotCode === null) throw refuse.lotRequired(sku, place!.warehouseCode, `"${sku}" tracks lots: name the lot the stock goes back into`);
        const lots: LotIntent | undefined = lotCode !== null ? { kind: "exact", lots: [{ code: lotCode, quantity: q }] } : undefined;
        return single(await this.ledger.apply(tx, [{ ...returnChange(place!, levelId, q, null, reason), lots }], { actor, commit }));
      }
      // Two returns of one order must not both pass the checks below.
      const order = { channel: actor.channel, orderId };
      await lockKey(tx, `return:${order.channel}:${orderId}`);
      const [allSold, soldLots] = await Promise.all([soldToOrder(tx, order, productId), product.tracksLots ? lotsSoldToOrder(tx, order, productId) : []]);
      const sold = allSold.filter((s) => !place || s.warehouseId === place.warehouseId);
      const where = place ? ` in ${place.warehouseCode}` : "";
      if (sold.length === 0) {
        throw new StockRefusal("RESERVATION_NOT_FOUND", `order "${orderId}" bought no "${sku}"${where}`, { sku, warehouse: place?.warehouseCode });
      }
      const returnable = sold.reduce((sum, s) => sum + s.returnable, 0);
      if (q > returnable) {
        throw new StockRefusal("INVALID_QUANTITY", `only ${returnable} of "${sku}" from order "${orderId}" can still be returned${where}, ${q} given`, {
          sku,
          warehouse: place?.warehouseCode,
          requested: q,
          available: returnable,
        });
      }
      const changes: Change[] = [];
      let left = q;
      for (const s of sold) {
        const back = Math.min(left, s.returnable);
        if (back === 0) continue;
        const at: Place = { productId, sku, warehouseId: s.warehouseId, warehouseCode: s.warehouseCode };
        const change = returnChange(at, s.levelId, back, orderId, reason);
        if (product.tracksLots) change.lots = backInto(lotCode, back, soldLots.filter((x) => x.levelId === s.levelId));
        changes.push(change);
        left -= back;
        if (left === 0) break;
      }
      return single(await this.ledger.apply(tx, changes, { actor, commit }));
    });
  }

  /**
   * A correction by a delta, or a stocktake count (the difference is
   * recorded). For a lot-tracked product: a delta adds into the lot named
   * (made if new) or takes from the lot named (else first-expiry-first-out);
   * a count is of the lot named.
   */
  async adjust(input: AdjustInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const reason = limit.requiredReason(input.reason);
    const hasDelta = input.delta != null;
    const hasCount = input.countedQuantity != null;
    if (hasDelta === hasCount) throw new InputRejected("give exactly one of delta and countedQuantity", "delta");
    const expectedVersion = limit.optionalVersion(input.expectedVersion);
    const product = await this.catalog.productOf(sku);
    if (!product.tracksLots && input.lot != null) throw new InputRejected(`"${sku}" does not track lots: leave lot out`, "lot");
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    const lotCode = input.lot == null ? null : limit.lotCode(input.lot.code, "lot.code");

    if (hasDelta) {
      const delta = limit.signedDelta(input.delta);
      let lots: LotIntent | undefined;
      if (product.tracksLots) {
        if (delta > 0) lots = this.inboundLot(product, input.lot, "lot")!;
        else lots = lotCode !== null ? { kind: "exact", lots: [{ code: lotCode, quantity: -delta }] } : { kind: "pick" };
      }
      return this.idem.run("adjustStock", input, actor, async (tx, commit) => {
        const levelId = await this.catalog.levelId(place, tx);
        if (lots) await this.sameExpiry(tx, product, lots);
        // Taking stock away may not cut into what is held for orders.
        const change = { ...adjustChange(place, levelId, delta, reason, lots), minAvailable: delta < 0 ? -delta : undefined, expectedVersion };
        return single(await this.ledger.apply(tx, [change], { actor, commit }));
      });
    }

    const counted = limit.nonNegative(input.countedQuantity, "countedQuantity", limit.LIMITS.int4Max);
    if (product.tracksLots && lotCode === null) throw refuse.lotRequired(sku, place.warehouseCode, `"${sku}" tracks lots: count one lot at a time (lot)`);
    // The difference depends on the current count: read the version, write only
    // while it holds (docs/design.md), reading again a bounded number of times
    // (in READ COMMITTED each read sees what committed meanwhile). A version
    // the caller gave is theirs to retry.
    return this.idem.run("adjustStock", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      for (let attempt = 0; attempt < COUNT_RETRIES; attempt++) {
        const [level, lot] = await Promise.all([findLevel(tx, levelId), lotCode !== null ? lotOfLevel(tx, levelId, lotCode) : null]);
        if (expectedVersion !== undefined && level!.version !== expectedVersion) {
          throw refuse.versionConflict(sku, place.warehouseCode, level!.version);
        }
        // What is counted: the lot, or the whole level.
        const onHand = lotCode !== null ? (lot?.onHand ?? 0) : level!.onHand;
        const reserved = lotCode !== null ? (lot?.reserved ?? 0) : level!.reserved;
        const what = lotCode !== null ? `lot "${lotCode}" of "${sku}"` : `"${sku}"`;
        if (counted < reserved) {
          throw new StockRefusal(
            "INSUFFICIENT_STOCK",
            `counted ${counted} of ${what} in ${place.warehouseCode} but ${reserved} are held for orders: release them first`,
            { sku, warehouse: place.warehouseCode, requested: reserved, available: counted },
          );
        }
        const delta = counted - onHand;
        if (delta === 0) return { level: level!, movement: null };
        let lots: LotIntent | undefined;
        if (lotCode !== null) {
          if (lot) lots = { kind: "exact", lots: [{ code: lotCode, quantity: Math.abs(delta) }] };
          else lots = this.inboundLot(product, input.lot, "lot")!;
          if (lots.kind === "into") await this.sameExpiry(tx, product, lots);
        }
        const change = { ...adjustChange(place, levelId, delta, reason, lots), expectedVersion: level!.version };
        try {
          return single(await this.ledger.apply(tx, [change], { actor, commit }));
        } catch (err) {
          if (expectedVersion !== undefined || !(err instanceof StockRefusal) || err.code !== "VERSION_CONFLICT") throw err;
        }
      }
      throw new StockRefusal("VERSION_CONFLICT", `stock level of "${sku}" kept changing during the count; count again`, {
        sku,
        warehouse: place.warehouseCode,
      });
    });
  }

  /** A THRESHOLD movement: the level's version moves like for any change, and a crossing alerts. */
  async setThreshold(input: ThresholdInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const threshold = limit.nonNegative(input.threshold, "threshold", limit.LIMITS.thresholdMax);
    const expectedVersion = limit.optionalVersion(input.expectedVersion);
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    return this.idem.run("setLowStockThreshold", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      const change: Change = { ...place, levelId, type: "THRESHOLD", onHandDelta: 0, reservedDelta: 0, requested: 0, threshold, expectedVersion };
      return single(await this.ledger.apply(tx, [change], { actor, commit }));
    });
  }

  /**
   * A sale without a reservation: all lines or none; lines naming no
   * warehouse are allocated (outflow.ts). A repeated orderId returns the
   * first sale's movements.
   */
  async deduct(input: DeductInput, actor: Actor): Promise<MovementRow[]> {
    const orderId = input.orderId == null ? null : limit.orderId(input.orderId);
    const reason = limit.reason(input.reason);
    const out = { lines: await this.catalog.requestLines(limit.lines(input.items)), policy: limit.allocation(input.allocation) };
    return this.idem.run("deductStock", input, actor, async (tx, commit) => {
      const sources = readSources(tx, out);
      if (orderId !== null) {
        const order = { channel: actor.channel, orderId };
        if (!(await claimDeduction(tx, order))) {
          await sources.catch(() => {});
          const earlier = await movementsByOrder(tx, order, "DEDUCT");
          const taken = earlier.map((m) => ({ productId: m.productId, warehouseId: m.warehouseId, quantity: -m.onHandDelta }));
          if (!sameRequest(out.lines, taken)) throw new StockRefusal("DUPLICATE", `order "${orderId}" was already deducted with other lines`);
          return earlier;
        }
      }
      const deduct = (line: RequestLine, place: Place & { levelId: number }, quantity: number): Change => ({
        ...place,
        lots: pickIntent(line),
        type: "DEDUCT",
        onHandDelta: -quantity,
        reservedDelta: 0,
        requested: quantity,
        minAvailable: quantity,
        orderId,
        reason,
      });
      return (await applyOutflow(tx, this.ledger, out, deduct, { actor, commit }, sources)).changed.map((c) => c.movement);
    });
  }

  /**
   * Could these lines be reserved right now, and from where? Reads only: the
   * sources are those reserveStock with the same allocation would choose now.
   */
  async check(items: limit.LineInput[], allocation?: limit.AllocationInput | null): Promise<CheckLine[]> {
    const out = { lines: await this.catalog.requestLines(limit.lines(items)), policy: limit.allocation(allocation) };
    const db = this.uow.database.db;
    const namedIds = out.lines.flatMap((l) => (l.place?.levelId != null ? [l.place.levelId] : []));
    // An open line's product whose one level the catalog knows is read like a
    // named line (by the level's id); the others' sources are read whole.
    const open = openProducts(out);
    const sole = await this.catalog.knownSoleLevels(open);
    const others = open.filter((productId) => !sole.has(productId));
    const soleIds = [...sole.values()].map((s) => s.level.levelId);
    // One round trip: the named and sole levels, and the sources of the others.
    const [levels, read] = await Promise.all([levelsByIds(db, [...new Set([...namedIds, ...soleIds])]), sourcesOf(db, others)]);
    this.catalog.noteSources(others, read);
    const levelOf = new Map(levels.map((l) => [l.id, l]));
    const sources: SourceRow[] = [...read];
    for (const { level, warehouse } of sole.values()) {
      const row = levelOf.get(level.levelId);
      sources.push({
        levelId: level.levelId,
        productId: level.productId,
        warehouseId: warehouse.id,
        warehouseCode: warehouse.code,
        priority: warehouse.priority,
        latitude: warehouse.latitude,
        longitude: warehouse.longitude,
        available: row ? row.onHand - row.reserved - row.unsellable : 0,
      });
    }
    const whole = plan(out, sources);
    const shortOf = new Map(whole.short.map((s) => [s.line, s.available]));
    // Where the servable lines would come from, were the short ones left out.
    const planned = whole.short.length === 0 ? whole : plan({ ...out, lines: out.lines.filter((l) => !shortOf.has(l)) }, sources);
    return out.lines.map((line) => {
      if (line.place) {
        const level = line.place.levelId !== null ? levelOf.get(line.place.levelId) : undefined;
        const available = level ? level.onHand - level.reserved - level.unsellable : 0;
        const sufficient = available >= line.quantity;
        return { sku: line.sku, requested: line.quantity, available, sufficient, sources: sufficient ? [{ warehouseId: line.place.warehouseId, quantity: line.quantity }] : [] };
      }
      const available = sources.filter((s) => s.productId === line.productId).reduce((sum, s) => sum + Math.max(0, s.available), 0);
      const sufficient = !shortOf.has(line);
      const parts = planned.parts.filter((p) => p.line === line);
      return { sku: line.sku, requested: line.quantity, available, sufficient, sources: parts.map((p) => ({ warehouseId: p.place.warehouseId, quantity: p.quantity })) };
    });
  }
}

/** Where a return to one level goes: the lot named, else the lots the order took it from, in the order it did. */
function backInto(named: string | null, quantity: number, sold: ReadonlyArray<{ code: string; returnable: number }>): LotIntent {
  if (named !== null) return { kind: "exact", lots: [{ code: named, quantity }] };
  const lots: Array<{ code: string; quantity: number }> = [];
  let left = quantity;
  for (const s of sold) {
    const q = Math.min(left, s.returnable);
    if (q > 0) lots.push({ code: s.code, quantity: q });
    left -= q;
  }
  return { kind: "exact", lots };
}

/** A receipt's lot intent: the lot, with its sellBy from the product's removalDays. */
function lotOf(lot: LotInput, removalDays: number, field: string): LotIntent {
  const code = limit.lotCode(lot.code, `${field}.code`);
  const expiresOn = lot.expiresOn == null ? null : limit.calendarDate(lot.expiresOn, `${field}.expiresOn`);
  return { kind: "into", code, expiresOn, sellBy: expiresOn === null ? null : addDays(expiresOn, -removalDays) };
}

function receiveChange(place: Place, levelId: number, q: number, orderId: string | null, reason: string | null | undefined): Change {
  return { ...place, levelId, type: "RECEIVE", onHandDelta: q, reservedDelta: 0, requested: q, orderId, reason };
}

function adjustChange(place: Place, levelId: number, delta: number, reason: string, lots: LotIntent | undefined): Change {
  return { ...place, levelId, type: "ADJUST", onHandDelta: delta, reservedDelta: 0, requested: Math.abs(delta), reason, lots };
}

function returnChange(place: Place, levelId: number, q: number, orderId: string | null, reason: string | null | undefined): Change {
  return { ...receiveChange(place, levelId, q, orderId, reason), type: "RETURN" };
}

function single(applied: { changed: LevelChanged[] }): LevelResult {
  const first = applied.changed[0]!;
  return { level: first.level, movement: first.movement, changed: applied.changed };
}
