import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { MovementType } from "./enums.js";

@ObjectType({ description: "One committed change of one stock level: the audit ledger (库存日志)." })
export class StockMovement {
  @Field(() => ID)
  id!: number;

  levelId!: number;
  productId!: number;
  warehouseId!: number;
  transferId!: number | null;

  @Field(() => MovementType)
  type!: MovementType;

  @Field(() => Int, { description: "Signed change of onHand." })
  onHandDelta!: number;

  @Field(() => Int, { description: "Signed change of reserved." })
  reservedDelta!: number;

  @Field(() => Int)
  onHandAfter!: number;

  @Field(() => Int)
  reservedAfter!: number;

  @Field(() => Int, { description: "The level's version after this change." })
  version!: number;

  unsellableAfter!: number;

  @Field(() => String, { nullable: true })
  orderId!: string | null;

  @Field(() => String, { description: "The sales channel of the order (or of the caller, for a change without one)." })
  channel!: string;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { description: "Who made the change: the name of the caller's key." })
  actor!: string;

  @Field(() => DateTime)
  createdAt!: Date;
}

@ObjectType()
export class StockMovementConnection extends Connection(StockMovement, "StockMovement") {}
