import { InputRejected } from "../stock/stock.errors.js";
import { rowIdOf } from "./global-id.js";

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

/**
 * An object's `id` given back as `after` (lowStockLevels pages by the last
 * level's id): its row id. The numeric ids of before global ids are still
 * taken, so a client that kept one keeps paging.
 */
export function parseId(s: string | null | undefined, type: string, field = "after", max = MAX_SERIAL_ID): number | null {
  if (s == null) return null;
  if (/^\d+$/.test(s)) {
    if (s.length > 10 || Number(s) > max) throw new InputRejected(`${field} must be the id of a ${type} this field returned`, field);
    return Number(s);
  }
  return rowIdOf(type, s, field, max);
}

/** A ledger sequence as clients see it: a decimal string. */
export function parseSequence(s: string | null | undefined, field = "after"): number | undefined {
  if (s == null) return undefined;
  if (!/^\d{1,15}$/.test(s)) throw new InputRejected(`${field} must be a sequence (a decimal number) handed out by this service`, field);
  return Number(s);
}

/**
 * Builds a connection from one extra row fetched past `first` (which says
 * there is a next page). Paging goes forward, so a page asked for with
 * `after` has items before it, and the first page has none.
 */
export function connectionOf<T>(rows: T[], page: { first: number; after?: string | null }, cursorOf: (row: T) => string) {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: page.after != null,
      startCursor: edges[0]?.cursor ?? null,
    },
  };
}
