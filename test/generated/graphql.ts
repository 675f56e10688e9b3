/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** How the service chooses warehouses for lines that name none. Lines that name a warehouse are taken from it. */
export type AllocationInput = {
  /** Where the order ships to (就近发货); needed by NEAREST. */
  shipTo?: GeoPointInput | null | undefined;
  /** Whether and how an order may be split over warehouses. */
  split?: SplitPolicy | null | undefined;
  /** The order in which warehouses are tried. */
  strategy?: AllocationStrategy | null | undefined;
};

/** The order in which the service tries warehouses for lines that name none. */
export type AllocationStrategy =
  /** The warehouse with the most available first. */
  | 'MOST_AVAILABLE'
  /** The warehouse closest to shipTo first (great-circle distance); warehouses without a location last, by priority. */
  | 'NEAREST'
  /** Warehouses by ascending priority, then code. */
  | 'PRIORITY';

/** A new product, with its first stock if any. */
export type CreateProductInput = {
  /** Optional, 1-255 characters of your choosing (a UUID). A retry with the same key and input returns the first result instead of applying the change again; the same key with another input is refused (IDEMPOTENCY_KEY_REUSED). Keys are kept 24 hours, per API key. */
  idempotencyKey?: string | null | undefined;
  /** The lot of initialStock, for a product that tracks lots. */
  initialLot?: LotInput | null | undefined;
  /** Stock received into the warehouse at creation; recorded as a RECEIVE movement. */
  initialStock?: number | null | undefined;
  /** The low-stock threshold of its level in that warehouse (0-1,000,000). */
  lowStockThreshold?: number | null | undefined;
  /** What people call it (1-200 characters). */
  name: string;
  /** Days before a lot's expiresOn when it stops being sold (0-3650). */
  removalDays?: number | null | undefined;
  /** Its sku: unique, 1-64 of A-Z a-z 0-9 . _ -. */
  sku: string;
  /** Keep its stock in lots with expiry dates (fixed once created). */
  tracksLots?: boolean | null | undefined;
  /** The warehouse of initialStock and the threshold (its code); omitted: MAIN. */
  warehouse?: string | null | undefined;
};

/** A place on Earth: degrees, WGS 84. */
export type GeoPointInput = {
  /** Degrees north (-90 to 90). */
  latitude: number;
  /** Degrees east (-180 to 180). */
  longitude: number;
};

/** A lot as a receipt names it. */
export type LotInput = {
  /** The supplier's batch code: 1-64 of A-Z a-z 0-9 . _ / -. */
  code: string;
  /** When it expires (YYYY-MM-DD); omitted: it does not. */
  expiresOn?: unknown;
};

/** What kind of change a ledger row records. */
export type MovementType =
  /** Correction or stocktake: onHand changes by the given delta (盘点/修正). */
  | 'ADJUST'
  /** Payment confirmed: reserved -= q and onHand -= q (支付扣减). */
  | 'CONFIRM'
  /** Direct sale without a reservation: onHand -= q, guarded by available (直接扣减). */
  | 'DEDUCT'
  /** Reservation timed out unpaid: reserved -= q (超时释放). */
  | 'EXPIRE'
  /** Lots passed their sell-by date: their unreserved stock became unsellable (onHand and reserved unchanged; available drops). */
  | 'LOT_EXPIRY'
  /** Stock arrived: onHand += q (入库/补货). */
  | 'RECEIVE'
  /** Order cancelled: reserved -= q (取消释放). */
  | 'RELEASE'
  /** Order placed: reserved += q (下单锁定). */
  | 'RESERVE'
  /** Customer return: onHand += q (退货入库). */
  | 'RETURN'
  /** The low-stock threshold changed; quantities did not (阈值调整). The level's version moves like for any change. */
  | 'THRESHOLD'
  /** Transfer received: onHand += q at the destination (调拨入库). */
  | 'TRANSFER_IN'
  /** Transfer shipped: onHand -= q at the origin, guarded by available (调拨出库). */
  | 'TRANSFER_OUT'
  /** Expired, damaged or destroyed stock removed: onHand -= q (报损/过期销毁). */
  | 'WRITE_OFF';

/** Where a reservation is in its life (可用 → 锁定 → 售出 / 可用). */
export type ReservationStatus =
  /** Holding its stock (reserved) until expiresAt. */
  | 'ACTIVE'
  /** Paid: the held stock left the warehouse (onHand and reserved went down). */
  | 'CONFIRMED'
  /** Not paid in time: the held stock is available again. */
  | 'EXPIRED'
  /** Cancelled: the held stock is available again. */
  | 'RELEASED';

