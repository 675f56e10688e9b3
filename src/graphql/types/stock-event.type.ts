import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime } from "./common.types.js";
import { StockAlertKind } from "./enums.js";
import { Node } from "./node.type.js";
import { StockLevel } from "./stock-level.type.js";
import { StockMovement } from "./stock-movement.type.js";

@ObjectType({ description: "One committed change, live: the movement and the level as it left it." })
export class StockChange {
  @Field(() => String, { description: "Equals movement.sequence; pass it as `after` to resume." })
  sequence!: string;

  @Field(() => StockMovement, { description: "The ledger row of the change." })
  movement!: StockMovement;

  @Field(() => StockLevel, { description: "The level as this movement left it." })
  level!: StockLevel;
}

@ObjectType({ implements: Node, description: "A level crossed its low-stock threshold (or a lot its sell-by date): stored, and pushed live by lowStockAlert." })
export class StockAlert {
  /** The ledger sequence: what `id` was before ids became global is `sequence`. */
  id!: number;

  @Field(() => String, { description: "Position in the ledger; alerts and movements share one sequence." })
  sequence!: string;

  @Field(() => StockAlertKind, { description: "Which crossing it was." })
  kind!: StockAlertKind;

  levelId!: number;

  @Field(() => Int, { description: "The level's low-stock threshold at the crossing." })
  threshold!: number;

  @Field(() => Int, { description: "available before the change that crossed." })
  availableBefore!: number;

  @Field(() => Int, { description: "available after the change that crossed." })
  availableAfter!: number;

  @Field(() => DateTime, { description: "When it was stored." })
  at!: Date;
}

@ObjectType({ description: "A page of stored alerts, newest first." })
export class StockAlertConnection extends Connection(StockAlert, "StockAlert") {}
