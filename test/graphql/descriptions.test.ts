// Every element a client can see in the schema says what it is: each type,
// field, argument, input field and enum value has a description. A new one
// without fails here, named, with where to write it.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedScalarType,
  isUnionType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";

const described = (d: string | null | undefined) => typeof d === "string" && d.trim().length > 0;

/** Every element of the schema that has no description, as "Type", "Type.field", "Type.field(arg)" or "Enum.VALUE". */
export function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const args = (owner: string, list: readonly GraphQLArgument[]) => {
    for (const a of list) if (!described(a.description)) missing.push(`${owner}(${a.name})`);
  };
  const ownTypes = Object.values(schema.getTypeMap()).filter((t: GraphQLNamedType) => !isIntrospectionType(t) && !isSpecifiedScalarType(t));
  for (const type of ownTypes) {
    if (!described(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        if (!described(f.description)) missing.push(`${type.name}.${f.name}`);
        args(`${type.name}.${f.name}`, f.args);
      }
    } else if (isInputObjectType(type)) {
      for (const f of Object.values(type.getFields()) as GraphQLInputField[]) if (!described(f.description)) missing.push(`${type.name}.${f.name}`);
    } else if (isEnumType(type)) {
      for (const v of type.getValues()) if (!described(v.description)) missing.push(`${type.name}.${v.name}`);
    } else if (isUnionType(type)) {
      // A union has no members of its own to describe.
    }
  }
  for (const d of schema.getDirectives()) {
    if (!described(d.description)) missing.push(`@${d.name}`);
    args(`@${d.name}`, d.args);
  }
  return missing.sort();
}

describe("schema descriptions", () => {
  it("describe every type, field, argument, input field and enum value", async () => {
    const missing = undescribed(await createSchema({ publicRead: true }));
    expect(
      missing,
      "add a `description` to each (types and fields: @ObjectType/@InputType/@Field/@Arg options; enum values: valuesConfig in src/graphql/types/enums.ts)",
    ).toEqual([]);
  });

  it("would notice an element without one", async () => {
    const { buildSchema } = await import("graphql");
    const bare = buildSchema(`"q" type Query { "f" f(a: Int): E }  "e" enum E { "x" X Y }  input I { "i" i: Int }`);
    expect(undescribed(bare)).toEqual(["E.Y", "I", "Query.f(a)"]);
  });
});
