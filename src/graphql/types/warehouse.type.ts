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

  @Field(() => Boolean, { description: "Whether it serves: an inactive warehouse keeps its stock and history but nothing new is taken from or put into it." })
  active!: boolean;

  latitude!: number | null;
  longitude!: number | null;
}
