import { stockLevels } from "./schema.js";
import type { Executor } from "./client.js";

/** Creates the (product, warehouse) level of a new product; returns its id. */
export async function insertLevelIfMissing(ex: Executor, productId: number, warehouseId: number, threshold: number): Promise<number> {
  const rows = await ex
    .insert(stockLevels)
    .values({ productId, warehouseId, lowStockThreshold: threshold })
    .onConflictDoUpdate({ target: [stockLevels.productId, stockLevels.warehouseId], set: { lowStockThreshold: threshold } })
    .returning({ id: stockLevels.id });
  return rows[0]!.id;
}
