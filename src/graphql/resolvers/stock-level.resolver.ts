import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { parseId } from "../cursors.js";
import { payload } from "../errors.js";
import { PAGE_SIZE } from "../paging.js";
import { AllocationInput } from "../inputs/allocation.input.js";
import { StockLineInput } from "../inputs/stock-line.input.js";
import { AdjustStockInput, DeductStockInput, ReceiveStockInput, ReturnStockInput, SetLowStockThresholdInput } from "../inputs/stock.inputs.js";
import { DeductStockPayload, StockLevelPayload } from "../types/payloads.js";
import { Product } from "../types/product.type.js";
import { StockCheck } from "../types/stock-check.type.js";
import { StockLevel } from "../types/stock-level.type.js";
import { Lot } from "../types/lot.type.js";
import { Warehouse } from "../types/warehouse.type.js";

const noLevel = { level: null, movement: null };

@Resolver(() => StockLevel)
export class StockLevelResolver {
  @Authorized("PUBLIC")
  @Query(() => StockCheck, { description: "Can these lines be reserved right now? Changes nothing." })
  async checkStock(
    @Arg("items", () => [StockLineInput]) items: StockLineInput[],
    @Arg("allocation", () => AllocationInput, { nullable: true, description: "As reserveStock would allocate lines naming no warehouse." })
    allocation: AllocationInput | null,
    @Ctx() ctx: Context,
  ) {
    const lines = await ctx.services.stock.check(items, allocation);
    return { available: lines.every((l) => l.sufficient), lines };
  }

  @Authorized("VIEWER")
  @Query(() => [StockLevel], {
    description: "Levels with available <= lowStockThreshold, lowest available first. `after` is the id of the last level seen.",
  })
  lowStockLevels(
    @Arg("warehouse", () => String, { nullable: true }) warehouse: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: PAGE_SIZE.ledger }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.queries.lowStockLevels(warehouse, first, parseId(after));
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload)
  receiveStock(@Arg("input", () => ReceiveStockInput) input: ReceiveStockInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.receive(input, actorOf(ctx)), noLevel);
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload)
  adjustStock(@Arg("input", () => AdjustStockInput) input: AdjustStockInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.adjust(input, actorOf(ctx)), noLevel);
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload)
  setLowStockThreshold(@Arg("input", () => SetLowStockThresholdInput) input: SetLowStockThresholdInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.setThreshold(input, actorOf(ctx)), noLevel);
  }

  @Authorized("SERVICE")
  @Mutation(() => DeductStockPayload, { description: "All lines or none: a sale without a reservation." })
  deductStock(@Arg("input", () => DeductStockInput) input: DeductStockInput, @Ctx() ctx: Context) {
    return payload(async () => ({ movements: await ctx.services.stock.deduct(input, actorOf(ctx)) }), { movements: [] });
  }

  @Authorized("SERVICE")
  @Mutation(() => StockLevelPayload)
  returnStock(@Arg("input", () => ReturnStockInput) input: ReturnStockInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.returnStock(input, actorOf(ctx)), noLevel);
  }

  @FieldResolver(() => [Lot], { description: "Its lots, first-expiry-first-out (products that track lots; otherwise none)." })
  lots(
    @Root() l: StockLevel,
    @Arg("includeEmpty", () => Boolean, { nullable: true, defaultValue: false, description: "Lots with nothing left too." }) includeEmpty: boolean,
    @Ctx() ctx: Context,
  ) {
    return (includeEmpty ? ctx.loaders.allLotsOfLevel : ctx.loaders.lotsOfLevel).load(l.id);
  }

  @FieldResolver(() => Product)
  product(@Root() l: StockLevel, @Ctx() ctx: Context) {
    return ctx.loaders.product.load(l.productId);
  }

  @FieldResolver(() => Warehouse)
  warehouse(@Root() l: StockLevel, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(l.warehouseId);
  }

  @FieldResolver(() => Int, { description: "onHand - reserved - unsellable: what can still be sold (可用库存)." })
  available(@Root() l: StockLevel) {
    return l.onHand - l.reserved - l.unsellable;
  }

  @FieldResolver(() => Int, { description: "Shipped to this warehouse by transfers and not yet received." })
  inTransit(@Root() l: StockLevel, @Ctx() ctx: Context) {
    return ctx.loaders.inTransit.load({ productId: l.productId, warehouseId: l.warehouseId });
  }

  @FieldResolver(() => Boolean, { description: "available <= lowStockThreshold" })
  lowStock(@Root() l: StockLevel) {
    return l.onHand - l.reserved - l.unsellable <= l.lowStockThreshold;
  }
}
