import { GraphQLError } from "graphql";
import type { AlertRecord as AlertRow } from "../stock/types.js";
import { type LedgerEvent, type LevelSnapshot } from "../events/ledger-events.js";
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

async function idsOf(values: string[] | null | undefined, field: string, resolve: (v: string) => Promise<number>): Promise<Set<number> | null> {
  if (values == null) return null;
  if (values.length > MAX_FILTER_VALUES) throw new InputRejected(`${field} takes at most ${MAX_FILTER_VALUES} values`, field);
  return new Set(await Promise.all(values.map(resolve)));
}

/**
 * The live stream behind both subscriptions: filters resolved once, applied
 * on the server; a subscriber that falls behind gets its connection closed
 * with CLOSE_SLOW_SUBSCRIBER.
 */
export async function watch(
  ctx: Context,
  kind: LedgerEvent["kind"],
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
    if (err instanceof InputRejected) throw new GraphQLError(err.message, { extensions: { code: "BAD_USER_INPUT" } });
    if (err instanceof StockRefusal) throw new GraphQLError(err.message, { extensions: { code: err.code, ...err.details } });
    throw err;
  }
  const accepts = (e: LedgerEvent) =>
    e.kind === kind && (!products || products.has(e.level.productId)) && (!warehouses || warehouses.has(e.level.warehouseId));
  const events = hub.subscribe(accepts, after, products);
  return mapStream(events, resultOf, (err) => {
    if (err instanceof SlowSubscriberError) ctx.closeConnection?.(CLOSE_SLOW_SUBSCRIBER, err.message.slice(0, 120));
  });
}

/**
 * One result object per event, whoever subscribes: every subscriber with the
 * same operation gets the same root value, so its execution can be shared
 * (see shared-subscribe.ts). Events replayed for one subscriber are its own.
 */
const results = new WeakMap<LedgerEvent, StockChangeResult | AlertResult>();

function resultOf(e: LedgerEvent): StockChangeResult | AlertResult {
  let result = results.get(e);
  if (!result) results.set(e, (result = e.kind === "movement" ? changeOf(e) : alertOf(e.alert, e.level)));
  return result;
}
