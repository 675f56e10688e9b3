import { Field, Int, ObjectType } from "type-graphql";

@ObjectType()
export class StockCheckLine {
  @Field(() => String)
  sku!: string;

  @Field(() => Int)
  requested!: number;

  @Field(() => Int)
  available!: number;

  @Field(() => Boolean)
  sufficient!: boolean;
}

@ObjectType()
export class StockCheck {
  @Field(() => Boolean, { description: "true when every line is sufficient" })
  available!: boolean;

  @Field(() => [StockCheckLine])
  lines!: StockCheckLine[];
}