/** Stock to hold for an unpaid order: all lines or none. */
export type ReserveStockInput = {
  /** How lines naming no warehouse are allocated; omitted: PRIORITY and MINIMIZE. */
  allocation?: AllocationInput | null | undefined;
  /** What to hold: 1-100 lines. */
  items: Array<StockLineInput>;
  /** The caller's order id. Reserving again with the same id and the same lines returns the same reservation. */
  orderId: string;
  /** How long the hold lasts unpaid; the server has a default (30 minutes). */
  ttlSeconds?: number | null | undefined;
};

/** Whether and how one request may be served from several warehouses. */
export type SplitPolicy =
  /** Each line from the strategy's first warehouse that has stock, a line split where one runs short. */
  | 'ALLOW'
  /** As few warehouses as possible for the whole request; ties by the strategy's order. */
  | 'MINIMIZE'
  /** All lines from one warehouse, or refused with INSUFFICIENT_STOCK. */
  | 'NEVER';

/** Why a business rule refused a mutation (StockError.code). Stable: programs may switch on it; new codes may be added. */
export type StockErrorCode =
  /** It exists already with something else: a sku, warehouse code or key name taken, or an orderId used with other lines. */
  | 'DUPLICATE'
  /** The idempotency key was used before with another input or operation: use a new key for a new request. */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** Not enough available (requested and available say how much), in the warehouse named or in those allocation may use. */
  | 'INSUFFICIENT_STOCK'
  /** The quantity cannot apply: more returned than the order bought, or a level would exceed 2,147,483,647. */
  | 'INVALID_QUANTITY'
  /** The change does not apply to the object as it is: a reservation past it (a RELEASED one cannot be confirmed), the MAIN warehouse deactivated. */
  | 'INVALID_STATE'
  /** The product tracks lots and the request named none, or named one that does not exist. */
  | 'LOT_REQUIRED'
  /** No product has that sku. */
  | 'PRODUCT_NOT_FOUND'
  /** The reservation expired unpaid: it can no longer be confirmed or extended. */
  | 'RESERVATION_EXPIRED'
  /** No reservation has that orderId in the caller's channel. */
  | 'RESERVATION_NOT_FOUND'
  /** No transfer has that reference. */
  | 'TRANSFER_NOT_FOUND'
  /** The level is no longer at expectedVersion: someone changed it first; currentVersion says where it is now. */
  | 'VERSION_CONFLICT'
  /** No active warehouse has that code. */
  | 'WAREHOUSE_NOT_FOUND';

/** Names one stock level: give exactly one of id and place. */
export type StockLevelKey =
  {   /** The level's id, as StockLevel.id returned it. */
  id: string | number; place?: never; }
  |  { id?: never;   /** The product and the warehouse whose level it is. */
  place: StockPlaceInput; };

/** A quantity of one product, from one warehouse or from where the service chooses. */
export type StockLineInput = {
  /** Only lots whose sellBy is at least this many days away. */
  minShelfLifeDays?: number | null | undefined;
  /** How many (1-1,000,000); two lines of one sku and warehouse count as their sum. */
  quantity: number;
  /** The product's sku. */
  sku: string;
  /** Warehouse code; omitted: the service chooses. */
  warehouse?: string | null | undefined;
};

/** A product in a warehouse, by sku and warehouse code. */
export type StockPlaceInput = {
  /** The product's sku. */
  sku: string;
  /** The warehouse's code. */
  warehouse: string;
};

export type CreateProductMutationVariables = Exact<{
  input: CreateProductInput;
}>;


export type CreateProductMutation = { createProduct: { product: { sku: string, name: string, stock: { onHand: number, reserved: number, available: number } } | null, errors: Array<{ code: StockErrorCode, message: string }> } };

export type ReserveMutationVariables = Exact<{
  input: ReserveStockInput;
}>;


export type ReserveMutation = { reserveStock: { reservation: { orderId: string, status: ReservationStatus, expiresAt: string, lines: Array<{ sku: string, quantity: number, warehouse: { code: string } }> } | null, errors: Array<{ code: StockErrorCode, message: string, available: number | null, requested: number | null }> } };

export type ConfirmMutationVariables = Exact<{
  orderId: string;
}>;


