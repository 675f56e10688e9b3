// The transfer part of the fulfilment contract holds against the emitted
// schema. (Allocation, the contract's other part, is built separately; once
// both are in, fulfilment.graphql is checked whole, like every capability
// file copied into schema/contract/, by schema.test.ts.)
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, type DefinitionNode, findBreakingChanges, Kind, parse, print } from "graphql";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.js";

const copied = join(projectRoot, "schema", "contract", "fulfilment.graphql");
const shared = join(projectRoot, "..", "shared", "design", "contract", "fulfilment.graphql");
const source = [copied, shared].find((f) => existsSync(f));

/** The contract's transfer definitions: the Transfer* types and inputs, and the extensions only transfers make. */
function transferPart(sdl: string): DefinitionNode[] {
  const extended = new Set(["StockLevel", "MovementType", "StockMovement", "Query", "Mutation"]);
  return parse(sdl).definitions.filter((d) => {
    if (!("name" in d) || !d.name) return false;
    if (/Transfer/.test(d.name.value)) return true;
    return (d.kind === Kind.OBJECT_TYPE_EXTENSION || d.kind === Kind.ENUM_TYPE_EXTENSION) && extended.has(d.name.value);
  });
}

describe("GraphQL schema and the fulfilment contract", () => {
  it.skipIf(!source)("has no breaking change against its transfer definitions", () => {
    const part = transferPart(readFileSync(source!, "utf8"));
    const names = part.map((d) => ("name" in d ? d.name?.value : ""));
    // The extensions of Query and Mutation in the contract are the transfer operations only.
    expect(names).toEqual(expect.arrayContaining(["Transfer", "TransferStatus", "CreateTransferInput", "StockLevel", "MovementType", "Query", "Mutation"]));
    const floor = buildSchema(`${readFileSync(join(projectRoot, "schema", "contract", "api.graphql"), "utf8")}\n${print({ kind: Kind.DOCUMENT, definitions: part })}`);
    const emitted = buildSchema(readFileSync(join(projectRoot, "schema", "schema.graphql"), "utf8"));
    expect(findBreakingChanges(floor, emitted).map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });
});
