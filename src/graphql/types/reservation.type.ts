import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { ReservationStatus } from "./enums.js";

@ObjectType()
export class ReservationLine {
  @Field(() => String)
  sku!: string;

  productId!: number;
  warehouseId!: number;
  levelId!: number;
  reservationId!: number;

  @Field(() => Int)
  quantity!: number;
}

@ObjectType()
export class Reservation {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  orderId!: string;

  @Field(() => String, { description: "The sales channel the order belongs to: orderIds are unique within a channel." })
  channel!: string;

  @Field(() => ReservationStatus)
  status!: ReservationStatus;

  @Field(() => DateTime)
  expiresAt!: Date;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

@ObjectType()
export class ReservationConnection extends Connection(Reservation, "Reservation") {}
