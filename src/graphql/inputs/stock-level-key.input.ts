import { Directive, Field, ID, InputType } from "type-graphql";

@InputType({ description: "A product in a warehouse, by sku and warehouse code." })
export class StockPlaceInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => String, { description: "The warehouse's code." })
  warehouse!: string;
}

/** Exactly one of its fields (@oneOf, see schema.ts): graphql-js refuses none or both before any resolver runs. */
@Directive("@oneOf")
@InputType({ description: "Names one stock level: give exactly one of id and place." })
export class StockLevelKey {
  @Field(() => ID, { nullable: true, description: "The level's id, as StockLevel.id returned it." })
  id?: string | null;

  @Field(() => StockPlaceInput, { nullable: true, description: "The product and the warehouse whose level it is." })
  place?: StockPlaceInput | null;
}
