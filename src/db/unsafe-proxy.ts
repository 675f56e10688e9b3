import type postgres from "postgres";

/** How drizzle sends every statement: postgres.js's `unsafe(text, params)`, then awaited or `.values()`. */
export type Unsafe = (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => unknown;

/**
 * `sql` as drizzle gets it, with `unsafe`, the one method drizzle sends
 * statements through, replaced by `unsafe`; everything else is sql's own.
 * How statements are prepared, watched for lost connections, or refused is
 * decided there.
 */
export function withUnsafe(sql: postgres.Sql, unsafe: Unsafe): postgres.Sql {
  return new Proxy(sql, {
    get: (target, key) => {
      if (key === "unsafe") return unsafe;
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
