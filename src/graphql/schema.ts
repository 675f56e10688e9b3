import "reflect-metadata";
import { type GraphQLSchema, isInputObjectType, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { authChecker } from "./auth.js";
import { AccessResolver } from "./resolvers/access.resolver.js";
import { NodeResolver } from "./resolvers/node.resolver.js";
import { DeductStockPayloadResolver, ReservationPayloadResolver, StockLevelPayloadResolver, TransferPayloadResolver } from "./resolvers/payload.resolver.js";
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
  NodeResolver,
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
  ReservationPayloadResolver,
  DeductStockPayloadResolver,
  StockLevelPayloadResolver,
  TransferPayloadResolver,
] as const;

/**
 * The executable schema. Subscriptions bring their own streams (the ledger
 * hub), so the pub/sub given here only satisfies type-graphql.
 */
export async function createSchema(opts: { publicRead: boolean; pubSub?: EventBus }): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...resolvers],
    authChecker: authChecker(opts.publicRead),
    authMode: "error",
    scalarsMap: [{ type: Date, scalar: DateTime }],
    pubSub: opts.pubSub ?? inProcessBus(),
    validate: false,
  });
  markOneOf(schema);
  describeRoots(schema);
  return schema;
}

const ROOT_DESCRIPTIONS = {
  Query: "Reads. Anonymous callers may read the catalogue (products, warehouses, checkStock); the rest needs a key.",
  Mutation: "Changes. Each is all or nothing: a refusal is `errors` in its payload and changes nothing.",
  Subscription: "Live changes over WebSocket (graphql-ws) or Server-Sent Events (graphql-sse), each resumable with `after`.",
} as const;

/** type-graphql makes the root types without descriptions; they are described here. */
function describeRoots(schema: GraphQLSchema): void {
  for (const [name, description] of Object.entries(ROOT_DESCRIPTIONS)) {
    const type = schema.getType(name);
    if (type) type.description = description;
  }
}

/**
 * type-graphql (2.0.0-rc) has no option for @oneOf input types: it keeps a
 * class's `@Directive("@oneOf")` in the type's AST only, while graphql-js
 * validates, executes, introspects and prints what `isOneOf` says. This
 * copies the one to the other, before the schema is first used.
 */
function markOneOf(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInputObjectType(type) && type.astNode?.directives?.some((d) => d.name.value === "oneOf")) type.isOneOf = true;
  }
}

/** The schema as SDL, sorted, as committed in schema/schema.graphql. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + "\n";
}
