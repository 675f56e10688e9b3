// One object of every type that implements Node, read from a test's fixture,
// for the tests that go through each type by id (node.test, auth-matrix).
import { type GraphQLSchema, isInterfaceType } from "graphql";

/**
 * Asked as ADMIN with a fixture's product (stock in MAIN, an alert crossed),
 * an order reserved of it, a product that tracks lots with a lot in MAIN
 * (lotFixture) and a transfer. A type that implements Node gets a selection
 * here that reaches one of its objects.
 */
export const ONE_OF_EACH_NODE = `query OneOfEachNode($sku: String!, $orderId: String!, $lotSku: String!) {
  product(sku: $sku) { __typename id stock { __typename id } levels { __typename id warehouse { __typename id } } }
  lotProduct: product(sku: $lotSku) { levels { lots { __typename id } } }
  reservation(orderId: $orderId) { __typename id }
  stockMovements(first: 1, newestFirst: true) { nodes { __typename id } }
  stockAlerts(first: 1) { nodes { __typename id } }
  apiKeys { __typename id }
  transfers(first: 1) { nodes { __typename id } }
}`;

/** createProduct's input for the fixture's product that tracks lots. */
export const lotFixture = (lotSku: string) => ({ sku: lotSku, name: "lots", tracksLots: true, initialStock: 5, initialLot: { code: "FIXTURE-1", expiresOn: "2099-12-31" } });

/** createTransfer's input for the fixture's transfer: one of `sku` from MAIN to `to`. */
export const transferFixture = (reference: string, sku: string, to: string) => ({ reference, from: "MAIN", to, lines: [{ sku, quantity: 1 }] });

/** The first id of each type in an answer: every object with `__typename` and `id`, however deep. */
export function idsByType(data: unknown, found = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(data)) for (const item of data) idsByType(item, found);
  else if (data !== null && typeof data === "object") {
    const o = data as Record<string, unknown>;
    if (typeof o.__typename === "string" && typeof o.id === "string" && !found.has(o.__typename)) found.set(o.__typename, o.id);
    for (const v of Object.values(o)) idsByType(v, found);
  }
  return found;
}

/** The types implementing Node in `schema`. */
export function nodeTypes(schema: GraphQLSchema): string[] {
  const node = schema.getType("Node");
  if (!isInterfaceType(node)) throw new Error("the schema has no Node interface");
  return schema.getPossibleTypes(node).map((t) => t.name).sort();
}
