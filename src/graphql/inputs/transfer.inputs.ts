import { Field, InputType, Int } from "type-graphql";
import { IdempotencyKeyField } from "./idempotency.field.js";

@InputType({ description: "A product and a quantity of a transfer." })
export class TransferLineInput {
  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => Int, { description: "How many (1-1000000). Lines of the same sku count as their sum." })
  quantity!: number;
}

@InputType({ description: "A new DRAFT transfer: nothing moves until it is shipped." })
export class CreateTransferInput {
  @Field(() => String, {
    description: "Your reference (1-128 printable characters), unique. The same reference with the same warehouses and lines returns the same transfer; with others, DUPLICATE.",
  })
  reference!: string;

  @Field(() => String, { description: "The code of the warehouse the stock leaves." })
  from!: string;

  @Field(() => String, { description: "The code of the warehouse the stock goes to; not the same as from." })
  to!: string;

  @Field(() => [TransferLineInput], { description: "What moves: 1 to 100 lines." })
  lines!: TransferLineInput[];

  @Field(() => String, { nullable: true, description: "Why (up to 500 characters); shown on the transfer." })
  reason?: string | null;
}

@InputType({ description: "A transfer to ship, close or cancel." })
export class TransferRefInput {
  @Field(() => String, { description: "The transfer's reference." })
  reference!: string;

  @Field(() => String, {
    nullable: true,
    description: "Why (up to 500 characters). Required by closeTransfer, where it says why the rest is lost; on a shipment it goes on the movements.",
  })
  reason?: string | null;
}

@InputType({ description: "One receipt of a shipped transfer." })
export class ReceiveTransferInput {
  @Field(() => String, { description: "The transfer's reference." })
  reference!: string;

  @Field(() => [TransferLineInput], { description: "What arrived now; several receipts may follow one shipment." })
  lines!: TransferLineInput[];

  @Field(() => String, { nullable: true, description: "Why or what (up to 500 characters): goes on the TRANSFER_IN movements." })
  reason?: string | null;

  @IdempotencyKeyField()
  idempotencyKey?: string | null;
}
