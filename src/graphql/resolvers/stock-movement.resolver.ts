import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { connectionOf, parseSequence } from "../cursors.js";
import { MovementType } from "../types/enums.js";
import { LotQuantity } from "../types/lot.type.js";
import { StockMovement, StockMovementConnection } from "../types/stock-movement.type.js";
import { LedgerPageArgs } from "../paging.js";
import { movementCursor } from "./product.resolver.js";

@Resolver(() => StockMovement)
export class StockMovementResolver {
  @Authorized("VIEWER")
  @Query(() => StockMovementConnection, {
    description:
      "The ledger in sequence order (or newest first). In sequence order a page ends at the commit-safe watermark, so `after: endCursor` never skips a late commit.",
  })
  async stockMovements(
    @Arg("sku", () => String, { nullable: true, description: "Only this product's." }) sku: string | null,
    @Arg("warehouse", () => String, { nullable: true, description: "Only this warehouse's (its code)." }) warehouse: string | null,
    @Arg("type", () => MovementType, { nullable: true, description: "Only this kind." }) type: MovementType | null,
    @Arg("orderId", () => String, { nullable: true, description: "Only this order's (any channel)." }) orderId: string | null,
    @Args(() => LedgerPageArgs) { first, after, newestFirst }: LedgerPageArgs,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.queries.movementPage({ sku, warehouse, type, orderId }, first, parseSequence(after) ?? null, newestFirst ?? false);
    return connectionOf(rows, { first, after }, movementCursor);
  }

  @FieldResolver(() => String, { description: "Global commit order; strictly increasing, usable as a cursor." })
  sequence(@Root() m: StockMovement) {
    return String(m.id);
  }

  @FieldResolver(() => String, { description: "The product's sku." })
  async sku(@Root() m: StockMovement, @Ctx() ctx: Context) {
    return (await ctx.loaders.product.load(m.productId))!.sku;
  }

  @FieldResolver(() => String, { description: "The warehouse's code." })
  async warehouse(@Root() m: StockMovement, @Ctx() ctx: Context) {
    return (await ctx.loaders.warehouse.load(m.warehouseId))!.code;
  }

  @FieldResolver(() => String, { nullable: true, description: "The transfer this movement belongs to, if any." })
  async transferReference(@Root() m: StockMovement, @Ctx() ctx: Context) {
    return m.transferId == null ? null : (await ctx.loaders.transfer.load(m.transferId))!.reference;
  }

  @FieldResolver(() => Int, { description: "onHandAfter - reservedAfter - unsellable after: what could still be sold." })
  availableAfter(@Root() m: StockMovement) {
    return m.onHandAfter - m.reservedAfter - m.unsellableAfter;
  }

  @FieldResolver(() => [LotQuantity], { description: "The lots it touched (products that track lots)." })
  async lots(@Root() m: StockMovement, @Ctx() ctx: Context): Promise<LotQuantity[]> {
    const rows = await ctx.loaders.lotsOfMovement.load(`${m.levelId}:${m.version}`);
    return rows.map((r) => ({ lotId: r.lotId, quantity: Math.abs(r.onHandDelta !== 0 ? r.onHandDelta : r.reservedDelta) }));
  }
}
