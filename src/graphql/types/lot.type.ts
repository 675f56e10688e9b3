import { GraphQLDate } from "graphql-scalars";
import { Field, InputType, Int, ObjectType } from "type-graphql";
import { IdempotencyKeyField } from "../inputs/idempotency.field.js";
import { Connection, DateTime } from "./common.types.js";
import { Node } from "./node.type.js";

/** A calendar date, YYYY-MM-DD. */
export const DateScalar = GraphQLDate;

@ObjectType({ implements: Node, description: "A lot (batch) of a product in one warehouse, with its expiry date (批次)." })
export class Lot {
  @Field(() => Int, { name: "databaseId", description: "The lot's number in this service: what `id` was before ids became global." })
  id!: number;

  levelId!: number;
  productId!: number;
  warehouseId!: number;
  expiredAt!: Date | null;

  @Field(() => String, { description: "The supplier's batch code; unique within a product." })
  code!: string;

  @Field(() => DateScalar, { nullable: true, description: "When it expires; null: it does not." })
  expiresOn!: string | null;

  @Field(() => DateScalar, { nullable: true, description: "expiresOn minus the product's removalDays: the last day it may be sold." })
  sellBy!: string | null;

  @Field(() => DateTime, { description: "When it first arrived in this warehouse: FEFO's tie-break after sellBy." })
  receivedAt!: Date;

  @Field(() => Int, { description: "Physical stock of this lot here." })
  onHand!: number;

  @Field(() => Int, { description: "Held for unpaid orders." })
  reserved!: number;
}

@ObjectType({ description: "A page of lots." })
export class LotConnection extends Connection(Lot, "Lot") {}

@ObjectType({ description: "How much of one lot a reservation line or a movement took." })
export class LotQuantity {
  lotId!: number;

  @Field(() => Int, { description: "How many of the lot." })
  quantity!: number;
}

@InputType({ description: "A lot as a receipt names it." })
export class LotInput {
  @Field(() => String, { description: "The supplier's batch code: 1-64 of A-Z a-z 0-9 . _ / -." })
  code!: string;

  @Field(() => DateScalar, { nullable: true, description: "When it expires (YYYY-MM-DD); omitted: it does not." })
  expiresOn?: Date | string | null;
}

@InputType({ description: "Stock of one lot to take out as expired, damaged or destroyed (WRITE_OFF)." })
export class WriteOffLotInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => String, { nullable: true, description: "Warehouse code; omitted: MAIN." })
  warehouse?: string | null;

  @Field(() => String, { description: "The lot's code." })
  lot!: string;

  @Field(() => Int, { nullable: true, description: "Omitted: everything on hand in the lot that is not reserved." })
  quantity?: number | null;

  @Field(() => String, { description: "Why (recorded on the movement)." })
  reason!: string;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}
