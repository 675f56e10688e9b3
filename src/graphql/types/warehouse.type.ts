import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType()
export class Warehouse {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: "Lower is tried first when the service chooses a warehouse." })
  priority!: number;

  @Field(() => Boolean)
  active!: boolean;
}
