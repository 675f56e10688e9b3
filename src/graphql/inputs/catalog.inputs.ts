import { Field, InputType, Int } from "type-graphql";
import { IdempotencyKeyField } from "./idempotency.field.js";

@InputType()
export class CreateProductInput {
  @Field(() => String)
  sku!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, {
    nullable: true,
    defaultValue: 0,
    description: "Stock received into the warehouse at creation; recorded as a RECEIVE movement.",
  })
  initialStock?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  lowStockThreshold?: number | null;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType()
export class CreateWarehouseInput {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { nullable: true, defaultValue: 100 })
  priority?: number | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}
