import { Field, InputType, Int } from "type-graphql";
import { IdempotencyKeyField } from "./idempotency.field.js";
import { LotInput } from "../types/lot.type.js";
import { AllocationInput } from "./allocation.input.js";
import { StockLineInput } from "./stock-line.input.js";

@InputType({ description: "Stock arriving in a warehouse (入库)." })
export class ReceiveStockInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => Int, { description: "How many arrived (1-1,000,000)." })
  quantity!: number;

  @Field(() => String, { nullable: true, description: "The warehouse's code; omitted: MAIN." })
  warehouse?: string | null;

  @Field(() => String, { nullable: true, description: "Why, for the ledger (up to 500 characters): a delivery note, a supplier." })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => LotInput, { nullable: true, description: "Required when the product tracks lots." })
  lot?: LotInput | null;
}

@InputType({ description: "A correction or a stocktake count of one level (盘点)." })
export class AdjustStockInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => String, { nullable: true, description: "The warehouse's code; omitted: MAIN." })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true, description: "Signed change of onHand. Give exactly one of delta and countedQuantity." })
  delta?: number | null;

  @Field(() => Int, { nullable: true, description: "The counted physical quantity (stocktake); the service records the difference." })
  countedQuantity?: number | null;

  @Field(() => String, { description: "Why, for the ledger (1-500 characters): required for corrections." })
  reason!: string;

  @Field(() => Int, { nullable: true, description: "If given, the change applies only while the level is still at this version." })
  expectedVersion?: number | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => LotInput, {
    nullable: true,
    description: "For a product that tracks lots: the lot adjusted or counted (a new lot with its expiry date). A negative delta without one takes first-expiry-first-out.",
  })
  lot?: LotInput | null;
}

@InputType({ description: "A level's new low-stock threshold." })
export class SetLowStockThresholdInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => String, { nullable: true, description: "The warehouse's code; omitted: MAIN." })
  warehouse?: string | null;

  @Field(() => Int, { description: "At or below this many available the level is low (0-1,000,000)." })
  threshold!: number;

  @Field(() => Int, { nullable: true, description: "If given, the change applies only while the level is still at this version." })
  expectedVersion?: number | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType({ description: "A sale without a reservation (直接扣减): all lines or none." })
export class DeductStockInput {
  @Field(() => String, { nullable: true, description: "Optional: recorded on the movements; a repeated orderId does not deduct twice." })
  orderId?: string | null;

  @Field(() => [StockLineInput], { description: "What is sold: 1-100 lines." })
  items!: StockLineInput[];

  @Field(() => String, { nullable: true, description: "Why, for the ledger (up to 500 characters)." })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => AllocationInput, { nullable: true, description: "How lines naming no warehouse are allocated; omitted: PRIORITY and MINIMIZE." })
  allocation?: AllocationInput | null;
}

@InputType({ description: "A customer return (退货入库): stock goes back on hand." })
export class ReturnStockInput {
  @Field(() => String, {
    nullable: true,
    description: "The order it comes back from, in the caller's channel: at most what the order bought and has not returned yet. Only ADMIN may leave it out.",
  })
  orderId?: string | null;

  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => Int, { description: "How many come back (1-1,000,000)." })
  quantity!: number;

  @Field(() => String, { nullable: true, description: "The warehouse's code; omitted: where the order was served from (or MAIN without an order)." })
  warehouse?: string | null;

  @Field(() => String, { nullable: true, description: "Why, for the ledger (up to 500 characters)." })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => String, { nullable: true, description: "Returned into this lot; omitted: the lot the order took it from." })
  lot?: string | null;
}
