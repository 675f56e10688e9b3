import type postgres from "postgres";

/**
 * The database's array types, as postgres.js keeps them once it has looked
 * them up: how to send a JS array as a parameter of each (`= any($1)`,
 * `unnest($1::int[])`), and how to read one.
 *
 * postgres.js looks them up on every new connection, in a query nobody
 * awaits: if the connection dies during it, the rejection is unhandled and
 * the process ends. So our clients run with fetch_types off and are given the
 * types looked up once, by a client that exists for that one query. A type
 * created later (a migration's new enum) is not among them: send its arrays
 * as text[] and cast, as the queries here do.
 */
export interface ArrayTypes {
  /** Element type oid → array type oid. */
  map: Record<string, number>;
  parsers: Record<string, unknown>;
  serializers: Record<string, unknown>;
}

/** The parts of a client's options that hold its types (typed by postgres.js only in part). */
type TypeOptions = { parsers: Record<string, unknown>; serializers: Record<string, unknown>; shared: { typeArrayMap: Record<string, number> } };

/** Looks the array types up with `lookup` (a client of one connection with fetch_types on), which it then ends. */
export async function lookUpArrayTypes(lookup: postgres.Sql): Promise<ArrayTypes> {
  try {
    await lookup`select 1`;
    const o = lookup.options as unknown as TypeOptions;
    const types: ArrayTypes = { map: { ...o.shared.typeArrayMap }, parsers: {}, serializers: {} };
    for (const array of Object.values(types.map)) {
      types.parsers[array] = o.parsers[array];
      types.serializers[array] = o.serializers[array];
    }
    if (Object.keys(types.map).length === 0) throw new Error("postgres.js looked up no array types (has the driver changed?)");
    return types;
  } finally {
    await lookup.end({ timeout: 5 });
  }
}

/** What postgres.js's own lookup would have added to `sql`'s options. */
export function giveArrayTypes(sql: postgres.Sql, types: ArrayTypes): void {
  const o = sql.options as unknown as TypeOptions;
  Object.assign(o.shared.typeArrayMap, types.map);
  Object.assign(o.parsers, types.parsers);
  Object.assign(o.serializers, types.serializers);
}
