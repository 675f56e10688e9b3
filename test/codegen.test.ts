// Generated files are committed; this fails when they are stale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "@graphql-codegen/cli";
import { describe, expect, it } from "vitest";
import config from "../codegen.js";
import { projectRoot } from "../src/paths.js";

describe("codegen output", () => {
  it("test/generated/ matches codegen.ts run on the committed schema (run npm run codegen)", async () => {
    const outputs = await generate({ ...config, cwd: projectRoot, silent: true }, false);
    for (const o of outputs as { filename: string; content: string }[]) {
      const committed = readFileSync(join(projectRoot, o.filename), "utf8");
      expect(committed, `${o.filename} is stale: run npm run codegen`).toBe(o.content);
    }
  });
});
