import { Field, InputType, Int } from "type-graphql";
import { GeoPointInput } from "../types/geo.type.js";
import { LotInput } from "../types/lot.type.js";
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

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Keep its stock in lots with expiry dates (fixed once created)." })
  tracksLots?: boolean | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Days before a lot's expiresOn when it stops being sold (0-3650)." })
  removalDays?: number | null;

  @Field(() => LotInput, { nullable: true, description: "The lot of initialStock, for a product that tracks lots." })
  initialLot?: LotInput | null;

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

  @Field(() => GeoPointInput, { nullable: true, description: "Where it is, for NEAREST allocation." })
  location?: GeoPointInput | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@InputType({ description: "Changes to a warehouse: fields left out stay as they are." })
export class UpdateWarehouseInput {
  @Field(() => String, { description: "The warehouse to change (codes never change)." })
  code!: string;

  @Field(() => String, { nullable: true })
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
