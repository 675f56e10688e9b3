// The ledger read as events (src/events/ledger-events.ts), on both databases:
// an alert carries the level as its crossing left it, whichever batch its
// movement fell in.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadBatch } from "../../src/events/ledger-events.js";
import { hasRealPostgres } from "../support/databases.js";
import { uniqueSku } from "../support/service.js";
import { ACTOR, stockFixture } from "../support/stock-fixture.js";

describe.each(["pglite", "postgres"] as const)("ledger events on %s", (backend) => {
  describe.skipIf(backend === "postgres" && !hasRealPostgres())("batches", () => {
    const fx = stockFixture(backend);

    it("an alert whose movement fell in the batch before still shows the level as that movement left it, not as it is now", async () => {
      const sku = await fx.newProduct(10, { threshold: 5 });
      const reservations = fx.services().reservations;
      await reservations.reserve({ orderId: uniqueSku("O"), items: [{ sku, quantity: 6 }] }, ACTOR); // 4 available: LOW_STOCK
      await reservations.reserve({ orderId: uniqueSku("O"), items: [{ sku, quantity: 2 }] }, ACTOR); // 2 available now
      const [alert] = await fx.rows<{ sequence: number; movement: number }>(sql`
        select a.id::int as sequence, a.movement_id::int as movement from stock_alerts a
        join stock_levels l on l.id = a.level_id join products p on p.id = l.product_id where p.sku = ${sku} and a.kind = 'LOW_STOCK'`);
      expect(alert!.movement).toBeLessThan(alert!.sequence);

      // Both in one batch, and the alert alone in a batch starting after its movement.
      for (const from of [alert!.movement - 1, alert!.movement]) {
        const batch = await loadBatch(fx.t.service.database, from, alert!.sequence);
        const event = batch.events.find((e) => e.kind === "alert");
        expect(event, `batch from ${from}`).toMatchObject({ kind: "alert", level: { onHand: 10, reserved: 6, lowStockThreshold: 5 } });
      }
    });
  });
});
