import { Arg, Args, ArgsType, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { todayUtc } from "../../stock/lot.service.js";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor, MAX_SERIAL_ID } from "../cursors.js";
import { payload } from "../errors.js";
import { PAGE_SIZE, pageArgs } from "../paging.js";
import { LotStatus } from "../types/enums.js";
import { Lot, LotConnection, LotQuantity, WriteOffLotInput } from "../types/lot.type.js";
import { StockLevelPayload } from "../types/payloads.js";
import { Product } from "../types/product.type.js";
import { Warehouse } from "../types/warehouse.type.js";

@ArgsType()
class ExpiringPage extends pageArgs(PAGE_SIZE.ledger) {}

@Resolver(() => Lot)
export class LotResolver {
  @Authorized("VIEWER")
  @Query(() => LotConnection, { description: "ACTIVE lots whose sellBy falls within the next `withinDays` days, soonest first: the morning check (临期检查)." })
  async expiringLots(
    @Arg("withinDays", () => Int, { description: "Days from today (0-3650)." }) withinDays: number,
    @Arg("warehouse", () => String, { nullable: true, description: "Only this warehouse." }) warehouse: string | null,
    @Args(() => ExpiringPage) { first, after }: ExpiringPage,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.lots.expiring(withinDays, warehouse, first, decodeCursor("lot", after, MAX_SERIAL_ID));
    return connectionOf(rows, { first, after }, (l) => encodeCursor("lot", l.id));
  }

  @Authorized("ADMIN")
  @Mutation(() => StockLevelPayload, { description: "Takes expired, damaged or destroyed stock of one lot out (WRITE_OFF, 报损)." })
  writeOffLot(@Arg("input", () => WriteOffLotInput, { description: "The lot and how much of it." }) input: WriteOffLotInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.stock.writeOffLot(input, actorOf(ctx)), { level: null, movement: null });
  }

  @FieldResolver(() => Product, { description: "The product it is a lot of." })
  product(@Root() l: Lot, @Ctx() ctx: Context) {
    return ctx.loaders.product.load(l.productId);
  }

  @FieldResolver(() => Warehouse, { description: "The warehouse it is in." })
  warehouse(@Root() l: Lot, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(l.warehouseId);
  }

  @FieldResolver(() => LotStatus, { description: "EMPTY when nothing is left; EXPIRED once past its sellBy; else ACTIVE." })
  status(@Root() l: Lot): LotStatus {
    if (l.onHand === 0) return "EMPTY";
    return l.expiredAt !== null || (l.sellBy !== null && l.sellBy < todayUtc()) ? "EXPIRED" : "ACTIVE";
  }

  @FieldResolver(() => Int, { description: "onHand - reserved while ACTIVE, else 0." })
  available(@Root() l: Lot): number {
    return this.status(l) === "ACTIVE" ? l.onHand - l.reserved : 0;
  }
}

@Resolver(() => LotQuantity)
export class LotQuantityResolver {
  @FieldResolver(() => Lot, { description: "The lot." })
  async lot(@Root() q: LotQuantity, @Ctx() ctx: Context) {
    return (await ctx.loaders.lot.load(q.lotId))!;
  }
}
