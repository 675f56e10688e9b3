import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor } from "../cursors.js";
import { payload } from "../errors.js";
import { ExtendReservationInput, OrderRefInput, ReserveStockInput } from "../inputs/reservation.inputs.js";
import { ReservationStatus } from "../types/enums.js";
import { ExpireReservationsPayload, ReservationPayload } from "../types/payloads.js";
import { Product } from "../types/product.type.js";
import { Reservation, ReservationConnection, ReservationLine } from "../types/reservation.type.js";
import { LotQuantity } from "../types/lot.type.js";
import { StockLevel } from "../types/stock-level.type.js";
import { Warehouse } from "../types/warehouse.type.js";
import { PageArgs } from "../paging.js";

const noReservation = { reservation: null };

@Resolver(() => Reservation)
export class ReservationResolver {
  @Authorized("VIEWER")
  @Query(() => Reservation, { nullable: true, description: "The reservation of an order; null when there is none." })
  reservation(
    @Arg("orderId", () => String, { description: "The order id it was made with." }) orderId: string,
    @Arg("channel", () => String, { nullable: true, description: "The sales channel whose orderId this is; omitted: the caller's." })
    channel: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.queries.reservation(orderId, channel ?? actorOf(ctx).channel);
  }

  @Authorized("VIEWER")
  @Query(() => ReservationConnection, { description: "Newest first." })
  async reservations(
    @Arg("status", () => ReservationStatus, { nullable: true, description: "Only those in this status; omitted: all." }) status: ReservationStatus | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.queries.reservationPage(status, first, decodeCursor("reservation", after));
    return connectionOf(rows, { first, after }, (r) => encodeCursor("reservation", r.id));
  }

  @Authorized("SERVICE")
  @Mutation(() => ReservationPayload, { description: "All lines or none: available -> reserved." })
  reserveStock(@Arg("input", () => ReserveStockInput, { description: "The order and what to hold." }) input: ReserveStockInput, @Ctx() ctx: Context) {
    return payload(async () => ({ reservation: await ctx.services.reservations.reserve(input, actorOf(ctx)) }), noReservation);
  }

  @Authorized("SERVICE")
  @Mutation(() => ReservationPayload, { description: "Payment succeeded: the reserved stock leaves the warehouse. Idempotent." })
  confirmReservation(@Arg("input", () => OrderRefInput, { description: "The order." }) input: OrderRefInput, @Ctx() ctx: Context) {
    return payload(async () => ({ reservation: await ctx.services.reservations.confirm(input, actorOf(ctx)) }), noReservation);
  }

  @Authorized("SERVICE")
  @Mutation(() => ReservationPayload, { description: "Order cancelled: the reserved stock is available again. Idempotent." })
  releaseReservation(@Arg("input", () => OrderRefInput, { description: "The order." }) input: OrderRefInput, @Ctx() ctx: Context) {
    return payload(async () => ({ reservation: await ctx.services.reservations.release(input, actorOf(ctx)) }), noReservation);
  }

  @Authorized("SERVICE")
  @Mutation(() => ReservationPayload, {
    description: "Payment still running: the ACTIVE hold now lasts ttlSeconds from now. Expired holds cannot be extended.",
  })
  extendReservation(@Arg("input", () => ExtendReservationInput, { description: "The order and its new time to live." }) input: ExtendReservationInput, @Ctx() ctx: Context) {
    return payload(async () => ({ reservation: await ctx.services.reservations.extend(input, actorOf(ctx)) }), noReservation);
  }

  @Authorized("ADMIN")
  @Mutation(() => ExpireReservationsPayload, {
    description: "Expire every ACTIVE reservation past its expiresAt now (the server also does this on its own).",
  })
  async expireReservations(@Ctx() ctx: Context) {
    return { expiredCount: await ctx.services.reservations.expireOverdue(actorOf(ctx)) };
  }

  @FieldResolver(() => [ReservationLine], { description: "What it holds: one line per product and warehouse." })
  lines(@Root() r: Reservation, @Ctx() ctx: Context) {
    return ctx.loaders.linesOfReservation.load(r.id);
  }

  @FieldResolver(() => String, {
    description: "The reservation's number in this service (a decimal number: 64 bits, so a String): what `id` was before ids became global.",
  })
  databaseId(@Root() r: Reservation) {
    return String(r.id);
  }
}

@Resolver(() => ReservationLine)
export class ReservationLineResolver {
  @FieldResolver(() => Product, { description: "The product held." })
  product(@Root() l: ReservationLine, @Ctx() ctx: Context) {
    return ctx.loaders.product.load(l.productId);
  }

  @FieldResolver(() => Warehouse, { description: "The warehouse it is held in." })
  warehouse(@Root() l: ReservationLine, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(l.warehouseId);
  }

  @FieldResolver(() => [LotQuantity], { description: "The lots this line holds (held, then sold or given back); products that track lots." })
  async lots(@Root() l: ReservationLine, @Ctx() ctx: Context): Promise<LotQuantity[]> {
    const held = await ctx.loaders.lotsOfReservation.load(l.reservationId);
    return held.filter((x) => x.levelId === l.levelId).map((x) => ({ lotId: x.lotId, quantity: x.quantity }));
  }

  @FieldResolver(() => StockLevel, { description: "The stock level it holds from (its reserved counts this line while the hold is ACTIVE)." })
  level(@Root() l: ReservationLine, @Ctx() ctx: Context) {
    return ctx.loaders.level.load(l.levelId);
  }
}
