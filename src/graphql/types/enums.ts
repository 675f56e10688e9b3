import { registerEnumType } from "type-graphql";
import {
  ALERT_KINDS,
  ALLOCATION_STRATEGIES,
  type AllocationStrategy as DomainAllocationStrategy,
  type AlertKind,
  enumObject,
  MOVEMENT_TYPES,
  type MovementType as DomainMovementType,
  RESERVATION_STATUSES,
  type ReservationStatus as DomainReservationStatus,
  type Role as DomainRole,
  ROLES,
  SPLIT_POLICIES,
  type SplitPolicy as DomainSplitPolicy,
  LOT_STATUSES,
  type LotStatus as DomainLotStatus,
  STOCK_ERROR_CODES,
  type StockErrorCode as DomainStockErrorCode,
  TRANSFER_CHANGE_KINDS,
  TRANSFER_STATUSES,
  type TransferChangeKind as DomainTransferChangeKind,
  type TransferStatus as DomainTransferStatus,
} from "../../stock/enums.js";

// The GraphQL enums are the domain's lists (stock/enums.ts); values are the
// database's strings too, so rows pass through unchanged.
export const Role = enumObject(ROLES);
export type Role = DomainRole;
export const ReservationStatus = enumObject(RESERVATION_STATUSES);
export type ReservationStatus = DomainReservationStatus;
export const MovementType = enumObject(MOVEMENT_TYPES);
export type MovementType = DomainMovementType;
export const StockErrorCode = enumObject(STOCK_ERROR_CODES);
export type StockErrorCode = DomainStockErrorCode;
export const StockAlertKind = enumObject(ALERT_KINDS);
export type StockAlertKind = AlertKind;
export const TransferStatus = enumObject(TRANSFER_STATUSES);
export type TransferStatus = DomainTransferStatus;
export const TransferChangeKind = enumObject(TRANSFER_CHANGE_KINDS);
export type TransferChangeKind = DomainTransferChangeKind;

export const AllocationStrategy = enumObject(ALLOCATION_STRATEGIES);
export type AllocationStrategy = DomainAllocationStrategy;
export const SplitPolicy = enumObject(SPLIT_POLICIES);
export type SplitPolicy = DomainSplitPolicy;

