import { Field, InputType, ObjectType } from "type-graphql";
import { Node } from "./node.type.js";
import { IdempotencyKeyField } from "../inputs/idempotency.field.js";
import { DateTime, StockError } from "./common.types.js";
import { Role } from "./enums.js";

@ObjectType({ implements: Node, description: "An API key as stored: never the key itself." })
export class ApiKey {
  id!: number;

  @Field(() => String, { description: "Its unique name (case-insensitively): the actor of every movement made with it, and how revokeApiKey names it." })
  name!: string;

  @Field(() => Role, { description: "What it may do." })
  role!: Role;

  @Field(() => String, { description: "The sales channel (多渠道) whose orders the key acts on: orderIds are unique within a channel." })
  channel!: string;

  @Field(() => String, { description: "The first characters of the key, to tell keys apart." })
  prefix!: string;

  @Field(() => DateTime, { description: "When it was made." })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: "When it was revoked; null while it works." })
  revokedAt!: Date | null;
}

@InputType({ description: "A new API key." })
export class CreateApiKeyInput {
  @Field(() => String, { description: "Shown as the actor of every movement made with the key." })
  name!: string;

  @Field(() => Role, { description: "What it may do: VIEWER reads, SERVICE also holds and sells, ADMIN does everything." })
  role!: Role;

  @Field(() => String, {
    nullable: true,
    description: "The sales channel the key acts for (1-64 of A-Z a-z 0-9 . _ -); omitted: the default channel. Keys of one channel (checkout, payment) share its orders.",
  })
  channel?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}

@ObjectType({ description: "The new key, shown this once; on a refusal, key and apiKey are null and errors says why." })
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The key. Shown this once; only its hash is kept." })
  key!: string | null;

  @Field(() => ApiKey, { nullable: true, description: "The key as stored." })
  apiKey!: ApiKey | null;

  @Field(() => [StockError], { description: "Why it was refused; empty when the key was made." })
  errors!: StockError[];
}

@ObjectType({ description: "The revoked key; on a refusal, apiKey is null and errors says why." })
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: "The key as stored, revokedAt set." })
  apiKey!: ApiKey | null;

  @Field(() => [StockError], { description: "Why it was refused; empty when the key was revoked." })
  errors!: StockError[];
}
