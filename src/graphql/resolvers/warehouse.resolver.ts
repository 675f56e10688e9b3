import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { payload } from "../errors.js";
import { CreateWarehouseInput } from "../inputs/catalog.inputs.js";
import { WarehousePayload } from "../types/payloads.js";
import { Warehouse } from "../types/warehouse.type.js";

@Resolver(() => Warehouse)
export class WarehouseResolver {
  @Authorized("PUBLIC")
  @Query(() => [Warehouse])
  warehouses(@Ctx() ctx: Context) {
    return ctx.services.queries.warehouses();
  }

  @Authorized("ADMIN")
  @Mutation(() => WarehousePayload)
  createWarehouse(@Arg("input", () => CreateWarehouseInput) input: CreateWarehouseInput, @Ctx() ctx: Context) {
    return payload(async () => ({ warehouse: await ctx.services.stock.createWarehouse(input, actorOf(ctx)) }), { warehouse: null });
  }
}
