import { Field, InputType, ObjectType } from "type-graphql";
import { IdempotencyKeyField } from "../inputs/idempotency.field.js";
import { DateTime, StockError } from "./common.types.js";
import { Role } from "./enums.js";

@ObjectType({ description: "An API key as stored: never the key itself." })
export class ApiKey {
  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { description: "The sales channel (多渠道) whose orders the key acts on: orderIds are unique within a channel." })
  channel!: string;

  @Field(() => String, { description: "The first characters of the key, to tell keys apart." })
  prefix!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  revokedAt!: Date | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => String, { description: "Shown as the actor of every movement made with the key." })
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, {
    nullable: true,
    description: "The sales channel the key acts for (1-64 of A-Z a-z 0-9 . _ -); omitted: the default channel. Keys of one channel (checkout, payment) share its orders.",
  })
  channel?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The key. Shown this once; only its hash is kept." })
  key!: string | null;

  @Field(() => ApiKey, { nullable: true })
  apiKey!: ApiKey | null;

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true })
  apiKey!: ApiKey | null;

  @Field(() => [StockError])
  errors!: StockError[];
}
