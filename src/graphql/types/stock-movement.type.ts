import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { MovementType } from "./enums.js";
import { Node } from "./node.type.js";

@ObjectType({ implements: Node, description: "One committed change of one stock level: the audit ledger (库存日志)." })
export class StockMovement {
  /** The ledger sequence: what `id` was before ids became global is `sequence`. */
  id!: number;

  levelId!: number;
  productId!: number;
  warehouseId!: number;
  transferId!: number | null;

  @Field(() => MovementType, { description: "What kind of change it was." })
  type!: MovementType;

  @Field(() => Int, { description: "Signed change of onHand." })
  onHandDelta!: number;

  @Field(() => Int, { description: "Signed change of reserved." })
  reservedDelta!: number;

  @Field(() => Int, { description: "The level's onHand after this change." })
  onHandAfter!: number;

  @Field(() => Int, { description: "The level's reserved after this change." })
  reservedAfter!: number;

  @Field(() => Int, { description: "The level's version after this change." })
  version!: number;

  unsellableAfter!: number;

  @Field(() => String, { nullable: true, description: "The order it was made for (reserve, confirm, release, expire, a deduct or return naming one)." })
  orderId!: string | null;

  @Field(() => String, { description: "The sales channel of the order (or of the caller, for a change without one)." })
  channel!: string;

  @Field(() => String, { nullable: true, description: "Why, as the caller said." })
  reason!: string | null;

  @Field(() => String, { description: "Who made the change: the name of the caller's key." })
  actor!: string;

  @Field(() => DateTime, { description: "When it was committed." })
  createdAt!: Date;
}

@ObjectType({ description: "A page of the ledger." })
export class StockMovementConnection extends Connection(StockMovement, "StockMovement") {}
