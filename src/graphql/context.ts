import type { ApiKeyService } from "../access/api-keys.service.js";
import type { LedgerHub } from "../events/hub.js";
import type { Catalog } from "../stock/catalog.js";
import type { Idempotency } from "../stock/idempotency.js";
import type { LotService } from "../stock/lot.service.js";
import type { QueryService } from "../stock/query.service.js";
import type { ReservationService } from "../stock/reservation.service.js";
import type { StockService } from "../stock/stock.service.js";
import type { WarehouseService } from "../stock/warehouse.service.js";
import type { TransferService } from "../stock/transfer.service.js";
import { type Actor, DEFAULT_CHANNEL } from "../stock/types.js";
import type { ExecutionBudget } from "./execution-limits.js";
import type { Loaders } from "./loaders.js";

export interface Services {
  stock: StockService;
  warehouses: WarehouseService;
  reservations: ReservationService;
  transfers: TransferService;
  queries: QueryService;
  catalog: Catalog;
  hub: LedgerHub;
  keys: ApiKeyService;
  idempotency: Idempotency;
  lots: LotService;
}

export interface Context {
  services: Services;
  loaders: Loaders;
  /** The caller, or null when anonymous. */
  principal: Actor | null;
  requestId: string;
  /** On WebSocket connections: close this socket (e.g. a subscriber fell behind). */
  closeConnection?: (code: number, reason: string) => void;
  /** What this query (or subscription event) may still do before it is stopped (execution-limits.ts). */
  budget?: ExecutionBudget;
}

/** Who the ledger names when nobody signed in (only where anonymous writes are allowed). */
export const ANONYMOUS: Actor = { name: "anonymous", role: "VIEWER", channel: DEFAULT_CHANNEL };

export function actorOf(ctx: Context): Actor {
  return ctx.principal ?? ANONYMOUS;
}
