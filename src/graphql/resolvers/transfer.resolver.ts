import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { connectionOf, decodeCursor, encodeCursor, parseSequence } from "../cursors.js";
import { payload } from "../errors.js";
import { CreateTransferInput, ReceiveTransferInput, TransferRefInput } from "../inputs/transfer.inputs.js";
import { PageArgs } from "../paging.js";
import { type TransferChangeResult, watchTransfers } from "../subscriptions.js";
import { TransferStatus } from "../types/enums.js";
import { Product } from "../types/product.type.js";
import { Transfer, TransferChange, TransferConnection, TransferLine, TransferPayload } from "../types/transfer.type.js";
import { Warehouse } from "../types/warehouse.type.js";

const noTransfer = { transfer: null, movements: [] };

@Resolver(() => Transfer)
export class TransferResolver {
  @Authorized("VIEWER")
  @Query(() => Transfer, { nullable: true, description: "The transfer with this reference, if there is one." })
  transfer(@Arg("reference", () => String, { description: "The transfer's reference." }) reference: string, @Ctx() ctx: Context) {
    return ctx.services.queries.transfer(reference);
  }

  @Authorized("VIEWER")
  @Query(() => TransferConnection, { description: "Transfers, newest first." })
  async transfers(
    @Arg("status", () => TransferStatus, { nullable: true, description: "Only transfers in this status." }) status: TransferStatus | null,
    @Arg("warehouse", () => String, { nullable: true, description: "Only transfers from or to this warehouse (its code)." }) warehouse: string | null,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    const rows = await ctx.services.queries.transferPage(status, warehouse, first, decodeCursor("transfer", after));
    return connectionOf(rows, { first, after }, (t) => encodeCursor("transfer", t.id));
  }

  @Authorized("ADMIN")
  @Mutation(() => TransferPayload, { description: "A DRAFT transfer; nothing moves yet. Idempotent by reference." })
  createTransfer(@Arg("input", () => CreateTransferInput, { description: "The transfer." }) input: CreateTransferInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.transfers.create(input, actorOf(ctx)), noTransfer);
  }

  @Authorized("ADMIN")
  @Mutation(() => TransferPayload, {
    description: "All lines or none leave the origin (TRANSFER_OUT, guarded by available): IN_TRANSIT. Shipping again returns the transfer as it is.",
  })
  shipTransfer(@Arg("input", () => TransferRefInput, { description: "The transfer to ship." }) input: TransferRefInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.transfers.ship(input, actorOf(ctx)), noTransfer);
  }

  @Authorized("ADMIN")
  @Mutation(() => TransferPayload, {
    description: "What arrived (TRANSFER_IN at the destination); no line may take more than is still in transit. RECEIVED once nothing is.",
  })
  receiveTransfer(@Arg("input", () => ReceiveTransferInput, { description: "The transfer and what arrived." }) input: ReceiveTransferInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.transfers.receive(input, actorOf(ctx)), noTransfer);
  }

  @Authorized("ADMIN")
  @Mutation(() => TransferPayload, {
    description: "Ends an in-transit transfer: what was not received is recorded as lost, with the reason (required). Idempotent.",
  })
  closeTransfer(@Arg("input", () => TransferRefInput, { description: "The transfer to close." }) input: TransferRefInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.transfers.close(input, actorOf(ctx)), noTransfer);
  }

  @Authorized("ADMIN")
  @Mutation(() => TransferPayload, { description: "Only a DRAFT transfer. Idempotent." })
  cancelTransfer(@Arg("input", () => TransferRefInput, { description: "The transfer to cancel." }) input: TransferRefInput, @Ctx() ctx: Context) {
    return payload(() => ctx.services.transfers.cancel(input, actorOf(ctx)), noTransfer);
  }

  @Authorized("VIEWER")
  @Subscription(() => TransferChange, {
    description: "Every change of a transfer (created, shipped, each receipt, closed, cancelled), after it committed. With `after`, first replays what was committed since that sequence.",
    subscribe: ({ args, context }) => watchTransfers(context as Context, args.reference, parseSequence(args.after)),
  })
  transferChanged(
    @Root() change: TransferChangeResult,
    @Arg("reference", () => String, { nullable: true, description: "Only this transfer (it need not exist yet); omitted: all transfers." })
    _reference: string | null,
    @Arg("after", () => String, { nullable: true, description: "Resume: first replays the changes after this sequence (a TransferChange.sequence), then goes on live." })
    _after: string | null,
  ) {
    return change;
  }

  @FieldResolver(() => String, {
    description: "The transfer's number in this service (a decimal number: 64 bits, so a String): what `id` was before ids became global.",
  })
  databaseId(@Root() t: Transfer) {
    return String(t.id);
  }

  @FieldResolver(() => Warehouse, { description: "Where the stock leaves." })
  from(@Root() t: Transfer, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(t.fromWarehouseId);
  }

  @FieldResolver(() => Warehouse, { description: "Where the stock goes." })
  to(@Root() t: Transfer, @Ctx() ctx: Context) {
    return ctx.loaders.warehouse.load(t.toWarehouseId);
  }

  @FieldResolver(() => [TransferLine], { description: "What moves, one line per product." })
  lines(@Root() t: Transfer, @Ctx() ctx: Context) {
    return ctx.loaders.linesOfTransfer.load(t.id);
  }
}

@Resolver(() => TransferLine)
export class TransferLineResolver {
  @FieldResolver(() => Product, { description: "The product." })
  product(@Root() l: TransferLine, @Ctx() ctx: Context) {
    return ctx.loaders.product.load(l.productId);
  }
}

@Resolver(() => TransferChange)
export class TransferChangeResolver {
  @FieldResolver(() => Transfer, { description: "The transfer as it is when the change is delivered (its version may be past this change's)." })
  transfer(@Root() c: TransferChangeResult, @Ctx() ctx: Context) {
    return ctx.loaders.transfer.load(c.transferId);
  }
}
