import { Field, ObjectType } from "type-graphql";
import { Role } from "./enums.js";

@ObjectType()
export class Principal {
  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;
}
