import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor, MAX_SERIAL_ID, parseSequence } from "../cursors.js";
import { payload } from "../errors.js";
import { CreateProductInput } from "../inputs/catalog.inputs.js";
import { ProductFilter } from "../inputs/product-filter.input.js";
import { ProductPayload } from "../types/payloads.js";
import { Product, ProductConnection } from "../types/product.type.js";
import { StockLevel, StockSummary } from "../types/stock-level.type.js";
import { StockMovementConnection } from "../types/stock-movement.type.js";
import type { MovementRecord } from "../../stock/types.js";
import { MovementPageArgs, PageArgs } from "../paging.js";

export const movementCursor = (m: MovementRecord) => String(m.id);

@Resolver(() => Product)
export class ProductResolver {
  @Authorized("PUBLIC")
  @Query(() => Product, { nullable: true, description: "The product with this sku; null when there is none." })
  product(@Arg("sku", () => String, { description: "Its sku." }) sku: string, @Ctx() ctx: Context) {
    return ctx.services.queries.product(sku);
  }

  @Authorized("PUBLIC")
  @Query(() => ProductConnection, { description: "The catalogue, by creation order, optionally filtered." })
  async products(
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg("filter", () => ProductFilter, { nullable: true, description: "Which products; omitted: all." }) filter: ProductFilter | null,
    @Ctx() ctx: Context,
  ) {
    const { rows, totalCount } = await ctx.services.queries.productPage(first, decodeCursor("product", after, MAX_SERIAL_ID), filter ?? undefined);
    return { ...connectionOf(rows, { first, after }, (p) => encodeCursor("product", p.id)), totalCount };
  }

  @Authorized("ADMIN")
  @Mutation(() => ProductPayload, { description: "A new product; initialStock is received as a RECEIVE movement." })
  createProduct(@Arg("input", () => CreateProductInput, { description: "The product." }) input: CreateProductInput, @Ctx() ctx: Context) {
    return payload(async () => ({ product: await ctx.services.stock.createProduct(input, actorOf(ctx)) }), { product: null });
  }

  @FieldResolver(() => StockSummary, { description: "Its totals over all active warehouses." })
  stock(@Root() p: Product, @Ctx() ctx: Context) {
    return ctx.loaders.summary.load(p.id);
  }

  @FieldResolver(() => [StockLevel], { description: "Its stock level in each warehouse it has one in, inactive warehouses included." })
  levels(@Root() p: Product, @Ctx() ctx: Context) {
    return ctx.loaders.levelsOfProduct.load(p.id);
  }

  @Authorized("VIEWER")
  @FieldResolver(() => StockMovementConnection, { description: "Its ledger, in sequence order (or newest first). Needs VIEWER." })
  async movements(@Root() p: Product, @Args(() => MovementPageArgs) { first, after, newestFirst }: MovementPageArgs, @Ctx() ctx: Context) {
    const rows = await ctx.services.queries.movementPage({ sku: p.sku }, first, parseSequence(after) ?? null, newestFirst ?? false);
    return connectionOf(rows, { first, after }, movementCursor);
  }
}
