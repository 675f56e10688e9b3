import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { Node } from "./node.type.js";

/** Fields stored on the row; product, warehouse, available and lowStock are resolved. */
@ObjectType({ implements: Node, description: "The stock of one product in one warehouse (库存): what is there, what is held for orders, what can be sold." })
export class StockLevel {
  @Field(() => Int, { name: "databaseId", description: "The level's number in this service: what `id` was before ids became global." })
  id!: number;

  productId!: number;
  warehouseId!: number;

  @Field(() => Int, { description: "Physical stock in the warehouse (物理库存)." })
  onHand!: number;

  @Field(() => Int, { description: "Held for unpaid orders (锁定/预留库存)." })
  reserved!: number;

  @Field(() => Int, { description: "On hand but not sellable: expired lots not yet written off. available = onHand - reserved - unsellable." })
  unsellable!: number;

  @Field(() => Int, { description: "At or below this many available, the level is low and a LOW_STOCK alert fires on the way down." })
  lowStockThreshold!: number;

  @Field(() => Int, {
    description: "Increases by exactly one with every movement of this level: equals the version of its latest movement.",
  })
  version!: number;

  @Field(() => DateTime, { description: "When it last changed." })
  updatedAt!: Date;
}

@ObjectType({ description: "A page of stock levels." })
export class StockLevelConnection extends Connection(StockLevel, "StockLevel") {}

/** A product's totals; `id` is the product's own, which the summary's global id is made of. */
@ObjectType({
  implements: Node,
  description: "Totals of a product over all active warehouses. Its id is its own (not the product's), so a normalized cache keeps it as one object per product.",
})
export class StockSummary {
  id!: number;

  @Field(() => Int, { description: "Physical stock, all active warehouses together (at most 2,147,483,647)." })
  onHand!: number;

  @Field(() => Int, { description: "Held for unpaid orders, all active warehouses together (at most 2,147,483,647)." })
  reserved!: number;

  @Field(() => Int, { description: "Expired lots' stock not yet written off." })
  unsellable!: number;

  @Field(() => Int, { description: "onHand - reserved - unsellable, all active warehouses together (at most 2,147,483,647)." })
  available!: number;

  @Field(() => Boolean, { description: "Some active warehouse is at or below its threshold." })
  lowStock!: boolean;

  @Field(() => Boolean, { description: "Nothing is available in any active warehouse." })
  outOfStock!: boolean;
}
