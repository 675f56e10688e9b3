import type { Database } from "../db/client.js";
import { lotsByIds, lotsOfLevels, lotsOfMovements, lotsOfReservations } from "../db/lot.queries.js";
import { apiKeysByIds } from "../db/api-key.queries.js";
import {
  activeLevelsByProductIds,
  alertPage,
  alertsByIds,
  levelsByIds,
  levelsByProductIds,
  lowStockPage,
  type MovementFilter,
  movementPage,
  movementsByIds,
  type ProductFilter,
  productPage,
  productsByIds,
  reservationPage,
  reservationsByIds,
  warehousesByIds,
} from "../db/read.queries.js";
import { linesOf, reservationByOrder, type ReservationRow } from "../db/reservation.queries.js";
import { findLevel, type LevelRow } from "../db/stock.queries.js";
import { inTransitTo, transferByReference, transferLinesOf, transferPage, transfersByIds, type TransferStatus } from "../db/transfer.queries.js";
import type { Catalog } from "./catalog.js";
import * as limit from "./limits.js";
import { InputRejected } from "./stock.errors.js";

export interface Summary {
  onHand: number;
  reserved: number;
  unsellable: number;
  available: number;
  lowStock: boolean;
  outOfStock: boolean;
}

/** Reads for the API: pages, filters and the batch look-ups behind its loaders. */
export class QueryService {
  constructor(
    private readonly database: Database,
    private readonly catalog: Catalog,
    /** The highest ledger sequence below which nothing can still commit. */
    private readonly settledUpTo: () => number,
  ) {}

  private get db() {
    return this.database.db;
  }

  product(sku: string) {
    return this.catalog.product(limit.sku(sku));
  }

  productPage(first: number | null | undefined, afterId: number | null, filter?: ProductFilter) {
    if (filter?.search != null && filter.search.length > 200) throw new InputRejected("search must be at most 200 characters", "filter.search");
    return productPage(this.db, limit.first(first), afterId, filter);
  }

  warehouses() {
    return this.catalog.reloadWarehouses();
  }

  async warehouseId(code: string | null | undefined): Promise<number | null> {
    if (code == null) return null;
    return (await this.catalog.warehouse(limit.warehouseCode(code))).id;
  }

  /**
   * Levels at or below their threshold, lowest available first, after the
   * given level (where it stands now). `extra` rows past `first` are fetched
   * too: one tells a connection that another page follows.
   */
  async lowStockLevels(warehouse: string | null | undefined, first: number | null | undefined, afterLevelId: number | null, extra = 0) {
    const n = limit.first(first);
    const warehouseId = await this.warehouseId(warehouse);
    let after: { available: number; id: number } | null = null;
    if (afterLevelId !== null) {
      const level = await findLevel(this.db, afterLevelId);
      if (level) after = { available: level.onHand - level.reserved - level.unsellable, id: level.id };
    }
    return lowStockPage(this.db, n + extra, warehouseId, after);
  }

  /** The level of a product in a warehouse, or null when it never had one there. */
  async levelIdAt(sku: string, warehouse: string, field = "place"): Promise<number | null> {
    return this.catalog.existingLevelId(await this.catalog.place(limit.sku(sku, `${field}.sku`), limit.warehouseCode(warehouse, `${field}.warehouse`)));
  }

  /** An order's reservation in a channel (the caller's, unless one is named). */
  reservation(orderId: string, channel: string) {
    return reservationByOrder(this.db, { channel: limit.channel(channel), orderId: limit.orderId(orderId) });
  }

  reservationPage(status: ReservationRow["status"] | null | undefined, first: number | null | undefined, beforeId: number | null) {
    return reservationPage(this.db, limit.first(first), beforeId, status);
  }

  async movementPage(
    filter: { sku?: string | null; warehouse?: string | null; type?: MovementFilter["type"]; orderId?: string | null },
    first: number | null | undefined,
    after: number | null,
    newestFirst: boolean,
  ) {
    const n = limit.first(first);
    const f: MovementFilter = { type: filter.type ?? null };
    if (filter.sku != null) f.productId = await this.catalog.productId(limit.sku(filter.sku));
    if (filter.warehouse != null) f.warehouseId = (await this.warehouseId(filter.warehouse))!;
    if (filter.orderId != null) f.orderId = limit.orderId(filter.orderId);
    return movementPage(this.db, f, n, after, { newestFirst, settledUpTo: this.settledUpTo() });
  }

