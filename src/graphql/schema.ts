import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { authChecker } from "./auth.js";
import { AccessResolver } from "./resolvers/access.resolver.js";
import { ProductResolver } from "./resolvers/product.resolver.js";
import { ReservationLineResolver, ReservationResolver } from "./resolvers/reservation.resolver.js";
import { StockAlertResolver, StockEventResolver } from "./resolvers/stock-event.resolver.js";
import { StockLevelResolver } from "./resolvers/stock-level.resolver.js";
import { StockMovementResolver } from "./resolvers/stock-movement.resolver.js";
import { StockCheckSourceResolver, WarehouseResolver } from "./resolvers/warehouse.resolver.js";
import { LotQuantityResolver, LotResolver } from "./resolvers/lot.resolver.js";
import { TransferChangeResolver, TransferLineResolver, TransferResolver } from "./resolvers/transfer.resolver.js";
import { DateTime } from "./types/common.types.js";
import type { EventBus } from "../events/bus.js";
import { inProcessBus } from "../events/bus.js";

export const resolvers = [
  AccessResolver,
  ProductResolver,
  WarehouseResolver,
  StockCheckSourceResolver,
  LotResolver,
  LotQuantityResolver,
  StockLevelResolver,
  StockMovementResolver,
  ReservationResolver,
  ReservationLineResolver,
  StockEventResolver,
  StockAlertResolver,
  TransferResolver,
  TransferLineResolver,
  TransferChangeResolver,
] as const;

/**
 * The executable schema. Subscriptions bring their own streams (the ledger
 * hub), so the pub/sub given here only satisfies type-graphql.
 */
export async function createSchema(opts: { publicRead: boolean; pubSub?: EventBus }): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker: authChecker(opts.publicRead),
    authMode: "error",
    scalarsMap: [{ type: Date, scalar: DateTime }],
    pubSub: opts.pubSub ?? inProcessBus(),
    validate: false,
  });
}

/** The schema as SDL, sorted, as committed in schema/schema.graphql. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + "\n";
}
