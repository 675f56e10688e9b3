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

  @Field(() => Boolean, { description: "Every receipt names a lot; every outflow is picked from lots, earliest sellBy first." })
  tracksLots!: boolean;

  @Field(() => Int, { description: "Days before expiresOn when a lot stops being sold." })
  removalDays!: number;

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