  async alertPage(warehouse: string | null | undefined, first: number | null | undefined, beforeId: number | null) {
    return alertPage(this.db, limit.first(first), beforeId, await this.warehouseId(warehouse));
  }

  // Batch look-ups for the per-request loaders: one statement per batch.
  lotsByIds = (ids: readonly number[]) => lotsByIds(this.db, ids);
  lotsOfLevels = (levelIds: readonly number[], includeEmpty: boolean) => lotsOfLevels(this.db, levelIds, includeEmpty);
  lotsOfReservations = (ids: readonly number[]) => lotsOfReservations(this.db, ids);
  lotsOfMovements = (keys: ReadonlyArray<{ levelId: number; version: number }>) => lotsOfMovements(this.db, keys);
  productsByIds = (ids: readonly number[]) => productsByIds(this.db, ids);
  warehousesByIds = (ids: readonly number[]) => warehousesByIds(this.db, ids);
  levelsByIds = (ids: readonly number[]) => levelsByIds(this.db, ids);
  levelsByProductIds = (ids: readonly number[]) => levelsByProductIds(this.db, ids);
  movementsByIds = (ids: readonly number[]) => movementsByIds(this.db, ids);
  linesByReservationIds = (ids: readonly number[]) => linesOf(this.db, ids);
  reservationsByIds = (ids: readonly number[]) => reservationsByIds(this.db, ids);
  alertsByIds = (ids: readonly number[]) => alertsByIds(this.db, ids);
  apiKeysByIds = (ids: readonly number[]) => apiKeysByIds(this.db, ids);

  transfer(reference: string) {
    return transferByReference(this.db, limit.reference(reference));
  }

  /** Newest first; `warehouse` matches transfers from or to it. */
  async transferPage(status: TransferStatus | null | undefined, warehouse: string | null | undefined, first: number | null | undefined, beforeId: number | null) {
    return transferPage(this.db, limit.first(first), beforeId, { status, warehouseId: await this.warehouseId(warehouse) });
  }

  transfersByIds = (ids: readonly number[]) => transfersByIds(this.db, ids);
  linesByTransferIds = (ids: readonly number[]) => transferLinesOf(this.db, ids);
  inTransitTo = (places: readonly { productId: number; warehouseId: number }[]) => inTransitTo(this.db, places);

  async summariesByProductIds(ids: readonly number[]): Promise<Map<number, Summary>> {
    const byProduct = new Map<number, LevelRow[]>(ids.map((id) => [id, []]));
    for (const l of await activeLevelsByProductIds(this.db, ids)) byProduct.get(l.productId)?.push(l);
    return new Map([...byProduct].map(([id, levels]) => [id, summarize(levels)]));
  }

}

/** The largest total a summary reports: GraphQL's Int is 32 bits, and a total past it would fail the whole answer. */
export const TOTAL_MAX = 2 ** 31 - 1;

/** Totals over levels, each at most TOTAL_MAX (a level holds at most that, but several together may hold more). */
export function summarize(levels: readonly LevelRow[]): Summary {
  const onHand = levels.reduce((s, l) => s + l.onHand, 0);
  const reserved = levels.reduce((s, l) => s + l.reserved, 0);
  const unsellable = levels.reduce((s, l) => s + l.unsellable, 0);
  const available = onHand - reserved - unsellable;
  return {
    onHand: Math.min(onHand, TOTAL_MAX),
    reserved: Math.min(reserved, TOTAL_MAX),
    unsellable: Math.min(unsellable, TOTAL_MAX),
    available: Math.min(available, TOTAL_MAX),
    lowStock: levels.some((l) => l.onHand - l.reserved - l.unsellable <= l.lowStockThreshold),
    outOfStock: available === 0,
  };
}
