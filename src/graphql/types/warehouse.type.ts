import { Field, Int, ObjectType } from "type-graphql";
import { Node } from "./node.type.js";

@ObjectType({ implements: Node, description: "A place that holds stock, known by its code (a MAIN warehouse always exists)." })
export class Warehouse {
  @Field(() => Int, { name: "databaseId", description: "The warehouse's number in this service: what `id` was before ids became global." })
  id!: number;

  @Field(() => String, { description: "Its code, as inputs name it: unique, 1-64 of A-Z a-z 0-9 . _ -." })
  code!: string;

  @Field(() => String, { description: "What people call it." })
  name!: string;

  @Field(() => Int, { description: "Lower is tried first when the service chooses a warehouse." })
  priority!: number;

  @Field(() => Boolean, { description: "Whether it serves: an inactive warehouse keeps its stock and history but nothing new is taken from or put into it." })
  active!: boolean;

  latitude!: number | null;
  longitude!: number | null;
}
