import { type Placeholder, type Query, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Executor } from "./client.js";

const dialect = new PgDialect({ casing: "snake_case" });

/**
 * A statement written in SQL whose text is the same on every call, its
 * values given by name: drizzle turns the template into text once, on first
 * use, instead of walking every chunk of it again on each call (tens of
 * microseconds for the write path's statements, on every batch). The result
 * is what `execute` gives (read it with rowsOf), and the statement is counted
 * and logged like any other.
 */
export function preparedStatement<V extends object>(
  build: (param: (name: keyof V & string) => Placeholder) => SQL,
): (ex: Executor, values: V) => Promise<unknown> {
  let query: Query | undefined;
  return (ex, values) => {
    query ??= dialect.sqlToQuery(build((name) => sql.placeholder(name)));
    return ex._.session.prepareQuery(query, undefined, undefined, false).execute(values as Record<string, unknown>);
  };
}
