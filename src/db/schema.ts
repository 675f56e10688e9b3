import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { ALERT_KINDS, MOVEMENT_TYPES, RESERVATION_STATUSES, ROLES, TRANSFER_CHANGE_KINDS, TRANSFER_STATUSES } from "../stock/enums.js";

/**
 * One sequence numbers every ledger entry (movements and alerts): it is the
 * `sequence` clients resume from. Id order is insert order, not commit order;
 * the relay only hands out a prefix whose every id is settled (see events/watermark.ts).
 */
export const ledgerSeq = pgSequence("ledger_seq", { startWith: 1, increment: 1, cache: 1 });
const ledgerId = () => bigint({ mode: "number" }).primaryKey().default(sql`nextval('ledger_seq')`);

/** A sales channel (多渠道): orderIds are unique within one; keys belong to one. */
const channel = () => text().notNull().default("default");
const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

// The domain's lists (stock/enums.ts); a new value goes at the end of its list.
export const movementType = pgEnum("movement_type", MOVEMENT_TYPES);
export const reservationStatus = pgEnum("reservation_status", RESERVATION_STATUSES);
export const alertKind = pgEnum("stock_alert_kind", ALERT_KINDS);
export const role = pgEnum("role", ROLES);
export const transferStatus = pgEnum("transfer_status", TRANSFER_STATUSES);
export const transferChangeKind = pgEnum("transfer_change_kind", TRANSFER_CHANGE_KINDS);

export const warehouses = pgTable("warehouses", {
  id: serial().primaryKey(),
  code: text().notNull().unique(),
  name: text().notNull(),
  priority: integer().notNull().default(100),
  active: boolean().notNull().default(true),
  /** Where it is (optional), for NEAREST allocation: degrees, WGS 84. */
  latitude: doublePrecision(),
  longitude: doublePrecision(),
  createdAt: createdAt(),
});

export const products = pgTable("products", {
  id: serial().primaryKey(),
  sku: text().notNull().unique(),
  name: text().notNull(),
  /** Every receipt names a lot and every outflow is picked from lots (FEFO). Fixed at creation. */
  tracksLots: boolean("tracks_lots").notNull().default(false),
  /** A lot stops being sold this many days before it expires (its sellBy). */
  removalDays: integer("removal_days").notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const stockLevels = pgTable(
  "stock_levels",
  {
    id: serial().primaryKey(),
    productId: integer("product_id").notNull().references(() => products.id),
    warehouseId: integer("warehouse_id").notNull().references(() => warehouses.id),
    onHand: integer("on_hand").notNull().default(0),
    reserved: integer().notNull().default(0),
    lowStockThreshold: integer("low_stock_threshold").notNull().default(0),
    version: integer().notNull().default(0),
    /** On hand but not sellable: the unreserved stock of expired lots. available = onHand - reserved - unsellable. */
    unsellable: integer().notNull().default(0),
    /** The product's tracksLots, kept here so the lot-sum check can skip other levels. */
    tracksLots: boolean("tracks_lots").notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("stock_levels_product_warehouse_key").on(t.productId, t.warehouseId),
    index("stock_levels_warehouse_idx").on(t.warehouseId),
    check("stock_levels_reserved_within_on_hand", sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.onHand}`),
    check("stock_levels_unsellable_within_unreserved", sql`${t.unsellable} >= 0 AND ${t.reserved} + ${t.unsellable} <= ${t.onHand}`),
    check("stock_levels_threshold_non_negative", sql`${t.lowStockThreshold} >= 0`),
  ],
);

export const reservations = pgTable(
  "reservations",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    channel: channel(),
    orderId: text("order_id").notNull(),
    status: reservationStatus().notNull().default("ACTIVE"),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    actor: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("reservations_channel_order_key").on(t.channel, t.orderId),
    index("reservations_active_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'ACTIVE'`),
    index("reservations_status_id_idx").on(t.status, t.id),
  ],
);

export const reservationLines = pgTable(
  "reservation_lines",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    reservationId: bigint("reservation_id", { mode: "number" })
      .notNull()
      .references(() => reservations.id),
    levelId: integer("level_id")
      .notNull()
      .references(() => stockLevels.id),
    quantity: integer().notNull(),
  },
  (t) => [
    index("reservation_lines_reservation_idx").on(t.reservationId),
    index("reservation_lines_level_idx").on(t.levelId),
    check("reservation_lines_quantity_positive", sql`${t.quantity} > 0`),
  ],
);

