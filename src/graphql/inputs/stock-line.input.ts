import { Field, InputType, Int } from "type-graphql";

@InputType({ description: "A quantity of one product, from one warehouse or from where the service chooses." })
export class StockLineInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => Int, { description: "How many (1-1,000,000); two lines of one sku and warehouse count as their sum." })
  quantity!: number;

  @Field(() => String, { nullable: true, description: "Warehouse code; omitted: the service chooses." })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true, description: "Only lots whose sellBy is at least this many days away." })
  minShelfLifeDays?: number | null;
}
