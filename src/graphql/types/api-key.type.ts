import { Field, InputType, ObjectType } from "type-graphql";
import { DateTime, StockError } from "./common.types.js";
import { Role } from "./enums.js";

@ObjectType({ description: "An API key as stored: never the key itself." })
export class ApiKey {
  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

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
