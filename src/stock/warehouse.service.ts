import { eq } from "drizzle-orm";
import { SQLSTATE, sqlState } from "../db/errors.js";
import { warehouses } from "../db/schema.js";
import type { Catalog, WarehouseRow } from "./catalog.js";
import type { Idempotency } from "./idempotency.js";
import * as limit from "./limits.js";
import { refuse, StockRefusal } from "./stock.errors.js";
import type { Actor } from "./types.js";

export interface CreateWarehouseInput {
  code: string;
  name: string;
  priority?: number | null;
  location?: limit.GeoPointInput | null;
  idempotencyKey?: string | null;
}

/** Absent fields stay as they are; `location: null` forgets the location. */
export interface UpdateWarehouseInput {
  code: string;
  name?: string | null;
  priority?: number | null;
  location?: limit.GeoPointInput | null;
  active?: boolean | null;
}

/**
 * Warehouses: where stock is kept and, while active, served from. A
 * deactivated warehouse keeps its stock and its history, and what is held
 * there for orders can still be confirmed or released, but nothing new is
 * taken from or put into it (allocation skips it; naming it is WAREHOUSE_NOT_FOUND).
 */
export class WarehouseService {
  constructor(
    private readonly catalog: Catalog,
    private readonly idem: Idempotency,
  ) {}

  async create(input: CreateWarehouseInput, actor: Actor): Promise<WarehouseRow> {
    const code = limit.warehouseCode(input.code, "code");
    const name = limit.name(input.name);
    const priority = limit.priority(input.priority ?? 100);
    const location = limit.geoPoint(input.location);
    try {
      const [row] = await this.idem.run("createWarehouse", input, actor, (tx) =>
        tx
          .insert(warehouses)
          .values({ code, name, priority, latitude: location?.latitude ?? null, longitude: location?.longitude ?? null })
          .returning(),
      );
      await this.catalog.reloadWarehouses();
      return row!;
    } catch (err) {
      if (sqlState(err) === SQLSTATE.uniqueViolation) {
        throw new StockRefusal("DUPLICATE", `a warehouse with code "${code}" already exists`, { warehouse: code });
      }
      throw err;
    }
  }

  /** Changes name, priority, location or whether it serves. Setting what is already set changes nothing, so a retry is harmless. */
  async update(input: UpdateWarehouseInput): Promise<WarehouseRow> {
    const code = limit.warehouseCode(input.code, "code");
    const set: Partial<typeof warehouses.$inferInsert> = {};
    if (input.name != null) set.name = limit.name(input.name);
    if (input.priority != null) set.priority = limit.priority(input.priority);
    if (input.active != null) set.active = input.active;
    if (input.location !== undefined) {
      const location = limit.geoPoint(input.location);
      set.latitude = location?.latitude ?? null;
      set.longitude = location?.longitude ?? null;
    }
    if (code === "MAIN" && input.active === false) {
      throw new StockRefusal("INVALID_STATE", "the MAIN warehouse always serves: receipts without a warehouse go there", { warehouse: code });
    }
    const db = this.idem.database;
    const rows =
      Object.keys(set).length > 0
        ? await db.update(warehouses).set(set).where(eq(warehouses.code, code)).returning()
        : await db.select().from(warehouses).where(eq(warehouses.code, code));
    if (!rows[0]) throw refuse.warehouseNotFound(code);
    await this.catalog.reloadWarehouses();
    return rows[0];
  }
}
