import { Field, ObjectType } from "type-graphql";
import { Role } from "./enums.js";

@ObjectType()
export class Principal {
  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { description: "The sales channel whose orders this caller acts on." })
  channel!: string;
}
