// The emitted schema is the committed one, and it keeps the public API floor.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, findBreakingChanges } from "graphql";
import { describe, expect, it } from "vitest";
import { createSchema, printSortedSchema } from "../../src/graphql/schema.js";
import { projectRoot } from "../../src/paths.js";


const committedPath = join(projectRoot, "schema", "schema.graphql");
const contractPath = join(projectRoot, "..", "shared", "design", "api-contract.graphql");

describe("GraphQL schema", () => {
  it("emits exactly the committed schema/schema.graphql", async () => {
    const emitted = printSortedSchema(await createSchema({ publicRead: true }));
    expect(existsSync(committedPath), `${committedPath} is missing: run npm run schema`).toBe(true);
    const committed = readFileSync(committedPath, "utf8");
    expect(emitted, "schema/schema.graphql is stale: run npm run schema and commit the result").toBe(committed);
  });

  it("has no breaking change against the API contract", () => {
    expect(
      existsSync(contractPath),
      `the API contract is missing at ${contractPath} (shared/design/api-contract.graphql beside the repository; CI always has it)`,
    ).toBe(true);
    const contract = buildSchema(readFileSync(contractPath, "utf8"));
    const committed = buildSchema(readFileSync(committedPath, "utf8"));
    const breaking = findBreakingChanges(contract, committed).map((c) => `${c.type}: ${c.description}`);
    expect(breaking).toEqual([]);
  });
});