registerEnumType(AllocationStrategy, {
  name: "AllocationStrategy",
  description: "The order in which the service tries warehouses for lines that name none.",
  valuesConfig: {
    PRIORITY: { description: "Warehouses by ascending priority, then code." },
    MOST_AVAILABLE: { description: "The warehouse with the most available first." },
    NEAREST: { description: "The warehouse closest to shipTo first (great-circle distance); warehouses without a location last, by priority." },
  } satisfies Record<DomainAllocationStrategy, { description: string }>,
});
registerEnumType(SplitPolicy, {
  name: "SplitPolicy",
  description: "Whether and how one request may be served from several warehouses.",
  valuesConfig: {
    NEVER: { description: "All lines from one warehouse, or refused with INSUFFICIENT_STOCK." },
    MINIMIZE: { description: "As few warehouses as possible for the whole request; ties by the strategy's order." },
    ALLOW: { description: "Each line from the strategy's first warehouse that has stock, a line split where one runs short." },
  } satisfies Record<DomainSplitPolicy, { description: string }>,
});
export const LotStatus = enumObject(LOT_STATUSES);
export type LotStatus = DomainLotStatus;
registerEnumType(LotStatus, {
  name: "LotStatus",
  description: "Whether a lot may still be sold.",
  valuesConfig: {
    ACTIVE: { description: "Sellable." },
    EXPIRED: { description: "Past its sell-by date (expiresOn minus the product's removalDays): no longer available; still on hand until written off." },
    EMPTY: { description: "All of it left the warehouse." },
  } satisfies Record<DomainLotStatus, { description: string }>,
});
registerEnumType(Role, {
  name: "Role",
  description: "What an API key may do; each role may do everything the ones before it may.",
  valuesConfig: {
    VIEWER: { description: "Reads everything and subscribes to live changes." },
    SERVICE: { description: "VIEWER, and holds, confirms, releases, extends, deducts and returns stock for its channel's orders." },
    ADMIN: { description: "Everything: products, warehouses, receipts, adjustments, thresholds, expiry and keys." },
  } satisfies Record<DomainRole, { description: string }>,
});
registerEnumType(ReservationStatus, {
  name: "ReservationStatus",
  description: "Where a reservation is in its life (可用 → 锁定 → 售出 / 可用).",
  valuesConfig: {
    ACTIVE: { description: "Holding its stock (reserved) until expiresAt." },
    CONFIRMED: { description: "Paid: the held stock left the warehouse (onHand and reserved went down)." },
    RELEASED: { description: "Cancelled: the held stock is available again." },
    EXPIRED: { description: "Not paid in time: the held stock is available again." },
  } satisfies Record<DomainReservationStatus, { description: string }>,
});
registerEnumType(MovementType, {
  name: "MovementType",
  description: "What kind of change a ledger row records.",
  valuesConfig: {
    RECEIVE: { description: "Stock arrived: onHand += q (入库/补货)." },
    ADJUST: { description: "Correction or stocktake: onHand changes by the given delta (盘点/修正)." },
    RESERVE: { description: "Order placed: reserved += q (下单锁定)." },
    RELEASE: { description: "Order cancelled: reserved -= q (取消释放)." },
    EXPIRE: { description: "Reservation timed out unpaid: reserved -= q (超时释放)." },
    CONFIRM: { description: "Payment confirmed: reserved -= q and onHand -= q (支付扣减)." },
    DEDUCT: { description: "Direct sale without a reservation: onHand -= q, guarded by available (直接扣减)." },
    RETURN: { description: "Customer return: onHand += q (退货入库)." },
    THRESHOLD: { description: "The low-stock threshold changed; quantities did not (阈值调整). The level's version moves like for any change." },
    WRITE_OFF: { description: "Expired, damaged or destroyed stock removed: onHand -= q (报损/过期销毁)." },
    LOT_EXPIRY: { description: "Lots passed their sell-by date: their unreserved stock became unsellable (onHand and reserved unchanged; available drops)." },
    TRANSFER_OUT: { description: "Transfer shipped: onHand -= q at the origin, guarded by available (调拨出库)." },
    TRANSFER_IN: { description: "Transfer received: onHand += q at the destination (调拨入库)." },
  } satisfies Record<DomainMovementType, { description: string }>,
});
registerEnumType(StockErrorCode, {
  name: "StockErrorCode",
  description: "Why a business rule refused a mutation (StockError.code). Stable: programs may switch on it; new codes may be added.",
  valuesConfig: {
    INSUFFICIENT_STOCK: { description: "Not enough available (requested and available say how much), in the warehouse named or in those allocation may use." },
    PRODUCT_NOT_FOUND: { description: "No product has that sku." },
    WAREHOUSE_NOT_FOUND: { description: "No active warehouse has that code." },
    RESERVATION_NOT_FOUND: { description: "No reservation has that orderId in the caller's channel." },
    RESERVATION_EXPIRED: { description: "The reservation expired unpaid: it can no longer be confirmed or extended." },
    INVALID_STATE: { description: "The change does not apply to the object as it is: a reservation past it (a RELEASED one cannot be confirmed), the MAIN warehouse deactivated." },
    VERSION_CONFLICT: { description: "The level is no longer at expectedVersion: someone changed it first; currentVersion says where it is now." },
    DUPLICATE: { description: "It exists already with something else: a sku, warehouse code or key name taken, or an orderId used with other lines." },
    INVALID_QUANTITY: { description: "The quantity cannot apply: more returned than the order bought, or a level would exceed 2,147,483,647." },
    IDEMPOTENCY_KEY_REUSED: { description: "The idempotency key was used before with another input or operation: use a new key for a new request." },
    LOT_REQUIRED: { description: "The product tracks lots and the request named none, or named one that does not exist." },
    TRANSFER_NOT_FOUND: { description: "No transfer has that reference." },
  } satisfies Record<DomainStockErrorCode, { description: string }>,
});
registerEnumType(StockAlertKind, {
  name: "StockAlertKind",
  description: "Which crossing a StockAlert reports.",
  valuesConfig: {
    LOW_STOCK: { description: "available fell to or below the threshold, still above zero" },
    OUT_OF_STOCK: { description: "available reached zero" },
    BACK_IN_STOCK: { description: "available rose above the threshold again" },
    LOT_EXPIRING: { description: "A lot reaches its sellBy within the warning window (临期)." },
    LOT_EXPIRED: { description: "A lot passed its sellBy: its stock became unsellable (过期)." },
  } satisfies Record<AlertKind, { description: string }>,
});
registerEnumType(TransferStatus, {
  name: "TransferStatus",
  description: "Where a transfer is in its life.",
  valuesConfig: {
    DRAFT: { description: "Created; nothing has moved." },
    IN_TRANSIT: { description: "Left the origin: onHand there went down; the quantity is in transit." },
    PARTIALLY_RECEIVED: { description: "Some lines or part of them arrived." },
    RECEIVED: { description: "Closed: everything shipped was received or written off as lost." },
    CANCELLED: { description: "Cancelled before shipping." },
  } satisfies Record<DomainTransferStatus, { description: string }>,
});
registerEnumType(TransferChangeKind, {
  name: "TransferChangeKind",
  description: "What one change of a transfer was.",
  valuesConfig: {
    CREATED: { description: "createTransfer made it (DRAFT)." },
    SHIPPED: { description: "shipTransfer: all lines left the origin (TRANSFER_OUT movements)." },
    RECEIPT: { description: "receiveTransfer: some or all of what was outstanding arrived (TRANSFER_IN movements)." },
    CLOSED: { description: "closeTransfer: what had not arrived was written off as lost." },
    CANCELLED: { description: "cancelTransfer: the DRAFT was cancelled." },
  } satisfies Record<DomainTransferChangeKind, { description: string }>,
});
