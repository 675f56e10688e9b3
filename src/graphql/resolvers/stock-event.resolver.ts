import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root, Subscription } from "type-graphql";
import type { Context } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor, parseSequence } from "../cursors.js";
import { StockAlert, StockAlertConnection, StockChange } from "../types/stock-event.type.js";
import { PageArgs } from "../paging.js";
import { type AlertResult, alertOf, type StockChangeResult, watch } from "../subscriptions.js";
import { Lot } from "../types/lot.type.js";
import { StockLevel } from "../types/stock-level.type.js";

@Resolver()
export class StockEventResolver {
  @Authorized("VIEWER")
  @Subscription(() => StockChange, {
    description: "Every committed change, in commit order. With `after`, first replays what was committed since that sequence.",
    subscribe: ({ args, context }) =>
      watch(context as Context, "movement", { skus: args.skus, warehouses: args.warehouses }, parseSequence(args.after)),
  })
  stockChanged(
    @Root() change: StockChangeResult,
    @Arg("skus", () => [String], { nullable: true, description: "Only these products' changes (up to 500 skus); omitted: all." }) _skus: string[] | null,
    @Arg("warehouses", () => [String], { nullable: true, description: "Only these warehouses' changes (up to 500 codes); omitted: all." })
    _warehouses: string[] | null,
    @Arg("after", () => String, {
      nullable: true,
      description: "Resume: first replays the changes committed after this sequence (a StockChange.sequence), then goes on live.",
    })
    _after: string | null,
  ) {
    return change;
  }

  @Authorized("VIEWER")
  @Subscription(() => StockAlert, {
    description: "Edge-triggered: once per crossing, not once per change. With `after`, first replays what was stored since that sequence.",
    subscribe: ({ args, context }) => watch(context as Context, "alert", { warehouses: args.warehouses }, parseSequence(args.after)),
  })
  lowStockAlert(
    @Root() alert: AlertResult,
    @Arg("warehouses", () => [String], { nullable: true, description: "Only these warehouses' alerts (up to 500 codes); omitted: all." })
    _warehouses: string[] | null,
    @Arg("after", () => String, {
      nullable: true,
      description: "Resume: first replays the alerts stored after this sequence (a StockAlert.sequence), then goes on live.",
    })
    _after: string | null,
  ) {
    return alert;
  }

  @Authorized("VIEWER")
  @Query(() => StockAlertConnection, { description: "Stored low-stock crossings, newest first: what a dashboard opened late missed." })
  async stockAlerts(
    @Arg("warehouse", () => String, { nullable: true, description: "Only this warehouse's (its code)." }) warehouse: string | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.queries.alertPage(warehouse, first, decodeCursor("alert", after));
    return connectionOf(rows.map((a) => alertOf(a)), { first, after }, (a) => encodeCursor("alert", a.id));
  }
}

@Resolver(() => StockAlert)
export class StockAlertResolver {
  @FieldResolver(() => StockLevel, { description: "The level as the crossing left it (stored alerts: the level now)." })
  async level(@Root() a: AlertResult, @Ctx() ctx: Context) {
    return a.level ?? (await ctx.loaders.level.load(a.levelId));
  }

  @FieldResolver(() => Lot, { nullable: true, description: "LOT_EXPIRING and LOT_EXPIRED: the lot." })
  lot(@Root() a: AlertResult, @Ctx() ctx: Context) {
    return a.lotId === null ? null : ctx.loaders.lot.load(a.lotId);
  }
}
