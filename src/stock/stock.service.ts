import { levelsByIds } from "../db/read.queries.js";
import { SQLSTATE, sqlState } from "../db/errors.js";
import { ensureLevel, findLevel, lockKey, type LevelRow, movementsByOrder, type MovementRow, returnableForOrder } from "../db/stock.queries.js";
import { claimDeduction } from "../db/reservation.queries.js";
import type { Catalog, ProductRow, WarehouseRow } from "./catalog.js";
import type { Idempotency } from "./idempotency.js";
import type { Ledger } from "./ledger.js";
import * as limit from "./limits.js";
import { InputRejected, NotPermitted, refuse, StockRefusal } from "./stock.errors.js";
import type { Actor, Change, LevelChanged, Place } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";
import { products, warehouses } from "../db/schema.js";

/** Mutations not idempotent by an orderId or a reference take an optional idempotency key (idempotency.ts). */
interface Idempotent {
  idempotencyKey?: string | null;
}

export interface CreateProductInput extends Idempotent {
  sku: string;
  name: string;
  initialStock?: number | null;
  lowStockThreshold?: number | null;
  warehouse?: string | null;
}
export interface CreateWarehouseInput extends Idempotent {
  code: string;
  name: string;
  priority?: number | null;
}
export interface ReceiveInput extends Idempotent {
  sku: string;
  quantity: number;
  warehouse?: string | null;
  reason?: string | null;
  orderId?: string | null;
}
export interface AdjustInput extends Idempotent {
  sku: string;
  warehouse?: string | null;
  delta?: number | null;
  countedQuantity?: number | null;
  reason: string;
  expectedVersion?: number | null;
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
}
export interface CheckLine {
  sku: string;
  requested: number;
  available: number;
  sufficient: boolean;
}

/** The level the change left behind and the movement that records it (none when nothing changed). */
export interface LevelResult {
  level: LevelRow;
  movement: MovementRow | null;
}

const COUNT_RETRIES = 5;

