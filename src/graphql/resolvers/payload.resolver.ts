import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { MovementRecord, ReservationRecord, StockLevelRecord } from "../../stock/types.js";
import type { LevelResult } from "../../stock/stock.service.js";
import type { Context } from "../context.js";
import { DeductStockPayload, ReservationPayload, StockLevelPayload } from "../types/payloads.js";
import { TransferPayload } from "../types/transfer.type.js";
import { StockLevel } from "../types/stock-level.type.js";

// What a mutation changed, returned with it so a normalized client cache
// (Apollo Client, urql's graphcache) updates every object it shows.

const LEVELS = "The stock levels this change touched, as they are now: a normalized cache updates them by id.";

async function levelsNow(ctx: Context, levelIds: readonly number[]): Promise<StockLevelRecord[]> {
  const found = await ctx.loaders.levelNow.loadMany([...new Set(levelIds)]);
  return found.filter((l): l is StockLevelRecord => l !== null && !(l instanceof Error));
}

@Resolver(() => ReservationPayload)
export class ReservationPayloadResolver {
  @FieldResolver(() => [StockLevel], { description: `${LEVELS} Empty when the mutation was refused.` })
  async levels(@Root() p: { reservation: ReservationRecord | null }, @Ctx() ctx: Context) {
    if (!p.reservation) return [];
    return levelsNow(ctx, (await ctx.loaders.linesOfReservation.load(p.reservation.id)).map((l) => l.levelId));
  }
}

const levelsOfMovements = (p: { movements: MovementRecord[] }, ctx: Context) => levelsNow(ctx, p.movements.map((m) => m.levelId));

@Resolver(() => DeductStockPayload)
export class DeductStockPayloadResolver {
  @FieldResolver(() => [StockLevel], { description: `${LEVELS} Empty when the mutation was refused.` })
  levels(@Root() p: { movements: MovementRecord[] }, @Ctx() ctx: Context) {
    return levelsOfMovements(p, ctx);
  }
}

@Resolver(() => TransferPayload)
export class TransferPayloadResolver {
  @FieldResolver(() => [StockLevel], { description: `${LEVELS} The levels its movements changed; empty when none moved stock or it was refused.` })
  levels(@Root() p: { movements: MovementRecord[] }, @Ctx() ctx: Context) {
    return levelsOfMovements(p, ctx);
  }
}

@Resolver(() => StockLevelPayload)
export class StockLevelPayloadResolver {
  @FieldResolver(() => [StockLevel], {
    description: "Every level the change left behind: `level`, and the others of a change over several (a return split over the warehouses the order was served from). Empty when refused.",
  })
  levels(@Root() p: Partial<LevelResult>) {
    if (p.changed) return p.changed.map((c) => c.level);
    return p.level ? [p.level] : [];
  }
}
