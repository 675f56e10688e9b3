// The emitted schema is the committed one, and it keeps the public API floor:
// the contract in schema/contract/ (api.graphql, plus one file per capability
// built), checked with graphql-js's findBreakingChanges.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, findBreakingChanges } from "graphql";
import { describe, expect, it } from "vitest";
import { createSchema, printSortedSchema } from "../../src/graphql/schema.js";
import { projectRoot } from "../../src/paths.js";

const committedPath = join(projectRoot, "schema", "schema.graphql");
const contractDir = join(projectRoot, "schema", "contract");
/** The shared design folder beside the repository, where the contract comes from (absent in a plain clone). */
const sharedDir = join(projectRoot, "..", "shared", "design");
const sharedOf = (file: string) => (file === "api.graphql" ? join(sharedDir, "api-contract.graphql") : join(sharedDir, "contract", file));

const contract = (file: string) => readFileSync(join(contractDir, file), "utf8");
const capabilities = readdirSync(contractDir).filter((f) => f.endsWith(".graphql") && f !== "api.graphql");

describe("GraphQL schema", () => {
  it("emits exactly the committed schema/schema.graphql", async () => {
    const emitted = printSortedSchema(await createSchema({ publicRead: true }));
    expect(existsSync(committedPath), `${committedPath} is missing: run npm run schema`).toBe(true);
    const committed = readFileSync(committedPath, "utf8");
    expect(emitted, "schema/schema.graphql is stale: run npm run schema and commit the result").toBe(committed);
  });

  it("has no breaking change against the API contract", () => {
    const breaking = findBreakingChanges(buildSchema(contract("api.graphql")), buildSchema(readFileSync(committedPath, "utf8")));
    expect(breaking.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });

  it.each(capabilities)("has no breaking change against the API contract with %s", (file) => {
    const floor = buildSchema(`${contract("api.graphql")}\n${contract(file)}`);
    const breaking = findBreakingChanges(floor, buildSchema(readFileSync(committedPath, "utf8")));
    expect(breaking.map((c) => `${c.type}: ${c.description}`)).toEqual([]);
  });

  // CI runs beside the shared design folder; a plain clone has only the copies
  // (and nothing to compare them with).
  it("keeps schema/contract/ the same as the shared contract, where that is beside the repository", () => {
    if (!existsSync(sharedDir)) return;
    for (const file of ["api.graphql", ...capabilities]) {
      expect(contract(file), `schema/contract/${file} differs from ${sharedOf(file)}: copy it again`).toBe(readFileSync(sharedOf(file), "utf8"));
    }
  });
});
