import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { Node } from "./node.type.js";

@ObjectType({ implements: Node, description: "Something the shop sells, known by its sku; its stock is kept per warehouse (levels)." })
export class Product {
  @Field(() => Int, { name: "databaseId", description: "The product's number in this service: what `id` was before ids became global." })
  id!: number;

  @Field(() => String, { description: "The shop's stock-keeping unit: unique, 1-64 of A-Z a-z 0-9 . _ -." })
  sku!: string;

  @Field(() => String, { description: "What people call it." })
  name!: string;

  @Field(() => Boolean, { description: "Every receipt names a lot; every outflow is picked from lots, earliest sellBy first." })
  tracksLots!: boolean;

  @Field(() => Int, { description: "Days before expiresOn when a lot stops being sold." })
  removalDays!: number;

  @Field(() => DateTime, { description: "When it was created." })
  createdAt!: Date;

  @Field(() => DateTime, { description: "When it last changed." })
  updatedAt!: Date;
}

@ObjectType({ description: "A page of products, by creation order." })
export class ProductConnection extends Connection(Product, "Product") {
  @Field(() => Int, { description: "How many products match the filter, on every page." })
  totalCount!: number;
}
