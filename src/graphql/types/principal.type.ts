import { Field, ObjectType } from "type-graphql";
import { Role } from "./enums.js";

@ObjectType({ description: "Who is calling: the API key the request was made with." })
export class Principal {
  @Field(() => String, { description: "The key's name: the actor of the movements it makes." })
  name!: string;

  @Field(() => Role, { description: "What the key may do." })
  role!: Role;

  @Field(() => String, { description: "The sales channel whose orders this caller acts on." })
  channel!: string;
}
