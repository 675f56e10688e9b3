import { fromGlobalId, toGlobalId } from "graphql-relay";
import { InputRejected } from "../stock/stock.errors.js";

/**
 * Ids as clients see them: Relay's global ids, base64 of "<Type>:<row id>"
 * ("UHJvZHVjdDox" is Product 1), unique across every type. Opaque to
 * clients; the numeric row id stays readable as `databaseId` (or `sequence`).
 */
export function globalId(type: string, rowId: number): string {
  return toGlobalId(type, String(rowId));
}

/** Longer than any id this service hands out ("StockMovement:" and 16 digits encode to 40 characters). */
const MAX_LENGTH = 64;

/**
 * The type and row id a global id names, or an InputRejected for anything
 * this service could not have handed out: not base64 of "<Type>:<id>", a
 * type `maxRowIdOf` does not know, an id that is not a positive integer up to
 * the type's largest, or any other spelling of a valid id (the old numeric
 * ids "1", "2"… included).
 */
export function parseGlobalId(value: unknown, maxRowIdOf: (type: string) => number | undefined, field = "id", what = "an object"): { type: string; rowId: number } {
  const refused = new InputRejected(
    `${field} is not the id of ${what} of this service: give the \`id\` it returned (the numeric ids of before are \`databaseId\`)`,
    field,
  );
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw refused;
  const { type, id } = fromGlobalId(value);
  const max = maxRowIdOf(type);
  if (max === undefined || !/^[1-9]\d{0,15}$/.test(id) || Number(id) > max || globalId(type, Number(id)) !== value) throw refused;
  return { type, rowId: Number(id) };
}

/** The row id of a global id that must name a `type` whose row ids go up to `maxRowId`. */
export function rowIdOf(type: string, value: unknown, field: string, maxRowId: number): number {
  return parseGlobalId(value, (t) => (t === type ? maxRowId : undefined), field, `a ${type}`).rowId;
}
