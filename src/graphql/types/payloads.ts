import { Field, Int, ObjectType } from "type-graphql";
import { StockError } from "./common.types.js";
import { Product } from "./product.type.js";
import { Reservation } from "./reservation.type.js";
import { StockLevel } from "./stock-level.type.js";
import { StockMovement } from "./stock-movement.type.js";
import { Warehouse } from "./warehouse.type.js";

@ObjectType()
export class ProductPayload {
  @Field(() => Product, { nullable: true })
  product!: Product | null;

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class WarehousePayload {
  @Field(() => Warehouse, { nullable: true })
  warehouse!: Warehouse | null;

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class StockLevelPayload {
  @Field(() => StockLevel, { nullable: true })
  level!: StockLevel | null;

  @Field(() => StockMovement, { nullable: true, description: "null when nothing changed (a count that matched, a threshold)." })
  movement!: StockMovement | null;

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class ReservationPayload {
  @Field(() => Reservation, { nullable: true })
  reservation!: Reservation | null;

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class DeductStockPayload {
  @Field(() => [StockMovement])
  movements!: StockMovement[];

  @Field(() => [StockError])
  errors!: StockError[];
}

@ObjectType()
export class ExpireReservationsPayload {
  @Field(() => Int)
  expiredCount!: number;
}
