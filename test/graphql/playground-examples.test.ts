// The playground's example tabs (web/playground/examples.ts) are valid against
// the schema, and the transfer tab's operations, run in the order its comment
// gives, do what they say on a fresh service.
import { buildSchema, Kind, type OperationDefinitionNode, parse, printSchema, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";
import { exampleTabs } from "../../web/playground/examples.js";
import { startTestService, type TestService } from "../support/service.js";
import { must } from "./helpers.js";

const built = await createSchema({ publicRead: true });
const schema = buildSchema(printSchema(built));

/** The named operations of a tab's document. */
const operationsOf = (query: string) =>
  parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION).map((d) => d.name!.value);

describe("playground examples", () => {
  it.each(exampleTabs.map((tab) => ({ name: operationsOf(tab.query)[0], tab })))("$name is valid against the schema", ({ tab }) => {
    expect(validate(schema, parse(tab.query)).map((e) => e.message)).toEqual([]);
    expect(() => JSON.parse(tab.variables)).not.toThrow();
  });

  describe("the transfer tab, run in order", () => {
    let t: TestService;
    beforeAll(async () => {
      t = await startTestService("pglite");
    });
    afterAll(() => t?.close());

    it("creates a warehouse, moves 4 mugs there, receives 3 and closes short", async () => {
      const first = exampleTabs[0]!;
      await must(t, first.query, JSON.parse(first.variables));
      const tab = exampleTabs.find((x) => operationsOf(x.query)[0] === "createTransfer")!;
      const variables = JSON.parse(tab.variables);
      const run = async (operationName: string) => {
        const res = await fetch(t.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${t.adminKey}` },
          body: JSON.stringify({ query: tab.query, variables, operationName }),
        });
        return (await res.json()) as { data: any; errors?: unknown };
      };
      expect(operationsOf(tab.query)).toEqual(["createTransfer", "shipTransfer", "receiveTransfer", "closeTransfer", "transfers", "createWarehouse"]);
      const answers: Record<string, any> = {};
      for (const op of ["createWarehouse", "createTransfer", "shipTransfer", "receiveTransfer", "closeTransfer", "transfers"]) {
        const r = await run(op);
        expect(r.errors, `${op}: ${JSON.stringify(r.errors)}`).toBeUndefined();
        answers[op] = r.data;
      }
      for (const op of ["createWarehouse", "createTransfer", "shipTransfer", "receiveTransfer", "closeTransfer"]) expect(answers[op][op].errors, op).toEqual([]);
      expect(answers.closeTransfer.closeTransfer.transfer).toEqual({
        status: "RECEIVED",
        closeReason: "one broke on the way",
        lines: [{ sku: "DEMO-MUG", received: 3, lost: 1 }],
      });
      expect(answers.transfers.product.levels).toEqual([
        { warehouse: { code: "MAIN" }, onHand: 6, inTransit: 0 },
        { warehouse: { code: "EAST" }, onHand: 3, inTransit: 0 },
      ]);
    });
  });
});
