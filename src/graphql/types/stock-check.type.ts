import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "Per line: which warehouses would serve it, as reserveStock with the same allocation would choose now." })
export class StockCheckSource {
  warehouseId!: number;

  @Field(() => Int, { description: "How many of the line it would take there." })
  quantity!: number;
}

@ObjectType({ description: "One line of a checkStock: could it be reserved now?" })
export class StockCheckLine {
  @Field(() => String, { description: "The line's sku." })
  sku!: string;

  @Field(() => Int, { description: "The line's quantity." })
  requested!: number;

  @Field(() => Int, { description: "Available in the warehouse named, or in every active warehouse when the service chooses." })
  available!: number;

  @Field(() => Boolean, { description: "reserveStock with the same allocation would get the line now." })
  sufficient!: boolean;

  @Field(() => [StockCheckSource], { description: "Where reserveStock would take this line from now; empty when it could not." })
  sources!: StockCheckSource[];
}

@ObjectType({ description: "Whether lines could be reserved right now; checking changes and holds nothing." })
export class StockCheck {
  @Field(() => Boolean, { description: "true when every line is sufficient" })
  available!: boolean;

  @Field(() => [StockCheckLine], { description: "Each line as asked, in order." })
  lines!: StockCheckLine[];
}
