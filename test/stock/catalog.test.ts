// The catalog (src/stock/catalog.ts): what it remembers, and when it forgets.
import { describe, expect, it } from "vitest";
import { sourcesOf } from "../../src/db/stock.queries.js";
import { Catalog } from "../../src/stock/catalog.js";
import { ACTOR, stockFixture } from "../support/stock-fixture.js";

describe("a product's sole level", () => {
  const fx = stockFixture("pglite");

  /**
   * A catalog of its own whose look-ups of products' levels are counted (the
   * service's background work shares the database). Of the catalog's
   * statements, only that one is written in SQL (db/prepared.ts), which
   * reaches the session directly.
   */
  async function counted(): Promise<{ catalog: Catalog; statements: () => number }> {
    let n = 0;
    const database = fx.t.service.database;
    const db = new Proxy(database.db, {
      get: (target, key) => {
        const value: unknown = Reflect.get(target, key);
        if (key === "_") {
          const inner = value as typeof target._;
          const session = new Proxy(inner.session, {
            get: (s, k) => {
              const v: unknown = Reflect.get(s, k);
              if (k === "prepareQuery" && typeof v === "function") {
                return (...args: unknown[]) => {
                  n++;
                  return v.apply(s, args);
                };
              }
              return typeof v === "function" ? v.bind(s) : v;
            },
          });
          return { ...inner, session };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const catalog = new Catalog({ ...database, db });
    return { catalog, statements: () => n };
  }

  it("stays known when the warehouses are read again unchanged, and is asked again once another warehouse serves", async () => {
    const { catalog, statements } = await counted();
    const sku = await fx.newProduct(5);
    const productId = await catalog.productId(sku);
    const sole = await catalog.soleLevel(productId);
    expect(sole?.warehouseCode).toBe("MAIN");

    // The warehouses are read again every second on use: nothing about them changed, so nothing is asked again.
    await catalog.reloadWarehouses();
    let before = statements();
    expect(await catalog.soleLevel(productId)).toEqual(sole);
    expect(statements() - before, "look-ups of a remembered sole level").toBe(0);

    // A new warehouse serves (it may hold this product by now): the product is asked again.
    const code = await fx.newWarehouse();
    await fx.services().stock.receive({ sku, warehouse: code, quantity: 1 }, ACTOR);
    await catalog.reloadWarehouses();
    before = statements();
    expect(await catalog.soleLevel(productId)).toBeNull();
    expect(statements() - before).toBeGreaterThan(0);
  });

  it("is known from a read of the product's levels made elsewhere (checkStock's), also once the warehouses are first read", async () => {
    const { catalog, statements } = await counted();
    const sku = await fx.newProduct(5);
    const productId = await catalog.productId(sku);
    catalog.noteSources([productId], await sourcesOf(fx.t.service.database.db, [productId]));
    const before = statements();
    expect((await catalog.soleLevel(productId))?.warehouseCode).toBe("MAIN");
    expect(statements() - before).toBe(0);
  });

  it("stays known when the first movement of that very level arrives, and is forgotten for a level made beside it", async () => {
    const { catalog, statements } = await counted();
    const sku = await fx.newProduct(5);
    const productId = await catalog.productId(sku);
    const sole = (await catalog.soleLevel(productId))!;

    // The level's own first movement, reaching the catalog after it learned of the level (as after a bulk import).
    catalog.forgetSoleLevel(productId, sole.levelId);
    let before = statements();
    expect(await catalog.soleLevel(productId)).toEqual(sole);
    expect(statements() - before, "look-ups of a remembered sole level").toBe(0);

    // Another level's first movement: the product may now have two levels, so it is asked again.
    catalog.forgetSoleLevel(productId, sole.levelId + 1_000_000);
    before = statements();
    expect(await catalog.soleLevel(productId)).toEqual(sole);
    expect(statements() - before).toBe(1);
  });
});
