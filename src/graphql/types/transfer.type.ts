import { Field, Int, ObjectType } from "type-graphql";
import { Connection, DateTime, StockError } from "./common.types.js";
import { TransferChangeKind, TransferStatus } from "./enums.js";
import { Node } from "./node.type.js";
import { StockMovement } from "./stock-movement.type.js";

/** Fields stored on the line; product is resolved. */
@ObjectType({ description: "One product of a transfer. Once shipped: quantity = received + lost + still in transit." })
export class TransferLine {
  transferId!: number;
  productId!: number;

  @Field(() => String, { description: "The product's sku." })
  sku!: string;

  @Field(() => Int, { description: "How many leave the origin when the transfer ships." })
  quantity!: number;

  @Field(() => Int, { description: "How many have arrived at the destination so far." })
  received!: number;

  @Field(() => Int, { description: "Written off when the transfer was closed short." })
  lost!: number;
}

/** Fields stored on the row; from, to and lines are resolved. */
@ObjectType({ implements: Node, description: "Stock moving from one warehouse to another (调拨)." })
export class Transfer {
  /** bigint: shown as databaseId, a decimal string. */
  id!: number;

  @Field(() => String, { description: "The caller's reference; unique. Creating again with the same reference and lines returns the same transfer." })
  reference!: string;

  fromWarehouseId!: number;
  toWarehouseId!: number;

  @Field(() => TransferStatus, { description: "Where the transfer is in its life: DRAFT → IN_TRANSIT → PARTIALLY_RECEIVED → RECEIVED, or CANCELLED." })
  status!: TransferStatus;

  @Field(() => Int, { description: "Grows by one with every change of the transfer (creation is 1): of two copies, the higher version is the newer." })
  version!: number;

  @Field(() => String, { nullable: true, description: "Why it was made, as given to createTransfer." })
  reason!: string | null;

  @Field(() => String, { nullable: true, description: "Why it was closed short or cancelled, as given then." })
  closeReason!: string | null;

  @Field(() => String, { description: "Who created it: the name of the caller's key." })
  actor!: string;

  @Field(() => DateTime, { description: "When it was created." })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: "When it left the origin; null until shipped." })
  shippedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: "When it ended: received in full, closed short or cancelled." })
  closedAt!: Date | null;

  @Field(() => DateTime, { description: "When it last changed." })
  updatedAt!: Date;
}

@ObjectType({ description: "What a transfer mutation did; on a refusal, transfer is null, nothing changed and errors says why." })
export class TransferPayload {
  @Field(() => Transfer, { nullable: true, description: "The transfer as the change left it." })
  transfer!: Transfer | null;

  @Field(() => [StockMovement], {
    description: "The movements of this change: TRANSFER_OUT per line when shipped, TRANSFER_IN per line received; none for create, close and cancel.",
  })
  movements!: StockMovement[];

  @Field(() => [StockError], { description: "Why the change was refused; empty when it was made." })
  errors!: StockError[];
}

@ObjectType({ description: "Transfers, newest first." })
export class TransferConnection extends Connection(Transfer, "Transfer") {}

/** Fields of the ledger entry; transfer is resolved. */
@ObjectType({ description: "One change of a transfer, live: created, shipped, a receipt, closed or cancelled." })
export class TransferChange {
  transferId!: number;

  @Field(() => String, { description: "Position in the ledger (shared with movements and alerts); pass it as `after` to resume." })
  sequence!: string;

  @Field(() => String, { description: "The transfer's reference." })
  reference!: string;

  @Field(() => TransferChangeKind, { description: "What happened." })
  kind!: TransferChangeKind;

  @Field(() => TransferStatus, { description: "The transfer's status after this change." })
  status!: TransferStatus;

  @Field(() => Int, { description: "The transfer's version after this change." })
  version!: number;

  @Field(() => String, { nullable: true, description: "The reason given with this change." })
  reason!: string | null;

  @Field(() => String, { description: "Who made the change: the name of the caller's key." })
  actor!: string;

  @Field(() => DateTime, { description: "When the change was made." })
  at!: Date;
}