/** Claims an orderId (in its channel) for a direct sale so that a repeated deductStock does not deduct twice. */
export const deductions = pgTable(
  "deductions",
  {
    channel: channel(),
    orderId: text("order_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.orderId] })],
);

/** The audit ledger. Append-only: a trigger refuses UPDATE and DELETE. */
export const stockMovements = pgTable(
  "stock_movements",
  {
    id: ledgerId(),
    levelId: integer("level_id")
      .notNull()
      .references(() => stockLevels.id),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    warehouseId: integer("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    type: movementType().notNull(),
    onHandDelta: integer("on_hand_delta").notNull(),
    reservedDelta: integer("reserved_delta").notNull(),
    onHandAfter: integer("on_hand_after").notNull(),
    reservedAfter: integer("reserved_after").notNull(),
    version: integer().notNull(),
    /** The level's low-stock threshold after this change (null on rows written before it was recorded). */
    thresholdAfter: integer("threshold_after"),
    /** The level's unsellable stock (expired lots) after this change. */
    unsellableAfter: integer("unsellable_after").notNull().default(0),
    /** The sales channel of the order (or of the caller, for changes without one). */
    channel: channel(),
    orderId: text("order_id"),
    reason: text(),
    actor: text().notNull(),
    createdAt: createdAt(),
    /** The transfer a TRANSFER_OUT or TRANSFER_IN movement belongs to. */
    transferId: bigint("transfer_id", { mode: "number" }).references((): AnyPgColumn => transfers.id),
  },
  (t) => [
    uniqueIndex("stock_movements_level_version_key").on(t.levelId, t.version),
    index("stock_movements_transfer_idx").on(t.transferId).where(sql`${t.transferId} is not null`),
    index("stock_movements_product_idx").on(t.productId, t.id),
    index("stock_movements_warehouse_idx").on(t.warehouseId, t.id),
    index("stock_movements_order_idx").on(t.orderId, t.channel),
    index("stock_movements_type_idx").on(t.type, t.id),
  ],
);

/** Low-stock crossings, edge-triggered; numbered from the ledger sequence like movements. */
export const stockAlerts = pgTable(
  "stock_alerts",
  {
    id: ledgerId(),
    levelId: integer("level_id")
      .notNull()
      .references(() => stockLevels.id),
    warehouseId: integer("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    kind: alertKind().notNull(),
    threshold: integer().notNull(),
    availableBefore: integer("available_before").notNull(),
    availableAfter: integer("available_after").notNull(),
    movementId: bigint("movement_id", { mode: "number" }),
    /** LOT_EXPIRING and LOT_EXPIRED: the lot. */
    lotId: integer("lot_id"),
    createdAt: createdAt(),
  },
  (t) => [index("stock_alerts_warehouse_idx").on(t.warehouseId, t.id)],
);

/**
 * Lots (batches) of a lot-tracked product in one stock level. The level's
 * onHand and reserved are the sums of its lots' (a deferred check at commit
 * enforces it), its unsellable the unreserved stock of its expired lots.
 */
export const stockLots = pgTable(
  "stock_lots",
  {
    id: serial().primaryKey(),
    levelId: integer("level_id")
      .notNull()
      .references(() => stockLevels.id),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    warehouseId: integer("warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    /** The supplier's batch code: one expiry date per product and code. */
    code: text().notNull(),
    expiresOn: date("expires_on", { mode: "string" }),
    /** expiresOn minus the product's removalDays: the last day it may be sold. */
    sellBy: date("sell_by", { mode: "string" }),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    onHand: integer("on_hand").notNull().default(0),
    reserved: integer().notNull().default(0),
    /** When the sweeper found it past sellBy (its unreserved stock then became unsellable). */
    expiredAt: timestamp("expired_at", { withTimezone: true, mode: "date" }),
    /** LOT_EXPIRING was raised for it (once). */
    expiringAlerted: boolean("expiring_alerted").notNull().default(false),
  },
  (t) => [
    uniqueIndex("stock_lots_level_code_key").on(t.levelId, t.code),
    index("stock_lots_product_code_idx").on(t.productId, t.code),
    index("stock_lots_sell_by_idx").on(t.sellBy).where(sql`${t.expiredAt} is null and ${t.onHand} > 0`),
    check("stock_lots_reserved_within_on_hand", sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.onHand}`),
  ],
);

/** Which lots one movement (level, version) touched, and by how much. */
export const movementLots = pgTable(
  "stock_movement_lots",
  {
    levelId: integer("level_id").notNull(),
    version: integer().notNull(),
    lotId: integer("lot_id")
      .notNull()
      .references(() => stockLots.id),
    onHandDelta: integer("on_hand_delta").notNull(),
    reservedDelta: integer("reserved_delta").notNull(),
  },
  (t) => [primaryKey({ columns: [t.levelId, t.version, t.lotId] })],
);

/** Which lots a reservation holds in each of its levels: confirm, release and expiry act on exactly these. */
export const reservationLots = pgTable(
  "reservation_lots",
  {
    reservationId: bigint("reservation_id", { mode: "number" })
      .notNull()
      .references(() => reservations.id),
    lotId: integer("lot_id")
      .notNull()
      .references(() => stockLots.id),
    levelId: integer("level_id").notNull(),
    quantity: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.reservationId, t.lotId] }), check("reservation_lots_quantity_positive", sql`${t.quantity} > 0`)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: serial().primaryKey(),
    name: text().notNull().unique(),
    role: role().notNull(),
    channel: channel(),
    /** SHA-256 of the key: keys are high-entropy, so a fast hash is enough and lookups stay O(1). */
    keyHash: text("key_hash").notNull().unique(),
    prefix: text().notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  // "Shop" and "shop" would be one actor to a reader of the ledger.
  (t) => [uniqueIndex("api_keys_name_lower_key").on(sql`lower(${t.name})`)],
);

/**
 * Idempotency keys of mutations that are not idempotent by an orderId or a
 * reference: the first result, kept at least a day. Written in the same
 * transaction as the change it records.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    /** The caller (API key name): each client's keys are its own. */
    actor: text().notNull(),
    key: text().notNull(),
    operation: text().notNull(),
    /** SHA-256 of the operation's input: the same key with another input is refused. */
    requestHash: text("request_hash").notNull(),
    result: jsonb(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

/** One row: how far the relay has published the ledger. */
export const relayState = pgTable("relay_state", {
  id: integer().primaryKey().default(1),
  publishedUpTo: bigint("published_up_to", { mode: "number" }).notNull().default(0),
  updatedAt: updatedAt(),
});

/**
 * Stock moving between two warehouses (调拨): DRAFT → IN_TRANSIT (shipped:
 * TRANSFER_OUT at the origin) → PARTIALLY_RECEIVED → RECEIVED (TRANSFER_IN at
 * the destination; closing short records the rest as lost), or CANCELLED
 * before shipping. Every change is a guarded UPDATE of this row, which also
 * serialises the changes of one transfer.
 */
export const transfers = pgTable(
  "transfers",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    reference: text().notNull(),
    fromWarehouseId: integer("from_warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    toWarehouseId: integer("to_warehouse_id")
      .notNull()
      .references(() => warehouses.id),
    status: transferStatus().notNull().default("DRAFT"),
    /** Grows by one with every change (creation is 1): clients keep the newest of two copies. */
    version: integer().notNull().default(1),
    reason: text(),
    /** Why it was closed short or cancelled. */
    closeReason: text("close_reason"),
    actor: text().notNull(),
    createdAt: createdAt(),
    shippedAt: timestamp("shipped_at", { withTimezone: true, mode: "date" }),
    closedAt: timestamp("closed_at", { withTimezone: true, mode: "date" }),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("transfers_reference_key").on(t.reference),
    index("transfers_status_id_idx").on(t.status, t.id),
    index("transfers_from_idx").on(t.fromWarehouseId, t.id),
    index("transfers_to_idx").on(t.toWarehouseId, t.id),
    check("transfers_between_two_warehouses", sql`${t.fromWarehouseId} <> ${t.toWarehouseId}`),
  ],
);

/** One product of a transfer: per line, shipped (= quantity once shipped) = received + lost + still in transit. */
export const transferLines = pgTable(
  "transfer_lines",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    transferId: bigint("transfer_id", { mode: "number" })
      .notNull()
      .references(() => transfers.id),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    quantity: integer().notNull(),
    received: integer().notNull().default(0),
    lost: integer().notNull().default(0),
  },
  (t) => [
    uniqueIndex("transfer_lines_transfer_product_key").on(t.transferId, t.productId),
    index("transfer_lines_product_idx").on(t.productId),
    check("transfer_lines_quantity_positive", sql`${t.quantity} > 0`),
    check("transfer_lines_within_quantity", sql`${t.received} >= 0 AND ${t.lost} >= 0 AND ${t.received} + ${t.lost} <= ${t.quantity}`),
  ],
);

/**
 * The transfer's own ledger entries, one per change (create, ship, receipt,
 * close, cancel), numbered from the ledger sequence like movements, so the
 * relay and the hubs deliver them (transferChanged) with the same guarantees:
 * after commit, on every instance, resumable, without gap. Append-only.
 */
export const transferEvents = pgTable(
  "transfer_events",
  {
    id: ledgerId(),
    transferId: bigint("transfer_id", { mode: "number" })
      .notNull()
      .references(() => transfers.id),
    kind: transferChangeKind().notNull(),
    /** The transfer's status and version after this change. */
    status: transferStatus().notNull(),
    version: integer().notNull(),
    reason: text(),
    actor: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("transfer_events_transfer_idx").on(t.transferId, t.id)],
);
