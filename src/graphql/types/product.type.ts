import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";

@ObjectType()
export class Product {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  sku!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

@ObjectType()
export class ProductConnection extends Connection(Product, "Product") {
  @Field(() => Int)
  totalCount!: number;
}
