import { InputRejected } from "../stock/stock.errors.js";

/** The largest id of a serial (int4) column: products, warehouses, levels. A larger one would fail in SQL. */
export const MAX_SERIAL_ID = 2 ** 31 - 1;

/** Opaque cursors: base64url of "<kind>:<number>", checked on the way back in. */
export function encodeCursor(kind: string, n: number): string {
  return Buffer.from(`${kind}:${n}`).toString("base64url");
}

/** `max`: the largest id the cursor's rows can have (MAX_SERIAL_ID for int4 keys). */
export function decodeCursor(kind: string, cursor: string | null | undefined, max = Number.MAX_SAFE_INTEGER): number | null {
  if (cursor == null) return null;
  const text = cursor.length <= 64 ? Buffer.from(cursor, "base64url").toString() : "";
  const m = /^([a-z]+):(\d{1,15})$/.exec(text);
  if (!m || m[1] !== kind || Number(m[2]) > max) throw new InputRejected(`after is not a cursor this field handed out`, "after");
  return Number(m[2]);
}

/** A row's `id` given back as `after` (lowStockLevels pages by the last level's id). */
export function parseId(s: string | null | undefined, field = "after", max = MAX_SERIAL_ID): number | null {
  if (s == null) return null;
  if (!/^\d{1,10}$/.test(s) || Number(s) > max) throw new InputRejected(`${field} must be the id of a row this field returned`, field);
  return Number(s);
}

/** A ledger sequence as clients see it: a decimal string. */
export function parseSequence(s: string | null | undefined, field = "after"): number | undefined {
  if (s == null) return undefined;
  if (!/^\d{1,15}$/.test(s)) throw new InputRejected(`${field} must be a sequence (a decimal number) handed out by this service`, field);
  return Number(s);
}

/** Builds a connection from one extra row fetched past `first` (which says there is a next page). */
export function connectionOf<T>(rows: T[], first: number, cursorOf: (row: T) => string) {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
