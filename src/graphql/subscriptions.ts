import { GraphQLError } from "graphql";
import type { AlertRecord as AlertRow, TransferChangeKind, TransferStatus } from "../stock/types.js";
import { type LedgerEvent, type LevelEvent, type LevelSnapshot } from "../events/ledger-events.js";
import { SlowSubscriberError } from "../events/hub.js";
import { mapStream } from "../events/streams.js";
import * as limit from "../stock/limits.js";
import { InputRejected, StockRefusal } from "../stock/stock.errors.js";
import type { Context } from "./context.js";

/** Close code for a subscriber that fell behind: reconnect and resume with `after`. */
export const CLOSE_SLOW_SUBSCRIBER = 4503;
const MAX_FILTER_VALUES = 500;

export interface StockChangeResult {
  sequence: string;
  movement: unknown;
  level: LevelSnapshot;
}

export function changeOf(e: Extract<LedgerEvent, { kind: "movement" }>): StockChangeResult {
  return { sequence: String(e.sequence), movement: e.movement, level: e.level };
}

export interface AlertResult {
  id: number;
  sequence: string;
  kind: AlertRow["kind"];
  levelId: number;
  level: LevelSnapshot | null;
  threshold: number;
  availableBefore: number;
  availableAfter: number;
  lotId: number | null;
  at: Date;
}

export function alertOf(a: AlertRow, level: LevelSnapshot | null = null): AlertResult {
  return {
    id: a.id,
    sequence: String(a.id),
    kind: a.kind,
    levelId: a.levelId,
    level,
    threshold: a.threshold,
    availableBefore: a.availableBefore,
    availableAfter: a.availableAfter,
    lotId: a.lotId,
    at: a.createdAt,
  };
}

export interface TransferChangeResult {
  sequence: string;
  transferId: number;
  reference: string;
  kind: TransferChangeKind;
  status: TransferStatus;
  version: number;
  reason: string | null;
  actor: string;
  at: Date;
}

function transferChangeOf(e: Extract<LedgerEvent, { kind: "transfer" }>): TransferChangeResult {
  const c = e.transfer.change;
  return {
    sequence: String(e.sequence),
    transferId: c.transferId,
    reference: e.transfer.reference,
    kind: c.kind,
    status: c.status,
    version: c.version,
    reason: c.reason,
    actor: c.actor,
    at: c.createdAt,
  };
}

/** Domain errors of a subscription's arguments, as GraphQL errors (subscribe runs outside the resolver middleware). */
function argumentError(err: unknown): unknown {
  if (err instanceof InputRejected) return new GraphQLError(err.message, { extensions: { code: "BAD_USER_INPUT" } });
  if (err instanceof StockRefusal) return new GraphQLError(err.message, { extensions: { code: err.code, ...err.details } });
  return err;
}

async function idsOf(values: string[] | null | undefined, field: string, resolve: (v: string) => Promise<number>): Promise<Set<number> | null> {
  if (values == null) return null;
  if (values.length > MAX_FILTER_VALUES) throw new InputRejected(`${field} takes at most ${MAX_FILTER_VALUES} values`, field);
  return new Set(await Promise.all(values.map(resolve)));
}

/**
 * The live stream behind stockChanged and lowStockAlert: filters resolved once, applied
 * on the server; a subscriber that falls behind gets its connection closed
 * with CLOSE_SLOW_SUBSCRIBER.
 */
export async function watch(
  ctx: Context,
  kind: LevelEvent["kind"],
  filter: { skus?: string[] | null; warehouses?: string[] | null },
  after: number | undefined,
): Promise<AsyncIterable<unknown>> {
  const { catalog, hub } = ctx.services;
  let products: Set<number> | null;
  let warehouses: Set<number> | null;
  try {
    products = await idsOf(filter.skus, "skus", (s) => catalog.productId(limit.sku(s, "skus")));
    warehouses = await idsOf(filter.warehouses, "warehouses", async (w) => (await catalog.warehouse(limit.warehouseCode(w, "warehouses"))).id);
  } catch (err) {
    throw argumentError(err);
  }
  const accepts = (e: LedgerEvent) =>
    e.kind !== "transfer" && e.kind === kind && (!products || products.has(e.level.productId)) && (!warehouses || warehouses.has(e.level.warehouseId));
  return stream(ctx, hub.subscribe(accepts, after, products));
}

/** Changes of one transfer (by reference, which need not exist yet) or of all, from `after` or from now, then live. */
export function watchTransfers(ctx: Context, reference: string | null | undefined, after: number | undefined): AsyncIterable<unknown> {
  let wanted: string | null;
  try {
    wanted = reference == null ? null : limit.reference(reference);
  } catch (err) {
    throw argumentError(err);
  }
  const accepts = (e: LedgerEvent) => e.kind === "transfer" && (wanted === null || e.transfer.reference === wanted);
  return stream(ctx, ctx.services.hub.subscribe(accepts, after, null));
}

function stream(ctx: Context, events: AsyncIterator<LedgerEvent>): AsyncIterable<unknown> {
  return mapStream(events, resultOf, (err) => {
    if (err instanceof SlowSubscriberError) ctx.closeConnection?.(CLOSE_SLOW_SUBSCRIBER, err.message.slice(0, 120));
  });
}

/**
 * One result object per event, whoever subscribes: every subscriber with the
 * same operation gets the same root value, so its execution can be shared
 * (see shared-subscribe.ts). Events replayed for one subscriber are its own.
 */
type Result = StockChangeResult | AlertResult | TransferChangeResult;
const results = new WeakMap<LedgerEvent, Result>();

function resultOf(e: LedgerEvent): Result {
  let result = results.get(e);
  if (!result) {
    result = e.kind === "movement" ? changeOf(e) : e.kind === "alert" ? alertOf(e.alert, e.level) : transferChangeOf(e);
    results.set(e, result);
  }
  return result;
}
