import type { Database, Executor } from "../db/client.js";
import { products, warehouses } from "../db/schema.js";
import { productsByIds } from "../db/read.queries.js";
import { allWarehouses, ensureLevel, findLevelId, productBySku, type SourceRow, sourcesOf } from "../db/stock.queries.js";
import * as limit from "./limits.js";
import { refuse } from "./stock.errors.js";
import type { Place, RequestLine } from "./types.js";

export type ProductRow = typeof products.$inferSelect;
export type WarehouseRow = typeof warehouses.$inferSelect;

export const DEFAULT_WAREHOUSE = "MAIN";

/**
 * How long what may change is trusted: warehouses (active, priority,
 * location: updateWarehouse on any instance) and which active levels a
 * product has. A warehouse deactivated elsewhere stops serving here within
 * this time.
 */
const FRESH_MS = 1000;

/** The longest a product's sole level is trusted (new levels and warehouse changes make it forget sooner). */
const SOLE_LEVEL_MS = 10 * 60_000;

/**
 * Resolves skus, warehouse codes and levels to ids, remembering what it found.
 * Products, warehouses and levels are never deleted and skus and codes never
 * change, so a hit stays true; a miss is always asked again (another instance
 * may just have created it).
 */
type SoleLevel = Place & { levelId: number };

export class Catalog {
  private readonly productsBySku = new Map<string, ProductRow>();
  private readonly productsById = new Map<number, ProductRow>();
  private warehousesByCode = new Map<string, WarehouseRow>();
  private warehousesAt = 0;
  /** The reload of warehouses that lapsed, shared by whoever finds them lapsed meanwhile. */
  private warehousesLapsed: Promise<unknown> | null = null;
  private readonly levelIds = new Map<string, number>();
  private readonly soleLevels = new Map<number, { level: SoleLevel | null; at: number }>();
  private readonly soleLookups = new Map<number, Promise<SoleLevel | null>>();

  constructor(private readonly database: Database) {}

  async productId(sku: string, ex: Executor = this.database.db): Promise<number> {
    return (await this.productOf(sku, ex)).id;
  }

  /** A product by sku (what never changes of it: id, sku, whether it tracks lots, removalDays). */
  async productOf(sku: string, ex: Executor = this.database.db): Promise<ProductRow> {
    const hit = this.productsBySku.get(sku);
    if (hit !== undefined) return hit;
    const row = await productBySku(ex, sku);
    if (!row) throw refuse.productNotFound(sku);
    if (ex === this.database.db) this.remember(row);
    return row;
  }

  /** A product known by id (it was resolved by sku before, or is read now). */
  async productById(id: number): Promise<ProductRow> {
    const hit = this.productsById.get(id);
    if (hit) return hit;
    const [row] = await productsByIds(this.database.db, [id]);
    if (!row) throw new Error(`product ${id} vanished`);
    this.remember(row);
    return row;
  }

  private remember(row: ProductRow): void {
    if (this.productsBySku.size > 100_000) {
      this.productsBySku.clear();
      this.productsById.clear();
    }
    this.productsBySku.set(row.sku, row);
    this.productsById.set(row.id, row);
  }

  /** The warehouse for a code; none given: the service chooses (the default warehouse). */
  async warehouse(code: string | undefined | null, ex: Executor = this.database.db): Promise<WarehouseRow> {
    const wanted = code ?? DEFAULT_WAREHOUSE;
    let row = this.freshWarehouse(wanted);
    if (!row) {
      await (ex === this.database.db ? this.reloadLapsed() : this.reloadWarehouses(ex));
      row = this.warehousesByCode.get(wanted);
    }
    if (!row || !row.active) throw refuse.warehouseNotFound(wanted);
    return row;
  }

  /** The warehouse for a code as last read, if that read is fresh (no look-up). */
  private freshWarehouse(code: string): WarehouseRow | undefined {
    return performance.now() - this.warehousesAt < FRESH_MS ? this.warehousesByCode.get(code) : undefined;
  }

  /**
   * Reads the warehouses again because the last read lapsed: requests that
   * find it lapsed at once share one read (a write that changed a warehouse
   * reads them itself, reloadWarehouses, so it never gets an older read).
   */
  private reloadLapsed(): Promise<unknown> {
    return (this.warehousesLapsed ??= this.reloadWarehouses().finally(() => (this.warehousesLapsed = null)));
  }

  async reloadWarehouses(ex: Executor = this.database.db): Promise<WarehouseRow[]> {
    const rows = await allWarehouses(ex);
    // Which warehouses serve changed since the last reload: a product's sole
    // level may no longer be its only one (or may have stopped serving).
    // Otherwise what is known stays known: forgetting every product each
    // FRESH_MS would cost each product a lookup again. (Sole levels noted
    // before the first reload were read with the serving warehouses of their
    // moment; like any, they are trusted for SOLE_LEVEL_MS at most.)
    const serving = (ws: Iterable<WarehouseRow>) => [...ws].filter((w) => w.active).map((w) => w.id).sort((a, b) => a - b).join(",");
    if (this.warehousesByCode.size > 0 && serving(rows) !== serving(this.warehousesByCode.values())) this.soleLevels.clear();
    this.warehousesByCode = new Map(rows.map((w) => [w.code, w]));
    this.warehousesAt = performance.now();
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
    this.soleLevels.delete(p.productId);
    return ensureLevel(ex, p.productId, p.warehouseId);
  }

