import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "Per line: which warehouses would serve it, as reserveStock with the same allocation would choose now." })
export class StockCheckSource {
  warehouseId!: number;

  @Field(() => Int)
  quantity!: number;
}

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

  @Field(() => [StockCheckSource], { description: "Where reserveStock would take this line from now; empty when it could not." })
  sources!: StockCheckSource[];
}

@ObjectType()
export class StockCheck {
  @Field(() => Boolean, { description: "true when every line is sufficient" })
  available!: boolean;

  @Field(() => [StockCheckLine])
  lines!: StockCheckLine[];
}
