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

export const AllocationStrategy = enumObject(ALLOCATION_STRATEGIES);
export type AllocationStrategy = DomainAllocationStrategy;
export const SplitPolicy = enumObject(SPLIT_POLICIES);
export type SplitPolicy = DomainSplitPolicy;

registerEnumType(AllocationStrategy, {
  name: "AllocationStrategy",
  valuesConfig: {
    PRIORITY: { description: "Warehouses by ascending priority, then code." },
    MOST_AVAILABLE: { description: "The warehouse with the most available first." },
    NEAREST: { description: "The warehouse closest to shipTo first (great-circle distance); warehouses without a location last, by priority." },
  } satisfies Record<DomainAllocationStrategy, { description: string }>,
});
registerEnumType(SplitPolicy, {
  name: "SplitPolicy",
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
  valuesConfig: {
    ACTIVE: { description: "Sellable." },
    EXPIRED: { description: "Past its sell-by date (expiresOn minus the product's removalDays): no longer available; still on hand until written off." },
    EMPTY: { description: "All of it left the warehouse." },
  } satisfies Record<DomainLotStatus, { description: string }>,
});
registerEnumType(Role, { name: "Role" });
registerEnumType(ReservationStatus, { name: "ReservationStatus" });
registerEnumType(MovementType, {
  name: "MovementType",
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
  } satisfies Record<DomainMovementType, { description: string }>,
});
registerEnumType(StockErrorCode, { name: "StockErrorCode" });
registerEnumType(StockAlertKind, {
  name: "StockAlertKind",
  valuesConfig: {
    LOW_STOCK: { description: "available fell to or below the threshold, still above zero" },
    OUT_OF_STOCK: { description: "available reached zero" },
    BACK_IN_STOCK: { description: "available rose above the threshold again" },
    LOT_EXPIRING: { description: "A lot reaches its sellBy within the warning window (临期)." },
    LOT_EXPIRED: { description: "A lot passed its sellBy: its stock became unsellable (过期)." },
  } satisfies Record<AlertKind, { description: string }>,
});
