import type { Database, Executor } from "../db/client.js";
import { products, warehouses } from "../db/schema.js";
import { allWarehouses, ensureLevel, findLevelId, productBySku } from "../db/stock.queries.js";
import * as limit from "./limits.js";
import { refuse } from "./stock.errors.js";
import type { Place } from "./types.js";

export type ProductRow = typeof products.$inferSelect;
export type WarehouseRow = typeof warehouses.$inferSelect;

export const DEFAULT_WAREHOUSE = "MAIN";

/**
 * Resolves skus, warehouse codes and levels to ids, remembering what it found.
 * Products, warehouses and levels are never deleted and skus and codes never
 * change, so a hit stays true; a miss is always asked again (another instance
 * may just have created it).
 */
export class Catalog {
  private readonly productIds = new Map<string, number>();
  private warehousesByCode = new Map<string, WarehouseRow>();
  private readonly levelIds = new Map<string, number>();

  constructor(private readonly database: Database) {}

  async productId(sku: string, ex: Executor = this.database.db): Promise<number> {
    const hit = this.productIds.get(sku);
    if (hit !== undefined) return hit;
    const row = await productBySku(ex, sku);
    if (!row) throw refuse.productNotFound(sku);
    if (ex === this.database.db) this.productIds.set(sku, row.id);
    return row.id;
  }

  /** The warehouse for a code; none given: the service chooses (the default warehouse). */
  async warehouse(code: string | undefined | null, ex: Executor = this.database.db): Promise<WarehouseRow> {
    const wanted = code ?? DEFAULT_WAREHOUSE;
    let row = this.warehousesByCode.get(wanted);
    if (!row) {
      await this.reloadWarehouses(ex);
      row = this.warehousesByCode.get(wanted);
    }
    if (!row || !row.active) throw refuse.warehouseNotFound(wanted);
    return row;
  }

  async reloadWarehouses(ex: Executor = this.database.db): Promise<WarehouseRow[]> {
    const rows = await allWarehouses(ex);
    this.warehousesByCode = new Map(rows.map((w) => [w.code, w]));
    return rows;
  }

  async place(sku: string, warehouse: string | undefined | null, ex: Executor = this.database.db): Promise<Place> {
    const [productId, w] = await Promise.all([this.productId(sku, ex), this.warehouse(warehouse, ex)]);
    return { productId, sku, warehouseId: w.id, warehouseCode: w.code };
  }

  /** The level's id, or null if this product never had stock in that warehouse. */
  async existingLevelId(p: Place, ex: Executor = this.database.db): Promise<number | null> {
    const key = `${p.productId}/${p.warehouseId}`;
    const hit = this.levelIds.get(key);
    if (hit !== undefined) return hit;
    const id = await findLevelId(ex, p.productId, p.warehouseId);
    // Inside a transaction the row may be this transaction's own and still roll back.
    if (id !== null && ex === this.database.db) this.levelIds.set(key, id);
    return id;
  }

  /** The level's id, creating an empty level if needed (receipts, returns, counts, thresholds). */
  async levelId(p: Place, ex: Executor): Promise<number> {
    const known = await this.existingLevelId(p, ex);
    if (known !== null) return known;
    // Not cached: the level row may roll back with the caller's transaction.
    return ensureLevel(ex, p.productId, p.warehouseId);
  }

  /** Validated request lines as places, one per level (lines that land on one level count as their sum). */
  async places(lines: readonly limit.Line[]): Promise<Array<Place & { quantity: number }>> {
    const placed = await Promise.all(lines.map(async (l) => ({ ...(await this.place(l.sku, l.warehouse)), quantity: l.quantity })));
    return mergeSameLevel(placed);
  }

  async product(sku: string, ex: Executor = this.database.db): Promise<ProductRow | null> {
    return productBySku(ex, sku);
  }

}

/**
 * Lines that resolve to one level (e.g. the default warehouse named and
 * omitted) count as their sum, keeping first-seen order: the guard must see
 * what the request takes from the level in total.
 */
function mergeSameLevel<T extends Place & { quantity: number }>(lines: readonly T[]): T[] {
  const byPlace = new Map<string, T>();
  for (const l of lines) {
    const key = `${l.productId}/${l.warehouseId}`;
    const seen = byPlace.get(key);
    if (seen) seen.quantity = limit.quantity(seen.quantity + l.quantity, `items (sum of lines of ${l.sku})`);
    else byPlace.set(key, { ...l });
  }
  return [...byPlace.values()];
}
