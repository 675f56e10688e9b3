import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { ReservationStatus } from "./enums.js";
import { Node } from "./node.type.js";

@ObjectType({ description: "What one reservation holds of one product in one warehouse." })
export class ReservationLine {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  productId!: number;
  warehouseId!: number;
  levelId!: number;
  reservationId!: number;

  @Field(() => Int, { description: "How many are held." })
  quantity!: number;
}

@ObjectType({ implements: Node, description: "Stock held for one unpaid order (锁定), until it is confirmed, released or expires." })
export class Reservation {
  /** bigint: shown as a decimal string, like StockMovement.sequence. */
  id!: number;

  @Field(() => String, { description: "The order's id, as the caller gave it: unique within its channel." })
  orderId!: string;

  @Field(() => String, { description: "The sales channel the order belongs to: orderIds are unique within a channel." })
  channel!: string;

  @Field(() => ReservationStatus, { description: "Where the hold is in its life: ACTIVE until confirmed, released or expired." })
  status!: ReservationStatus;

  @Field(() => DateTime, { description: "When an ACTIVE hold expires unpaid (extendReservation moves it)." })
  expiresAt!: Date;

  @Field(() => DateTime, { description: "When it was made." })
  createdAt!: Date;

  @Field(() => DateTime, { description: "When it last changed: its status or its expiry." })
  updatedAt!: Date;
}

@ObjectType({ description: "A page of reservations, newest first." })
export class ReservationConnection extends Connection(Reservation, "Reservation") {}
