import { type Column, getTableColumns, type SQL, sql, type Table } from "drizzle-orm";

/**
 * `column = any($1)` with the values as ONE array parameter: unlike
 * `inArray`'s `in ($1, $2, …)`, the statement's text is the same for any
 * number of values, so one prepared statement per connection serves them all.
 */
export function anyOf(column: Column, values: readonly (number | string)[]): SQL {
  return sql`${column} = any(${sql.param([...values])})`;
}

/**
 * For statements written in SQL (unnest-based multi-row writes, locking
 * updates) that return whole rows of a table: the RETURNING list, and the
 * mapping drizzle applies to its own results, so such rows look exactly like
 * the query builder's (dates as Date, bigint ids as numbers).
 */
export function fieldsOf(table: Table, alias?: string): SQL {
  const prefix = alias ? `${alias}.` : "";
  return sql.raw(
    Object.entries(getTableColumns(table))
      .map(([field, column]) => `${prefix}"${columnName(column)}" as "${field}"`)
      .join(", "),
  );
}

export function mapRows<T>(table: Table, rows: readonly Record<string, unknown>[]): T[] {
  const columns = Object.entries(getTableColumns(table));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [field, column] of columns) {
      const value = row[field];
      out[field] = value === null || value === undefined ? value : column.mapFromDriverValue(value);
    }
    return out as T;
  });
}

/** The column's name in the database (the schema is written in camelCase, stored in snake_case). */
function columnName(column: Column): string {
  return column.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
