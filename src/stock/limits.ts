import { type AllocationPolicy, DEFAULT_POLICY, type GeoPoint } from "./allocation.js";
import { ALLOCATION_STRATEGIES, type AllocationStrategy, SPLIT_POLICIES, type SplitPolicy } from "./enums.js";
import { InputRejected } from "./stock.errors.js";
import { DEFAULT_CHANNEL } from "./types.js";

/** The input limits of docs/design.md, checked before anything touches the database. */
export const LIMITS = {
  quantityMax: 1_000_000,
  codePattern: /^[A-Za-z0-9._-]{1,64}$/,
  orderIdMax: 128,
  /** A transfer's reference: 1-128 printable characters, like an orderId. */
  referenceMax: 128,
  nameMax: 200,
  reasonMax: 500,
  linesMax: 100,
  ttlMax: 86_400,
  firstMax: 500,
  thresholdMax: 1_000_000,
  /** Days: minShelfLifeDays, removalDays. */
  shelfLifeMax: 3650,
  lotCodePattern: /^[A-Za-z0-9._\/-]{1,64}$/,
  /** The largest value of an integer column: versions, counted quantities. */
  int4Max: 2 ** 31 - 1,
} as const;

function isInt(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n);
}

export function quantity(q: unknown, field = "quantity"): number {
  if (!isInt(q) || q < 1 || q > LIMITS.quantityMax) {
    throw new InputRejected(`${field} must be an integer from 1 to ${LIMITS.quantityMax}`, field);
  }
  return q;
}

export function signedDelta(d: unknown, field = "delta"): number {
  if (!isInt(d) || d === 0 || Math.abs(d) > LIMITS.quantityMax) {
    throw new InputRejected(`${field} must be a non-zero integer within ±${LIMITS.quantityMax}`, field);
  }
  return d;
}

export function nonNegative(n: unknown, field: string, max: number = LIMITS.quantityMax): number {
  if (!isInt(n) || n < 0 || n > max) throw new InputRejected(`${field} must be an integer from 0 to ${max}`, field);
  return n;
}

export function sku(s: unknown, field = "sku"): string {
  if (typeof s !== "string" || !LIMITS.codePattern.test(s)) {
    throw new InputRejected(`${field} must be 1-64 characters of A-Z a-z 0-9 . _ -`, field);
  }
  return s;
}

export const warehouseCode = (s: unknown, field = "warehouse") => sku(s, field);

/** A supplier's lot code: 1-64 of A-Z a-z 0-9 . _ / -. */
export function lotCode(s: unknown, field = "lot.code"): string {
  if (typeof s !== "string" || !LIMITS.lotCodePattern.test(s)) throw new InputRejected(`${field} must be 1-64 characters of A-Z a-z 0-9 . _ / -`, field);
  return s;
}

/** A calendar date YYYY-MM-DD (or a Date, as GraphQL's Date scalar gives it) between 2000-01-01 and 2199-12-31 (a real day). */
export function calendarDate(d: unknown, field: string): string {
  const s = d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString().slice(0, 10) : d;
  const ok = typeof s === "string" && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
  if (!ok || s < "2000-01-01" || s > "2199-12-31") throw new InputRejected(`${field} must be a date YYYY-MM-DD from 2000-01-01 to 2199-12-31`, field);
  return s;
}

/** A number of days from 0 to 3650 (ten years). */
export const days = (n: unknown, field: string) => nonNegative(n, field, LIMITS.shelfLifeMax);

/** A warehouse's priority: lower serves first. */
export function priority(n: unknown, field = "priority"): number {
  return nonNegative(n, field, 1_000_000);
}

/** An idempotency key: 1-255 printable characters (a UUID, an event id…). */
export function idempotencyKey(s: unknown, field = "idempotencyKey"): string {
  if (typeof s !== "string" || s.length < 1 || s.length > 255 || !printable.test(s)) {
    throw new InputRejected(`${field} must be 1-255 printable characters`, field);
  }
  return s;
}

/** A sales channel's name (the codes' alphabet); none given: the default channel. */
export const channel = (s: unknown, field = "channel") => (s == null ? DEFAULT_CHANNEL : sku(s, field));

/** A warehouse code, or undefined when none is given (the service chooses). */
export const optionalWarehouse = (s: unknown, field = "warehouse") => (s == null ? undefined : warehouseCode(s, field));

/** An expectedVersion, or undefined when none is given. */
export const optionalVersion = (n: unknown, field = "expectedVersion") => (n == null ? undefined : nonNegative(n, field, LIMITS.int4Max));

// Printable: no control characters (C0, DEL, C1), no format characters
// (zero-width spaces, bidirectional overrides such as U+202E, which make one
// id or name look like another) and no lone surrogates.
const printable = /^[^\p{Cc}\p{Cf}\p{Cs}]+$/u;

export function orderId(s: unknown, field = "orderId"): string {
  if (typeof s !== "string" || s.length < 1 || s.length > LIMITS.orderIdMax || !printable.test(s)) {
    throw new InputRejected(`${field} must be 1-${LIMITS.orderIdMax} printable characters`, field);
  }
  return s;
}

/** A transfer's reference (the caller's document number). */
export function reference(s: unknown, field = "reference"): string {
  if (typeof s !== "string" || s.length < 1 || s.length > LIMITS.referenceMax || !printable.test(s)) {
    throw new InputRejected(`${field} must be 1-${LIMITS.referenceMax} printable characters`, field);
  }
  return s;
}

