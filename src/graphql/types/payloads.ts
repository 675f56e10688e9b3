import { Field, Int, ObjectType } from "type-graphql";
import { StockError } from "./common.types.js";
import { Product } from "./product.type.js";
import { Reservation } from "./reservation.type.js";
import { StockLevel } from "./stock-level.type.js";
import { StockMovement } from "./stock-movement.type.js";
import { Warehouse } from "./warehouse.type.js";

const ERRORS = "Why the change was refused (nothing changed then); empty when it was made.";

@ObjectType({ description: "The product a mutation made; on a refusal, product is null and errors says why." })
export class ProductPayload {
  @Field(() => Product, { nullable: true, description: "The product as the change left it." })
  product!: Product | null;

  @Field(() => [StockError], { description: ERRORS })
  errors!: StockError[];
}

@ObjectType({ description: "The warehouse a mutation made or changed; on a refusal, warehouse is null and errors says why." })
export class WarehousePayload {
  @Field(() => Warehouse, { nullable: true, description: "The warehouse as the change left it." })
  warehouse!: Warehouse | null;

  @Field(() => [StockError], { description: ERRORS })
  errors!: StockError[];
}

@ObjectType({ description: "The level a stock mutation changed and its ledger row; on a refusal, both are null and errors says why." })
export class StockLevelPayload {
  @Field(() => StockLevel, { nullable: true, description: "The level as the change left it (the first, for a change of several: see levels)." })
  level!: StockLevel | null;

  @Field(() => StockMovement, { nullable: true, description: "null when nothing changed (a count that matched, a threshold)." })
  movement!: StockMovement | null;

  @Field(() => [StockError], { description: ERRORS })
  errors!: StockError[];
}

@ObjectType({ description: "The reservation a mutation made or changed; on a refusal, reservation is null and errors says why." })
export class ReservationPayload {
  @Field(() => Reservation, { nullable: true, description: "The reservation as the change left it (or as it already was, for a repeat)." })
  reservation!: Reservation | null;

  @Field(() => [StockError], { description: ERRORS })
  errors!: StockError[];
}

@ObjectType({ description: "The ledger rows of a sale; on a refusal, none, and errors says why." })
export class DeductStockPayload {
  @Field(() => [StockMovement], { description: "One DEDUCT movement per level the sale took from (the first sale's, for a repeated orderId)." })
  movements!: StockMovement[];

  @Field(() => [StockError], { description: ERRORS })
  errors!: StockError[];
}

@ObjectType({ description: "What expireReservations did." })
export class ExpireReservationsPayload {
  @Field(() => Int, { description: "How many ACTIVE reservations past their expiresAt it expired." })
  expiredCount!: number;
}
