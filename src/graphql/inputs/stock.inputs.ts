import { Field, InputType, Int } from "type-graphql";
import { IdempotencyKeyField } from "./idempotency.field.js";
import { LotInput } from "../types/lot.type.js";
import { AllocationInput } from "./allocation.input.js";
import { StockLineInput } from "./stock-line.input.js";

@InputType()
export class ReceiveStockInput {
  @Field(() => String)
  sku!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => LotInput, { nullable: true, description: "Required when the product tracks lots." })
  lot?: LotInput | null;
}

@InputType()
export class AdjustStockInput {
  @Field(() => String)
  sku!: string;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true, description: "Signed change of onHand. Give exactly one of delta and countedQuantity." })
  delta?: number | null;

  @Field(() => Int, { nullable: true, description: "The counted physical quantity (stocktake); the service records the difference." })
  countedQuantity?: number | null;

  @Field(() => String)
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

@InputType()
export class SetLowStockThresholdInput {
  @Field(() => String)
  sku!: string;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @Field(() => Int)
  threshold!: number;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType()
export class DeductStockInput {
  @Field(() => String, { nullable: true, description: "Optional: recorded on the movements; a repeated orderId does not deduct twice." })
  orderId?: string | null;

  @Field(() => [StockLineInput])
  items!: StockLineInput[];

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => AllocationInput, { nullable: true, description: "How lines naming no warehouse are allocated; omitted: PRIORITY and MINIMIZE." })
  allocation?: AllocationInput | null;
}

@InputType()
export class ReturnStockInput {
  @Field(() => String, { nullable: true })
  orderId?: string | null;

  @Field(() => String)
  sku!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @Field(() => String, { nullable: true })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;

  @Field(() => String, { nullable: true, description: "Returned into this lot; omitted: the lot the order took it from." })
  lot?: string | null;
}
