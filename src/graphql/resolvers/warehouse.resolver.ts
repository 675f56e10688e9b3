import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { payload } from "../errors.js";
import { CreateWarehouseInput, UpdateWarehouseInput } from "../inputs/catalog.inputs.js";
import { GeoPoint } from "../types/geo.type.js";
import { WarehousePayload } from "../types/payloads.js";
import { StockCheckSource } from "../types/stock-check.type.js";
import { Warehouse } from "../types/warehouse.type.js";

@Resolver(() => Warehouse)
export class WarehouseResolver {
  @Authorized("PUBLIC")
  @Query(() => [Warehouse], { description: "Every warehouse, active or not, by priority." })
  warehouses(@Ctx() ctx: Context) {
    return ctx.services.queries.warehouses();
  }

  @Authorized("ADMIN")
  @Mutation(() => WarehousePayload, { description: "A new warehouse, active at once." })
  createWarehouse(@Arg("input", () => CreateWarehouseInput, { description: "The warehouse." }) input: CreateWarehouseInput, @Ctx() ctx: Context) {
    return payload(async () => ({ warehouse: await ctx.services.warehouses.create(input, actorOf(ctx)) }), { warehouse: null });
  }

  @Authorized("ADMIN")
  @Mutation(() => WarehousePayload, { description: "Name, priority, location, and whether it serves (active)." })
  updateWarehouse(@Arg("input", () => UpdateWarehouseInput, { description: "The warehouse and what changes." }) input: UpdateWarehouseInput, @Ctx() ctx: Context) {
    return payload(async () => ({ warehouse: await ctx.services.warehouses.update(input) }), { warehouse: null });
  }

  @FieldResolver(() => GeoPoint, { nullable: true, description: "Where it is (for NEAREST allocation); null when not given." })
  location(@Root() w: Warehouse): GeoPoint | null {
    return w.latitude !== null && w.longitude !== null ? { latitude: w.latitude, longitude: w.longitude } : null;
  }
}

@Resolver(() => StockCheckSource)
export class StockCheckSourceResolver {
  @FieldResolver(() => Warehouse, { description: "The warehouse it would come from." })
  warehouse(@Root() s: StockCheckSource, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(s.warehouseId);
  }
}
