import { Field, InputType } from "type-graphql";

@InputType()
export class ProductFilter {
  @Field(() => String, { nullable: true, description: "Case-insensitive match on sku or name." })
  search?: string | null;

  @Field(() => Boolean, { nullable: true })
  lowStock?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  outOfStock?: boolean | null;
}