  /**
   * Validated request lines of an outflow (reserve, deduct, checkStock):
   * those naming a warehouse as places with their level (one per level:
   * lines that land on one level count as their sum), the others open, for
   * allocation.
   */
  async requestLines(lines: readonly limit.Line[]): Promise<RequestLine[]> {
    const resolved = await Promise.all(
      lines.map(async (l): Promise<RequestLine> => {
        const product = await this.productOf(l.sku);
        const line = { productId: product.id, sku: l.sku, quantity: l.quantity, tracksLots: product.tracksLots, minShelfLifeDays: l.minShelfLifeDays };
        if (l.warehouse === undefined) return { ...line, place: null };
        const place = await this.place(l.sku, l.warehouse);
        return { ...line, place: { ...place, levelId: await this.existingLevelId(place) } };
      }),
    );
    return mergeSameLevel(resolved);
  }

  /**
   * The product's one level in an active warehouse, when it has exactly one
   * (a shop with one warehouse): every allocation policy then chooses it, so
   * a single-line reserve can take the coalesced path. Remembered until a
   * level of the product is made (here at once; on another instance when its
   * first movement reaches this one: events/catalog-sync.ts), until the
   * serving warehouses change (seen within FRESH_MS: the warehouse is
   * checked on every use), and for ten minutes at most. A level made
   * elsewhere that has not reached this instance yet is caught by the
   * caller, who allocates a refused reserve again.
   */
  async soleLevel(productId: number): Promise<SoleLevel | null> {
    const hit = this.soleLevels.get(productId);
    if (hit && performance.now() - hit.at < SOLE_LEVEL_MS) {
      if (!hit.level) return null;
      const code = hit.level.warehouseCode;
      const w = this.freshWarehouse(code) ?? (await this.warehouse(code).catch(() => null));
      if (w?.active) return hit.level;
    }
    return this.soleLevelNow(productId);
  }

  /**
   * The sole levels remembered of these products (trusted now, in a warehouse
   * that still serves), with their warehouse; the others are not in the map.
   * Asks the database nothing but, at most once a second, the warehouses.
   */
  async knownSoleLevels(productIds: readonly number[]): Promise<Map<number, { level: SoleLevel; warehouse: WarehouseRow }>> {
    const known = new Map<number, { level: SoleLevel; warehouse: WarehouseRow }>();
    if (performance.now() - this.warehousesAt >= FRESH_MS) await this.reloadLapsed();
    const now = performance.now();
    for (const productId of productIds) {
      const hit = this.soleLevels.get(productId);
      if (!hit?.level || now - hit.at >= SOLE_LEVEL_MS) continue;
      const warehouse = this.warehousesByCode.get(hit.level.warehouseCode);
      if (warehouse?.active) known.set(productId, { level: hit.level, warehouse });
    }
    return known;
  }

  /**
   * soleLevel asked of the database now. Concurrent askers for one product
   * share the one lookup in flight (a sold-out product refusing a thousand
   * reserves asks once per round trip, not a thousand times).
   */
  soleLevelNow(productId: number): Promise<SoleLevel | null> {
    const inFlight = this.soleLookups.get(productId);
    if (inFlight) return inFlight;
    const lookup = (async () => {
      const sources = await sourcesOf(this.database.db, [productId]);
      this.noteSources([productId], sources);
      return this.soleLevels.get(productId)!.level;
    })().finally(() => this.soleLookups.delete(productId));
    this.soleLookups.set(productId, lookup);
    return lookup;
  }

  /**
   * What a read of these products' levels in active warehouses (sourcesOf,
   * outside any transaction: checkStock, a sole-level lookup) says of their
   * sole levels, so a later reserve of them need not ask again.
   */
  noteSources(productIds: readonly number[], sources: readonly SourceRow[]): void {
    const at = performance.now();
    // Each product's one source, or null once it has a second.
    const onlyOf = new Map<number, SourceRow | null>();
    for (const s of sources) onlyOf.set(s.productId, onlyOf.has(s.productId) ? null : s);
    if (this.soleLevels.size + productIds.length > 100_000) this.soleLevels.clear();
    for (const productId of productIds) {
      const only = onlyOf.get(productId);
      const level = only ? { productId, sku: "", warehouseId: only.warehouseId, warehouseCode: only.warehouseCode, levelId: only.levelId } : null;
      this.soleLevels.set(productId, { level, at });
    }
  }

  /**
   * A level of the product was made somewhere: forgets its sole level, unless
   * that is the level made (known already: its first movement reached this
   * instance after a read that saw it, as after a bulk import).
   */
  forgetSoleLevel(productId: number, madeLevelId: number): void {
    if (this.soleLevels.get(productId)?.level?.levelId !== madeLevelId) this.soleLevels.delete(productId);
  }

  /** Forgets every product's sole level. */
  forgetSoleLevels(): void {
    this.soleLevels.clear();
  }

  async product(sku: string, ex: Executor = this.database.db): Promise<ProductRow | null> {
    return productBySku(ex, sku);
  }

}

/**
 * Lines that resolve to one level count as their sum, keeping first-seen
 * order: the guard must see what the request takes from the level in total.
 * (Open lines of one product were merged already: limits.lines.)
 */
function mergeSameLevel(lines: readonly RequestLine[]): RequestLine[] {
  const byPlace = new Map<string, RequestLine>();
  for (const l of lines) {
    const key = l.place ? `${l.productId}/${l.place.warehouseId}` : `${l.productId}/*`;
    const seen = byPlace.get(key);
    if (seen) seen.quantity = limit.quantity(seen.quantity + l.quantity, `items (sum of lines of ${l.sku})`);
    else byPlace.set(key, { ...l });
  }
  return [...byPlace.values()];
}
