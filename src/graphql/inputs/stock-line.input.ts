import { Field, InputType, Int } from "type-graphql";

@InputType()
export class StockLineInput {
  @Field(() => String)
  sku!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => String, { nullable: true, description: "Warehouse code; omitted: the service chooses." })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true, description: "Only lots whose sellBy is at least this many days away." })
  minShelfLifeDays?: number | null;
}
