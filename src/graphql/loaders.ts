import DataLoader from "dataloader";
import type { ApiKeyRecord as ApiKeyRow } from "../access/api-keys.service.js";
import type {
  AlertRecord as AlertRow,
  MovementRecord as MovementRow,
  ProductRecord as ProductRow,
  ReservationLineRecord as LineRow,
  ReservationRecord as ReservationRow,
  StockLevelRecord as LevelRow,
  TransferLineRecord as TransferLineRow,
  TransferRecord as TransferRow,
  WarehouseRecord as WarehouseRow,
} from "../stock/types.js";
import type { LotRecord as LotRow } from "../stock/types.js";
import type { QueryService, Summary } from "../stock/query.service.js";

function byId<K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): (V | null)[] {
  const map = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

function groupBy<K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): V[][] {
  const map = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const r of rows) map.get(keyOf(r))?.push(r);
  return keys.map((k) => map.get(k)!);
}

type Place = { productId: number; warehouseId: number };
const placeKey = (p: Place) => `${p.productId}/${p.warehouseId}`;

type Options = { cache: boolean };

/** How each loader is made: one statement per kind of look-up, however many fields ask. */
const make = {
  product: (q: QueryService, o: Options) => new DataLoader<number, ProductRow | null>(async (ids) => byId(ids, await q.productsByIds(ids), (p) => p.id), o),
  warehouse: (q: QueryService, o: Options) => new DataLoader<number, WarehouseRow | null>(async (ids) => byId(ids, await q.warehousesByIds(ids), (w) => w.id), o),
  level: (q: QueryService, o: Options) => new DataLoader<number, LevelRow | null>(async (ids) => byId(ids, await q.levelsByIds(ids), (l) => l.id), o),
  /** Levels as they are now, never from the cache: what a mutation's payload shows after an earlier field of the request read them. */
  levelNow: (q: QueryService) => new DataLoader<number, LevelRow | null>(async (ids) => byId(ids, await q.levelsByIds(ids), (l) => l.id), { cache: false }),
  levelsOfProduct: (q: QueryService, o: Options) => new DataLoader<number, LevelRow[]>(async (ids) => groupBy(ids, await q.levelsByProductIds(ids), (l) => l.productId), o),
  /** A product's totals, by product id; `id` is the product's, which the summary's global id names. */
  summary: (q: QueryService, o: Options) =>
    new DataLoader<number, Summary & { id: number }>(async (ids) => {
      const map = await q.summariesByProductIds(ids);
      return ids.map((id) => ({ ...map.get(id)!, id }));
    }, o),
  movement: (q: QueryService, o: Options) => new DataLoader<number, MovementRow | null>(async (ids) => byId(ids, await q.movementsByIds(ids), (m) => m.id), o),
  lot: (q: QueryService, o: Options) => new DataLoader<number, LotRow | null>(async (ids) => byId(ids, await q.lotsByIds(ids), (l) => l.id), o),
  lotsOfLevel: (q: QueryService, o: Options) => new DataLoader<number, LotRow[]>(async (ids) => groupBy(ids, await q.lotsOfLevels(ids, false), (l) => l.levelId), o),
  allLotsOfLevel: (q: QueryService, o: Options) => new DataLoader<number, LotRow[]>(async (ids) => groupBy(ids, await q.lotsOfLevels(ids, true), (l) => l.levelId), o),
  lotsOfReservation: (q: QueryService, o: Options) =>
    new DataLoader<number, Array<{ reservationId: number; levelId: number; lotId: number; quantity: number }>>(
      async (ids) => groupBy(ids, await q.lotsOfReservations(ids), (l) => l.reservationId),
      o,
    ),
  /** By "levelId:version". */
  lotsOfMovement: (q: QueryService, o: Options) =>
    new DataLoader<string, Array<{ lotId: number; onHandDelta: number; reservedDelta: number }>>(async (keys) => {
      const pairs = keys.map((k) => k.split(":").map(Number) as [number, number]);
      const rows = await q.lotsOfMovements(pairs.map(([levelId, version]) => ({ levelId, version })));
      return groupBy(keys, rows, (r) => `${r.levelId}:${r.version}`);
    }, o),
  linesOfReservation: (q: QueryService, o: Options) =>
    new DataLoader<number, LineRow[]>(async (ids) => groupBy(ids, await q.linesByReservationIds(ids), (l) => l.reservationId), o),
  transfer: (q: QueryService, o: Options) => new DataLoader<number, TransferRow | null>(async (ids) => byId(ids, await q.transfersByIds(ids), (t) => t.id), o),
  linesOfTransfer: (q: QueryService, o: Options) =>
    new DataLoader<number, TransferLineRow[]>(async (ids) => groupBy(ids, await q.linesByTransferIds(ids), (l) => l.transferId), o),
  /** Per (product, warehouse): what open transfers still carry there. */
  inTransit: (q: QueryService, o: Options) =>
    new DataLoader<Place, number, string>(
      async (places) => {
        const found = new Map((await q.inTransitTo(places)).map((r) => [placeKey(r), r.quantity]));
        return places.map((p) => found.get(placeKey(p)) ?? 0);
      },
      { ...o, cacheKeyFn: placeKey },
    ),
  reservation: (q: QueryService, o: Options) => new DataLoader<number, ReservationRow | null>(async (ids) => byId(ids, await q.reservationsByIds(ids), (r) => r.id), o),
  alert: (q: QueryService, o: Options) => new DataLoader<number, AlertRow | null>(async (ids) => byId(ids, await q.alertsByIds(ids), (a) => a.id), o),
  apiKey: (q: QueryService, o: Options) => new DataLoader<number, ApiKeyRow | null>(async (ids) => byId(ids, await q.apiKeysByIds(ids), (k) => k.id), o),
};

export type Loaders = { readonly [K in keyof typeof make]: ReturnType<(typeof make)[K]> };

/**
 * A request's loaders, each made on first use: most requests use one or two
 * of them (a reserve its payload's reservation, or none), and making all of
 * them for every request cost it more than the loaders it used.
 */
class LazyLoaders {
  constructor(
    readonly queries: QueryService,
    readonly options: Options,
  ) {}
}
for (const key of Object.keys(make) as Array<keyof typeof make>) {
  Object.defineProperty(LazyLoaders.prototype, key, {
    get(this: LazyLoaders) {
      const loader = make[key](this.queries, this.options);
      Object.defineProperty(this, key, { value: loader, enumerable: true });
      return loader;
    },
  });
}

/**
 * A request's loaders: one statement per kind of look-up, however many
 * fields ask. Long-lived contexts (a subscription) pass cache: false so each
 * event sees fresh rows and nothing piles up.
 */
export function createLoaders(q: QueryService, options: { cache?: boolean } = {}): Loaders {
  return new LazyLoaders(q, { cache: options.cache ?? true }) as unknown as Loaders;
}

