// A started service for one describe block of the stock tests: started
// before its tests, closed after them, the database's invariants checked
// after every test, and the shortcuts those tests share.
import type { SQL } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Config } from "../../src/config.js";
import type { Actor } from "../../src/stock/types.js";
import { CLEAN, checkInvariants } from "./invariants.js";
import { type Backend, startTestService, type TestService, uniqueSku } from "./service.js";

/** The ADMIN actor the stock tests act as. */
export const ACTOR: Actor = { name: "tester", role: "ADMIN", channel: "default" };

export interface StockFixture {
  /** The running service (only inside tests and hooks). */
  readonly t: TestService;
  services(): TestService["service"]["services"];
  rows<T extends Record<string, unknown>>(q: SQL): Promise<T[]>;
  newWarehouse(): Promise<string>;
  /** A new product with `initialStock` in MAIN or the given warehouse; returns its sku. */
  newProduct(initialStock?: number, opts?: { threshold?: number; warehouse?: string; prefix?: string }): Promise<string>;
}

/**
 * No background expiry sweeper unless asked for: the expiry tests sweep
 * themselves, and "ACTIVE but past its deadline" must stay observable.
 */
export function stockFixture(backend: Backend, overrides: Partial<Config> = {}): StockFixture {
  let running: TestService | undefined;
  beforeAll(async () => {
    running = await startTestService(backend, { expirySweepMs: 3_600_000, ...overrides });
  });
  afterAll(() => running?.close());
  afterEach(async () => {
    if (running) expect(await checkInvariants(running.service.database)).toEqual(CLEAN);
  });
  const t = (): TestService => {
    if (!running) throw new Error("the service is not running (use the fixture inside tests and hooks)");
    return running;
  };
  return {
    get t() {
      return t();
    },
    services: () => t().service.services,
    rows: <T extends Record<string, unknown>>(q: SQL) => t().service.database.rows<T>(q),
    async newWarehouse() {
      const code = uniqueSku("WH");
      await t().service.services.warehouses.create({ code, name: `warehouse ${code}` }, ACTOR);
      return code;
    },
    async newProduct(initialStock = 0, opts = {}) {
      const sku = uniqueSku(opts.prefix ?? "P");
      await t().service.services.stock.createProduct(
        { sku, name: `product ${sku}`, initialStock, lowStockThreshold: opts.threshold, warehouse: opts.warehouse },
        ACTOR,
      );
      return sku;
    },
  };
}