export type ConfirmMutation = { confirmReservation: { reservation: { orderId: string, status: ReservationStatus } | null, errors: Array<{ code: StockErrorCode, message: string }> } };

export type ReleaseMutationVariables = Exact<{
  orderId: string;
}>;


export type ReleaseMutation = { releaseReservation: { reservation: { orderId: string, status: ReservationStatus } | null, errors: Array<{ code: StockErrorCode, message: string }> } };

export type LedgerQueryVariables = Exact<{
  sku: string;
}>;


export type LedgerQuery = { stockMovements: { nodes: Array<{ sequence: string, type: MovementType, onHandDelta: number, reservedDelta: number, onHandAfter: number, reservedAfter: number, availableAfter: number, version: number, orderId: string | null, actor: string }> } };

export type ChangesSubscriptionVariables = Exact<{
  skus?: Array<string> | string | null | undefined;
  after?: string | null | undefined;
}>;


export type ChangesSubscription = { stockChanged: { sequence: string, movement: { type: MovementType, sku: string, version: number }, level: { available: number } } };

export type LevelByKeyQueryVariables = Exact<{
  key: StockLevelKey;
}>;


export type LevelByKeyQuery = { stockLevel: { id: string, databaseId: number, onHand: number, reserved: number, available: number, warehouse: { code: string } } | null };

export type NodeByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeByIdQuery = { node:
    | { __typename: 'ApiKey', id: string }
    | { __typename: 'Lot', id: string }
    | { __typename: 'Product', id: string }
    | { __typename: 'Reservation', id: string }
    | { __typename: 'StockAlert', id: string }
    | { __typename: 'StockLevel', onHand: number, reserved: number, id: string }
    | { __typename: 'StockMovement', id: string }
    | { __typename: 'StockSummary', id: string }
    | { __typename: 'Transfer', id: string }
    | { __typename: 'Warehouse', id: string }
   | null };


export const CreateProductDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateProduct"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateProductInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createProduct"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"stock"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"onHand"}},{"kind":"Field","name":{"kind":"Name","value":"reserved"}},{"kind":"Field","name":{"kind":"Name","value":"available"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CreateProductMutation, CreateProductMutationVariables>;
export const ReserveDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Reserve"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ReserveStockInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reserveStock"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reservation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"warehouse"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"requested"}}]}}]}}]}}]} as unknown as DocumentNode<ReserveMutation, ReserveMutationVariables>;
export const ConfirmDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Confirm"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"confirmReservation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"orderId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reservation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ConfirmMutation, ConfirmMutationVariables>;
export const ReleaseDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Release"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"releaseReservation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"orderId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderId"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reservation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<ReleaseMutation, ReleaseMutationVariables>;
export const LedgerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Ledger"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"sku"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stockMovements"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"sku"},"value":{"kind":"Variable","name":{"kind":"Name","value":"sku"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"onHandDelta"}},{"kind":"Field","name":{"kind":"Name","value":"reservedDelta"}},{"kind":"Field","name":{"kind":"Name","value":"onHandAfter"}},{"kind":"Field","name":{"kind":"Name","value":"reservedAfter"}},{"kind":"Field","name":{"kind":"Name","value":"availableAfter"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}}]}}]}}]}}]} as unknown as DocumentNode<LedgerQuery, LedgerQueryVariables>;
export const ChangesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"Changes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"skus"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stockChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"skus"},"value":{"kind":"Variable","name":{"kind":"Name","value":"skus"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"movement"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}},{"kind":"Field","name":{"kind":"Name","value":"level"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"available"}}]}}]}}]}}]} as unknown as DocumentNode<ChangesSubscription, ChangesSubscriptionVariables>;
export const LevelByKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"LevelByKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"key"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"StockLevelKey"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stockLevel"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"key"},"value":{"kind":"Variable","name":{"kind":"Name","value":"key"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"databaseId"}},{"kind":"Field","name":{"kind":"Name","value":"onHand"}},{"kind":"Field","name":{"kind":"Name","value":"reserved"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"warehouse"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}}]} as unknown as DocumentNode<LevelByKeyQuery, LevelByKeyQueryVariables>;
export const NodeByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NodeById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StockLevel"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"onHand"}},{"kind":"Field","name":{"kind":"Name","value":"reserved"}}]}}]}}]}}]} as unknown as DocumentNode<NodeByIdQuery, NodeByIdQueryVariables>;