import { Field, InputType, Int } from "type-graphql";
import { AllocationInput } from "./allocation.input.js";
import { StockLineInput } from "./stock-line.input.js";

@InputType({ description: "Stock to hold for an unpaid order: all lines or none." })
export class ReserveStockInput {
  @Field(() => String, {
    description: "The caller's order id. Reserving again with the same id and the same lines returns the same reservation.",
  })
  orderId!: string;

  @Field(() => [StockLineInput], { description: "What to hold: 1-100 lines." })
  items!: StockLineInput[];

  @Field(() => Int, { nullable: true, description: "How long the hold lasts unpaid; the server has a default (30 minutes)." })
  ttlSeconds?: number | null;

  @Field(() => AllocationInput, { nullable: true, description: "How lines naming no warehouse are allocated; omitted: PRIORITY and MINIMIZE." })
  allocation?: AllocationInput | null;
}

@InputType({ description: "The order whose reservation to confirm or release, in the caller's channel." })
export class OrderRefInput {
  @Field(() => String, { description: "The order id the reservation was made with." })
  orderId!: string;

  @Field(() => String, { nullable: true, description: "Why, for the ledger (up to 500 characters)." })
  reason?: string | null;
}

@InputType({ description: "More time for an ACTIVE hold whose payment is still running." })
export class ExtendReservationInput {
  @Field(() => String, { description: "The order id the reservation was made with." })
  orderId!: string;

  @Field(() => Int, { description: "The hold lasts this many seconds from now." })
  ttlSeconds!: number;
}