function text(s: unknown, field: string, max: number, required: boolean): string | undefined {
  if (s === undefined || s === null) {
    if (required) throw new InputRejected(`${field} is required`, field);
    return undefined;
  }
  if (typeof s !== "string" || s.length > max || (required && s.trim() === "") || /[\p{Cc}\p{Cf}\p{Cs}]/u.test(s.replace(/[\n\t]/g, ""))) {
    throw new InputRejected(`${field} must be ${required ? "1" : "0"}-${max} characters without control or invisible format characters`, field);
  }
  return s;
}

export const name = (s: unknown, field = "name") => text(s, field, LIMITS.nameMax, true) as string;
export const reason = (s: unknown, field = "reason") => text(s, field, LIMITS.reasonMax, false);
export const requiredReason = (s: unknown, field = "reason") => text(s, field, LIMITS.reasonMax, true) as string;

export function ttlSeconds(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  if (!isInt(t) || t < 1 || t > LIMITS.ttlMax) {
    throw new InputRejected(`ttlSeconds must be an integer from 1 to ${LIMITS.ttlMax}`, "ttlSeconds");
  }
  return t;
}

/** A page size: the API layer always passes one (its defaults are in graphql/paging.ts). */
export function first(n: unknown): number {
  if (!isInt(n) || n < 1 || n > LIMITS.firstMax) {
    throw new InputRejected(`first must be an integer from 1 to ${LIMITS.firstMax}`, "first");
  }
  return n;
}

export interface LineInput {
  sku: string;
  quantity: number;
  warehouse?: string | null;
  minShelfLifeDays?: number | null;
}
export interface Line {
  sku: string;
  quantity: number;
  /** undefined: the service chooses. */
  warehouse: string | undefined;
  minShelfLifeDays?: number;
}

/**
 * Validates request lines and merges lines of the same sku and warehouse into
 * one (their sum must itself be within the quantity limit), keeping first-seen order.
 */
export function lines(input: readonly LineInput[] | undefined | null, field = "items"): Line[] {
  if (!Array.isArray(input) || input.length < 1 || input.length > LIMITS.linesMax) {
    throw new InputRejected(`${field} must have 1 to ${LIMITS.linesMax} lines`, field);
  }
  const merged = new Map<string, Line>();
  input.forEach((l, i) => {
    const s = sku(l.sku, `${field}[${i}].sku`);
    const q = quantity(l.quantity, `${field}[${i}].quantity`);
    const w = optionalWarehouse(l.warehouse, `${field}[${i}].warehouse`);
    const shelf = l.minShelfLifeDays == null ? undefined : nonNegative(l.minShelfLifeDays, `${field}[${i}].minShelfLifeDays`, LIMITS.shelfLifeMax);
    const key = `${s}\u0000${w ?? ""}`;
    const seen = merged.get(key);
    if (seen) {
      seen.quantity = quantity(seen.quantity + q, `${field} (sum of lines of ${s})`);
      // Merged lines keep the strictest shelf life either asked for.
      if (shelf !== undefined) seen.minShelfLifeDays = Math.max(seen.minShelfLifeDays ?? 0, shelf);
    } else {
      merged.set(key, { sku: s, quantity: q, warehouse: w, ...(shelf !== undefined ? { minShelfLifeDays: shelf } : {}) });
    }
  });
  return [...merged.values()];
}

export interface GeoPointInput {
  latitude: number;
  longitude: number;
}

/** Degrees: latitude within ±90, longitude within ±180. */
export function geoPoint(p: GeoPointInput | null | undefined, field = "location"): GeoPoint | null {
  if (p == null) return null;
  const ok = (v: unknown, max: number) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= max;
  if (!ok(p.latitude, 90)) throw new InputRejected(`${field}.latitude must be a number of degrees from -90 to 90`, `${field}.latitude`);
  if (!ok(p.longitude, 180)) throw new InputRejected(`${field}.longitude must be a number of degrees from -180 to 180`, `${field}.longitude`);
  return { latitude: p.latitude, longitude: p.longitude };
}

export interface AllocationInput {
  strategy?: AllocationStrategy | null;
  split?: SplitPolicy | null;
  shipTo?: GeoPointInput | null;
}

/** How lines naming no warehouse are allocated; absent: PRIORITY + MINIMIZE. NEAREST needs shipTo. */
export function allocation(input: AllocationInput | null | undefined): AllocationPolicy {
  if (input == null) return DEFAULT_POLICY;
  const strategy = input.strategy ?? DEFAULT_POLICY.strategy;
  const split = input.split ?? DEFAULT_POLICY.split;
  if (!ALLOCATION_STRATEGIES.includes(strategy)) throw new InputRejected(`allocation.strategy must be one of ${ALLOCATION_STRATEGIES.join(", ")}`, "allocation.strategy");
  if (!SPLIT_POLICIES.includes(split)) throw new InputRejected(`allocation.split must be one of ${SPLIT_POLICIES.join(", ")}`, "allocation.split");
  const shipTo = geoPoint(input.shipTo, "allocation.shipTo");
  if (strategy === "NEAREST" && !shipTo) throw new InputRejected("allocation NEAREST needs shipTo (where the order ships to)", "allocation.shipTo");
  return { strategy, split, shipTo };
}
