import { Field, InputType } from "type-graphql";

@InputType({ description: "Which products to list; conditions given must all hold." })
export class ProductFilter {
  @Field(() => String, { nullable: true, description: "Case-insensitive match on sku or name." })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: "true: only products low somewhere (StockSummary.lowStock); false: only those low nowhere." })
  lowStock?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "true: only products with nothing available anywhere; false: only those with some." })
  outOfStock?: boolean | null;
}
