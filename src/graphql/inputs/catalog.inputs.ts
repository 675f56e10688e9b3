import { Field, InputType, Int } from "type-graphql";
import { GeoPointInput } from "../types/geo.type.js";
import { LotInput } from "../types/lot.type.js";
import { IdempotencyKeyField } from "./idempotency.field.js";

@InputType({ description: "A new product, with its first stock if any." })
export class CreateProductInput {
  @Field(() => String, { description: "Its sku: unique, 1-64 of A-Z a-z 0-9 . _ -." })
  sku!: string;

  @Field(() => String, { description: "What people call it (1-200 characters)." })
  name!: string;

  @Field(() => Int, {
    nullable: true,
    defaultValue: 0,
    description: "Stock received into the warehouse at creation; recorded as a RECEIVE movement.",
  })
  initialStock?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "The low-stock threshold of its level in that warehouse (0-1,000,000)." })
  lowStockThreshold?: number | null;

  @Field(() => String, { nullable: true, description: "The warehouse of initialStock and the threshold (its code); omitted: MAIN." })
  warehouse?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Keep its stock in lots with expiry dates (fixed once created)." })
  tracksLots?: boolean | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Days before a lot's expiresOn when it stops being sold (0-3650)." })
  removalDays?: number | null;

  @Field(() => LotInput, { nullable: true, description: "The lot of initialStock, for a product that tracks lots." })
  initialLot?: LotInput | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType({ description: "A new warehouse." })
export class CreateWarehouseInput {
  @Field(() => String, { description: "Its code: unique, 1-64 of A-Z a-z 0-9 . _ -; never changes." })
  code!: string;

  @Field(() => String, { description: "What people call it (1-200 characters)." })
  name!: string;

  @Field(() => Int, { nullable: true, defaultValue: 100, description: "Lower is tried first when the service chooses a warehouse (0-1,000,000)." })
  priority?: number | null;

  @Field(() => GeoPointInput, { nullable: true, description: "Where it is, for NEAREST allocation." })
  location?: GeoPointInput | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType({ description: "Changes to a warehouse: fields left out stay as they are." })
export class UpdateWarehouseInput {
  @Field(() => String, { description: "The warehouse to change (codes never change)." })
  code!: string;

  @Field(() => String, { nullable: true, description: "Its new name (1-200 characters)." })
  name?: string | null;

  @Field(() => Int, { nullable: true, description: "Lower is tried first when the service chooses a warehouse." })
  priority?: number | null;

  @Field(() => GeoPointInput, { nullable: true, description: "Where it is; null forgets the location." })
  location?: GeoPointInput | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false: the warehouse keeps its stock and history, and holds already made can be confirmed or released, but it serves nothing new.",
  })
  active?: boolean | null;
}
