import { registerEnumType } from "type-graphql";
import {
  ALERT_KINDS,
  type AlertKind,
  enumObject,
  MOVEMENT_TYPES,
  type MovementType as DomainMovementType,
  RESERVATION_STATUSES,
  type ReservationStatus as DomainReservationStatus,
  type Role as DomainRole,
  ROLES,
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
  } satisfies Record<DomainMovementType, { description: string }>,
});
registerEnumType(StockErrorCode, { name: "StockErrorCode" });
registerEnumType(StockAlertKind, {
  name: "StockAlertKind",
  valuesConfig: {
    LOW_STOCK: { description: "available fell to or below the threshold, still above zero" },
    OUT_OF_STOCK: { description: "available reached zero" },
    BACK_IN_STOCK: { description: "available rose above the threshold again" },
  } satisfies Record<AlertKind, { description: string }>,
});
