import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { StockAlertKind } from "./enums.js";
import { StockLevel } from "./stock-level.type.js";
import { StockMovement } from "./stock-movement.type.js";

@ObjectType()
export class StockChange {
  @Field(() => String, { description: "Equals movement.sequence; pass it as `after` to resume." })
  sequence!: string;

  @Field(() => StockMovement)
  movement!: StockMovement;

  @Field(() => StockLevel, { description: "The level as this movement left it." })
  level!: StockLevel;
}

@ObjectType()
export class StockAlert {
  @Field(() => ID)
  id!: number;

  @Field(() => String, { description: "Position in the ledger; alerts and movements share one sequence." })
  sequence!: string;

  @Field(() => StockAlertKind)
  kind!: StockAlertKind;

  levelId!: number;

  @Field(() => Int)
  threshold!: number;

  @Field(() => Int)
  availableBefore!: number;

  @Field(() => Int)
  availableAfter!: number;

  @Field(() => DateTime)
  at!: Date;
}

@ObjectType()
export class StockAlertConnection extends Connection(StockAlert, "StockAlert") {}
