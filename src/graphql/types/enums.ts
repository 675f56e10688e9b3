import { registerEnumType } from "type-graphql";

// Enum values are the database's strings, so rows pass through unchanged.
export enum Role {
  VIEWER = "VIEWER",
  SERVICE = "SERVICE",
  ADMIN = "ADMIN",
}
export enum ReservationStatus {
  ACTIVE = "ACTIVE",
  CONFIRMED = "CONFIRMED",
  RELEASED = "RELEASED",
  EXPIRED = "EXPIRED",
}
export enum MovementType {
  RECEIVE = "RECEIVE",
  ADJUST = "ADJUST",
  RESERVE = "RESERVE",
  RELEASE = "RELEASE",
  EXPIRE = "EXPIRE",
  CONFIRM = "CONFIRM",
  DEDUCT = "DEDUCT",
  RETURN = "RETURN",
}
export enum StockErrorCode {
  INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK",
  PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND",
  WAREHOUSE_NOT_FOUND = "WAREHOUSE_NOT_FOUND",
  RESERVATION_NOT_FOUND = "RESERVATION_NOT_FOUND",
  RESERVATION_EXPIRED = "RESERVATION_EXPIRED",
  INVALID_STATE = "INVALID_STATE",
  VERSION_CONFLICT = "VERSION_CONFLICT",
  DUPLICATE = "DUPLICATE",
  INVALID_QUANTITY = "INVALID_QUANTITY",
}
export enum StockAlertKind {
  LOW_STOCK = "LOW_STOCK",
  OUT_OF_STOCK = "OUT_OF_STOCK",
  BACK_IN_STOCK = "BACK_IN_STOCK",
}

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
  },
});
registerEnumType(StockErrorCode, { name: "StockErrorCode" });
registerEnumType(StockAlertKind, {
  name: "StockAlertKind",
  valuesConfig: {
    LOW_STOCK: { description: "available fell to or below the threshold, still above zero" },
    OUT_OF_STOCK: { description: "available reached zero" },
    BACK_IN_STOCK: { description: "available rose above the threshold again" },
  },
});
