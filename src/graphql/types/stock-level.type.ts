import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTime } from "./common.types.js";

/** Fields stored on the row; product, warehouse, available and lowStock are resolved. */
@ObjectType()
export class StockLevel {
  @Field(() => ID)
  id!: number;

  productId!: number;
  warehouseId!: number;

  @Field(() => Int, { description: "Physical stock in the warehouse (物理库存)." })
  onHand!: number;

  @Field(() => Int, { description: "Held for unpaid orders (锁定/预留库存)." })
  reserved!: number;

  @Field(() => Int, { description: "On hand but not sellable: expired lots not yet written off. available = onHand - reserved - unsellable." })
  unsellable!: number;

  @Field(() => Int)
  lowStockThreshold!: number;

  @Field(() => Int, {
    description: "Increases by exactly one with every movement of this level: equals the version of its latest movement.",
  })
  version!: number;

  @Field(() => DateTime)
  updatedAt!: Date;
}

@ObjectType({ description: "Totals of a product over all active warehouses." })
export class StockSummary {
  @Field(() => Int)
  onHand!: number;

  @Field(() => Int)
  reserved!: number;

  @Field(() => Int, { description: "Expired lots' stock not yet written off." })
  unsellable!: number;

  @Field(() => Int)
  available!: number;

  @Field(() => Boolean, { description: "Some active warehouse is at or below its threshold." })
  lowStock!: boolean;

  @Field(() => Boolean, { description: "Nothing is available in any active warehouse." })
  outOfStock!: boolean;
}
