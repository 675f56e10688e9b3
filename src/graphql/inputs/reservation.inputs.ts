import { Field, InputType, Int } from "type-graphql";
import { AllocationInput } from "./allocation.input.js";
import { StockLineInput } from "./stock-line.input.js";

@InputType()
export class ReserveStockInput {
  @Field(() => String, {
    description: "The caller's order id. Reserving again with the same id and the same lines returns the same reservation.",
  })
  orderId!: string;

  @Field(() => [StockLineInput])
  items!: StockLineInput[];

  @Field(() => Int, { nullable: true, description: "How long the hold lasts unpaid; the server has a default (30 minutes)." })
  ttlSeconds?: number | null;

  @Field(() => AllocationInput, { nullable: true, description: "How lines naming no warehouse are allocated; omitted: PRIORITY and MINIMIZE." })
  allocation?: AllocationInput | null;
}

@InputType()
export class OrderRefInput {
  @Field(() => String)
  orderId!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

@InputType()
export class ExtendReservationInput {
  @Field(() => String)
  orderId!: string;

  @Field(() => Int, { description: "The hold lasts this many seconds from now." })
  ttlSeconds!: number;
}
