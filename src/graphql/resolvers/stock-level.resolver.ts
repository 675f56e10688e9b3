import { Arg, Args, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor, MAX_SERIAL_ID, parseId } from "../cursors.js";
import { rowIdOf } from "../global-id.js";
import { payload } from "../errors.js";
import { LongPageArgs, PAGE_SIZE } from "../paging.js";
import { AllocationInput } from "../inputs/allocation.input.js";
import { StockLevelKey } from "../inputs/stock-level-key.input.js";
import { StockLineInput } from "../inputs/stock-line.input.js";
import { AdjustStockInput, DeductStockInput, ReceiveStockInput, ReturnStockInput, SetLowStockThresholdInput } from "../inputs/stock.inputs.js";
import { DeductStockPayload, StockLevelPayload } from "../types/payloads.js";
import { Product } from "../types/product.type.js";
import { StockCheck } from "../types/stock-check.type.js";
import { StockLevel, StockLevelConnection } from "../types/stock-level.type.js";
import { Lot } from "../types/lot.type.js";
import { Warehouse } from "../types/warehouse.type.js";

const noLevel = { level: null, movement: null };

@Resolver(() => StockLevel)
export class StockLevelResolver {
  @Authorized("PUBLIC")
  @Query(() => StockCheck, { description: "Can these lines be reserved right now? Changes nothing." })
  async checkStock(
    @Arg("items", () => [StockLineInput], { description: "The lines to check: 1-100." }) items: StockLineInput[],
    @Arg("allocation", () => AllocationInput, { nullable: true, description: "As reserveStock would allocate lines naming no warehouse." })
    allocation: AllocationInput | null,
    @Ctx() ctx: Context,
  ) {
    const lines = await ctx.services.stock.check(items, allocation);
    return { available: lines.every((l) => l.sufficient), lines };
  }

  @Authorized("VIEWER")
  @Query(() => [StockLevel], {
    description:
      "Levels with available <= lowStockThreshold, lowest available first. `after` is the id of the last level seen. lowStockLevelConnection is the same as a connection.",
  })
  lowStockLevels(
    @Arg("warehouse", () => String, { nullable: true, description: "Only this warehouse (its code); omitted: every active warehouse." }) warehouse: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: PAGE_SIZE.ledger, description: `How many to return (1-500; default ${PAGE_SIZE.ledger}).` })
    first: number,
    @Arg("after", () => String, {
      nullable: true,
      description: "The id of the last level of the page before (StockLevel.id; its databaseId is still taken).",
    })
    after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.queries.lowStockLevels(warehouse, first, parseId(after, "StockLevel"));
  }

  @Authorized("VIEWER")
  @Query(() => StockLevelConnection, {
    description: "Levels with available <= lowStockThreshold, lowest available first, as a connection: lowStockLevels with cursors and pageInfo.",
  })
  async lowStockLevelConnection(
    @Arg("warehouse", () => String, { nullable: true, description: "Only this warehouse (its code); omitted: every active warehouse." }) warehouse: string | null,
    @Args(() => LongPageArgs) { first, after }: LongPageArgs,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.queries.lowStockLevels(warehouse, first, decodeCursor("level", after, MAX_SERIAL_ID), 1);
    return connectionOf(rows, { first, after }, (l) => encodeCursor("level", l.id));
  }

  @Authorized("PUBLIC")
  @Query(() => StockLevel, {
    nullable: true,
    description: "One stock level, by its id or by product and warehouse; null when the product never had stock there.",
  })
  async stockLevel(@Arg("key", () => StockLevelKey, { description: "Exactly one of id and place." }) key: StockLevelKey, @Ctx() ctx: Context) {
    const levelId =
      key.id != null ? rowIdOf("StockLevel", key.id, "key.id", MAX_SERIAL_ID) : await ctx.services.queries.levelIdAt(key.place!.sku, key.place!.warehouse, "key.place");
    return levelId === null ? null : ctx.loaders.level.load(levelId);
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload, { description: "Stock arrived: onHand grows (a RECEIVE movement)." })
  receiveStock(@Arg("input", () => ReceiveStockInput, { description: "What arrived, where." }) input: ReceiveStockInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.receive(input, actorOf(ctx)), noLevel);
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload, {
    description: "A correction (delta) or a stocktake count (countedQuantity): an ADJUST movement; a count that matches changes nothing.",
  })
  adjustStock(@Arg("input", () => AdjustStockInput, { description: "The level and the correction." }) input: AdjustStockInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.adjust(input, actorOf(ctx)), noLevel);
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload, { description: "A level's low-stock threshold (a THRESHOLD movement); crossing it this way alerts too." })
  setLowStockThreshold(
    @Arg("input", () => SetLowStockThresholdInput, { description: "The level and its new threshold." }) input: SetLowStockThresholdInput,
    @Ctx() ctx: Context,
  ) {
    return payload(() => ctx.services.stock.setThreshold(input, actorOf(ctx)), noLevel);
  }

  @Authorized("SERVICE")
  @Mutation(() => DeductStockPayload, { description: "All lines or none: a sale without a reservation." })
  deductStock(@Arg("input", () => DeductStockInput, { description: "What is sold." }) input: DeductStockInput, @Ctx() ctx: Context) {
    return payload(async () => ({ movements: await ctx.services.stock.deduct(input, actorOf(ctx)) }), { movements: [] });
  }

  @Authorized("SERVICE")
  @Mutation(() => StockLevelPayload, { description: "A customer return: onHand grows where the order was served from (RETURN movements)." })
  returnStock(@Arg("input", () => ReturnStockInput, { description: "What comes back, from which order." }) input: ReturnStockInput, @Ctx() ctx: Context) {
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

  @FieldResolver(() => Product, { description: "The product it is stock of." })
  product(@Root() l: StockLevel, @Ctx() ctx: Context) {
    return ctx.loaders.product.load(l.productId);
  }

  @FieldResolver(() => Warehouse, { description: "The warehouse it is in." })
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
