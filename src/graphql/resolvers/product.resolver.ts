import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
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
import type { MovementRow } from "../../db/stock.queries.js";

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ArgsType()
export class MovementPageArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Newest first instead of sequence order." })
  newestFirst?: boolean;
}

export const movementCursor = (m: MovementRow) => String(m.id);

@Resolver(() => Product)
export class ProductResolver {
  @Authorized("PUBLIC")
  @Query(() => Product, { nullable: true })
  product(@Arg("sku", () => String) sku: string, @Ctx() ctx: Context) {
    return ctx.services.queries.product(sku);
  }

  @Authorized("PUBLIC")
  @Query(() => ProductConnection)
  async products(
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg("filter", () => ProductFilter, { nullable: true }) filter: ProductFilter | null,
    @Ctx() ctx: Context,
  ) {
    const n = first ?? 20;
    const { rows, totalCount } = await ctx.services.queries.productPage(n, decodeCursor("product", after, MAX_SERIAL_ID), filter ?? undefined);
    return { ...connectionOf(rows, n, (p) => encodeCursor("product", p.id)), totalCount };
  }

  @Authorized("ADMIN")
  @Mutation(() => ProductPayload)
  createProduct(@Arg("input", () => CreateProductInput) input: CreateProductInput, @Ctx() ctx: Context) {
    return payload(async () => ({ product: await ctx.services.stock.createProduct(input, actorOf(ctx)) }), { product: null });
  }

  @FieldResolver(() => StockSummary)
  stock(@Root() p: Product, @Ctx() ctx: Context) {
    return ctx.loaders.summary.load(p.id);
  }

  @FieldResolver(() => [StockLevel])
  levels(@Root() p: Product, @Ctx() ctx: Context) {
    return ctx.loaders.levelsOfProduct.load(p.id);
  }

  @Authorized("VIEWER")
  @FieldResolver(() => StockMovementConnection)
  async movements(@Root() p: Product, @Args(() => MovementPageArgs) { first, after, newestFirst }: MovementPageArgs, @Ctx() ctx: Context) {
    const n = first ?? 20;
    const rows = await ctx.services.queries.movementPage({ sku: p.sku }, n, parseSequence(after) ?? null, newestFirst ?? false);
    return connectionOf(rows, n, movementCursor);
  }
}
