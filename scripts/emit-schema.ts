import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSchema, printSortedSchema } from "../src/graphql/schema.js";
import { projectRoot } from "../src/paths.js";

// Writes schema/schema.graphql from the code-first schema (a test checks it stays fresh).
const schema = await createSchema({ publicRead: true });
mkdirSync(join(projectRoot, "schema"), { recursive: true });
writeFileSync(join(projectRoot, "schema", "schema.graphql"), printSortedSchema(schema));
console.log("wrote schema/schema.graphql");