/**
 * Stock that is not held for an order: products, warehouses, receipts,
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

  async createWarehouse(input: CreateWarehouseInput, actor: Actor): Promise<WarehouseRow> {
    const code = limit.warehouseCode(input.code, "code");
    const name = limit.name(input.name);
    const priority = input.priority ?? 100;
    if (!Number.isSafeInteger(priority) || priority < 0 || priority > 1_000_000) {
      throw new InputRejected("priority must be an integer from 0 to 1000000", "priority");
    }
    try {
      const [row] = await this.idem.run("createWarehouse", input, actor, (tx) => tx.insert(warehouses).values({ code, name, priority }).returning());
      await this.catalog.reloadWarehouses();
      return row!;
    } catch (err) {
      if (sqlState(err) === SQLSTATE.uniqueViolation) {
        throw new StockRefusal("DUPLICATE", `a warehouse with code "${code}" already exists`, { warehouse: code });
      }
      throw err;
    }
  }

  async createProduct(input: CreateProductInput, actor: Actor): Promise<ProductRow> {
    const sku = limit.sku(input.sku);
    const name = limit.name(input.name);
    const initial = limit.nonNegative(input.initialStock ?? 0, "initialStock");
    const threshold = limit.nonNegative(input.lowStockThreshold ?? 0, "lowStockThreshold", limit.LIMITS.thresholdMax);
    const code = limit.optionalWarehouse(input.warehouse);
    const warehouse = await this.catalog.warehouse(code);
    try {
      return await this.idem.run("createProduct", input, actor, async (tx) => {
        const [product] = await tx.insert(products).values({ sku, name }).returning();
        const levelId = await ensureLevel(tx, product!.id, warehouse.id, threshold);
        if (initial > 0) {
          const place: Place = { productId: product!.id, sku, warehouseId: warehouse.id, warehouseCode: warehouse.code };
          await this.ledger.apply(tx, [receiveChange(place, levelId, initial, null, "initial stock")], { actor });
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

  async receive(input: ReceiveInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const q = limit.quantity(input.quantity);
    const reason = limit.reason(input.reason);
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    return this.idem.run("receiveStock", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      return single(await this.ledger.apply(tx, [receiveChange(place, levelId, q, null, reason)], { actor, commit }));
    });
  }

  /**
   * A customer return: onHand grows. It names the order it comes back from,
   * and no more than that order bought there can come back; only ADMIN may
   * return stock without an order (that would otherwise create stock).
   */
  async returnStock(input: ReceiveInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const q = limit.quantity(input.quantity);
    const reason = limit.reason(input.reason);
    const orderId = input.orderId == null ? null : limit.orderId(input.orderId);
    if (orderId === null && actor.role !== "ADMIN") {
      throw new NotPermitted("a return must name the order it comes back from (orderId); only ADMIN may return stock without one");
    }
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));
    return this.idem.run("returnStock", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      if (orderId !== null) {
        // Two returns of one order must not both pass the check below.
        const order = { channel: actor.channel, orderId };
        await lockKey(tx, `return:${order.channel}:${orderId}`);
        const { sold, returnable } = await returnableForOrder(tx, order, levelId);
        if (sold === 0) {
          throw new StockRefusal("RESERVATION_NOT_FOUND", `order "${orderId}" bought no "${sku}" in ${place.warehouseCode}`, {
            sku,
            warehouse: place.warehouseCode,
          });
        }
        if (q > returnable) {
          throw new StockRefusal(
            "INVALID_QUANTITY",
            `only ${returnable} of "${sku}" from order "${orderId}" can still be returned, ${q} given`,
            { sku, warehouse: place.warehouseCode, requested: q, available: returnable },
          );
        }
      }
      const change: Change = { ...receiveChange(place, levelId, q, orderId, reason), type: "RETURN" };
      return single(await this.ledger.apply(tx, [change], { actor, commit }));
    });
  }

  async adjust(input: AdjustInput, actor: Actor): Promise<LevelResult> {
    const sku = limit.sku(input.sku);
    const reason = limit.requiredReason(input.reason);
    const hasDelta = input.delta != null;
    const hasCount = input.countedQuantity != null;
    if (hasDelta === hasCount) throw new InputRejected("give exactly one of delta and countedQuantity", "delta");
    const expectedVersion = limit.optionalVersion(input.expectedVersion);
    const place = await this.catalog.place(sku, limit.optionalWarehouse(input.warehouse));

    if (hasDelta) {
      const delta = limit.signedDelta(input.delta);
      return this.idem.run("adjustStock", input, actor, async (tx, commit) => {
        const levelId = await this.catalog.levelId(place, tx);
        const change: Change = {
          ...place,
          levelId,
          type: "ADJUST",
          onHandDelta: delta,
          reservedDelta: 0,
          requested: Math.abs(delta),
          // Taking stock away may not cut into what is held for orders.
          minAvailable: delta < 0 ? -delta : undefined,
          expectedVersion,
          reason,
        };
        return single(await this.ledger.apply(tx, [change], { actor, commit }));
      });
    }

    const counted = limit.nonNegative(input.countedQuantity, "countedQuantity", limit.LIMITS.int4Max);
    // The difference depends on the current count: read the version, write only
    // while it holds (docs/design.md), reading again a bounded number of times
    // (in READ COMMITTED each read sees what committed meanwhile). A version
    // the caller gave is theirs to retry.
    return this.idem.run("adjustStock", input, actor, async (tx, commit) => {
      const levelId = await this.catalog.levelId(place, tx);
      for (let attempt = 0; attempt < COUNT_RETRIES; attempt++) {
        const level = (await findLevel(tx, levelId))!;
        if (expectedVersion !== undefined && level.version !== expectedVersion) {
          throw refuse.versionConflict(sku, place.warehouseCode, level.version);
        }
        if (counted < level.reserved) {
          throw new StockRefusal(
            "INSUFFICIENT_STOCK",
            `counted ${counted} of "${sku}" in ${place.warehouseCode} but ${level.reserved} are held for orders: release them first`,
            { sku, warehouse: place.warehouseCode, requested: level.reserved, available: counted },
          );
        }
        const delta = counted - level.onHand;
        if (delta === 0) return { level, movement: null };
        const change: Change = {
          ...place,
          levelId,
          type: "ADJUST",
          onHandDelta: delta,
          reservedDelta: 0,
          requested: Math.abs(delta),
          expectedVersion: level.version,
          reason,
        };
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

  /** A sale without a reservation: all lines or none. A repeated orderId returns the first sale's movements. */
  async deduct(input: DeductInput, actor: Actor): Promise<MovementRow[]> {
    const orderId = input.orderId == null ? null : limit.orderId(input.orderId);
    const reason = limit.reason(input.reason);
    const lines = await this.catalog.places(limit.lines(input.items));
    const levelIds = await Promise.all(lines.map((l) => this.catalog.existingLevelId(l)));
    return this.idem.run("deductStock", input, actor, async (tx, commit) => {
      const order = orderId === null ? null : { channel: actor.channel, orderId };
      if (order !== null && !(await claimDeduction(tx, order))) {
        const earlier = await movementsByOrder(tx, order, "DEDUCT");
        const same =
          earlier.length === lines.length &&
          lines.every((l, i) => earlier.some((m) => m.levelId === levelIds[i] && -m.onHandDelta === l.quantity));
        if (!same) throw new StockRefusal("DUPLICATE", `order "${orderId}" was already deducted with other lines`);
        return earlier;
      }
      const changes: Change[] = lines.map(({ quantity, ...place }, i) => {
        const levelId = levelIds[i];
        if (levelId == null) throw refuse.insufficient(place.sku, place.warehouseCode, quantity, 0);
        return {
          ...place,
          levelId,
          type: "DEDUCT",
          onHandDelta: -quantity,
          reservedDelta: 0,
          requested: quantity,
          minAvailable: quantity,
          orderId,
          reason,
        };
      });
      return (await this.ledger.apply(tx, changes, { actor, commit })).changed.map((c) => c.movement);
    });
  }

  /** Can these lines be reserved right now? Reads only. */
  async check(items: limit.LineInput[]): Promise<CheckLine[]> {
    const lines = await this.catalog.places(limit.lines(items));
    const levelIds = await Promise.all(lines.map((l) => this.catalog.existingLevelId(l)));
    // One statement for all lines.
    const found = await levelsByIds(this.uow.database.db, levelIds.filter((id): id is number => id !== null));
    const byId = new Map(found.map((l) => [l.id, l]));
    return lines.map((l, i) => {
      const level = byId.get(levelIds[i] ?? -1);
      const available = level ? level.onHand - level.reserved : 0;
      return { sku: l.sku, requested: l.quantity, available, sufficient: available >= l.quantity };
    });
  }
}

function receiveChange(place: Place, levelId: number, q: number, orderId: string | null, reason: string | null | undefined): Change {
  return { ...place, levelId, type: "RECEIVE", onHandDelta: q, reservedDelta: 0, requested: q, orderId, reason };
}

function single(applied: { changed: LevelChanged[] }): LevelResult {
  const first = applied.changed[0]!;
  return { level: first.level, movement: first.movement };
}
