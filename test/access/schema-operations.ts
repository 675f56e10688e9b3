// Operations generated from the built schema, so tests that loop over them
// notice every operation added later: its root fields, the leaves of their
// arguments, documents with variables, and valid baseline values.
import {
  getNamedType,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from "graphql";

export type RootKind = "Query" | "Mutation" | "Subscription";

export interface RootOperation {
  kind: RootKind;
  name: string;
  field: GraphQLField<unknown, unknown>;
}

export function rootOperations(schema: GraphQLSchema): RootOperation[] {
  const roots = [
    ["Query", schema.getQueryType()],
    ["Mutation", schema.getMutationType()],
    ["Subscription", schema.getSubscriptionType()],
  ] as const;
  return roots.flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, name: field.name, field })) : []));
}

/** A scalar or enum in an operation's arguments, e.g. path ["input", "items", 0, "sku"]. */
export interface Leaf {
  path: (string | number)[];
  /** The argument or input field's own name ("sku"). */
  name: string;
  type: GraphQLScalarType | GraphQLEnumType;
  /** Non-null where it stands (inside a list: the list's items). */
  required: boolean;
  /** A list of leaves (`skus: [String!]`); the path then ends in the item index 0. */
  inList: boolean;
}

/** Every leaf of `op`'s arguments, optional ones included (lists: their first item). */
export function leavesOf(op: RootOperation): Leaf[] {
  const out: Leaf[] = [];
  const walk = (type: GraphQLInputType, path: (string | number)[], name: string, inList: boolean) => {
    const required = isNonNullType(type);
    const t = required ? type.ofType : type;
    if (isListType(t)) return walk(t.ofType, [...path, 0], name, true);
    if (isInputObjectType(t)) {
      for (const f of Object.values(t.getFields())) walk(f.type, [...path, f.name], f.name, false);
      return;
    }
    out.push({ path, name, type: t as GraphQLScalarType | GraphQLEnumType, required, inList });
  };
  for (const a of op.field.args) walk(a.type, [a.name], a.name, false);
  return out;
}

class NoValue extends Error {}

/** A valid value for a leaf, or undefined to leave an optional one out. */
export type Filler = (leaf: Leaf, op: RootOperation) => unknown;

/**
 * The smallest arguments: every required argument and input field (a required
 * list gets one item), plus the optional leaves `fill` chooses to give.
 */
export function minimalArgs(op: RootOperation, fill: Filler): Record<string, unknown> {
  // `listRequired`: inside a list, whether the list itself must be given (then it gets one item).
  const build = (type: GraphQLInputType, path: (string | number)[], name: string, inList: boolean, listRequired = false): unknown => {
    const required = inList ? listRequired : isNonNullType(type);
    const t = isNonNullType(type) ? type.ofType : type;
    if (isListType(t)) {
      const item = build(t.ofType, [...path, 0], name, true, required);
      return item === undefined ? undefined : [item];
    }
    if (isInputObjectType(t)) {
      const obj: Record<string, unknown> = {};
      try {
        for (const f of Object.values(t.getFields())) {
          const v = build(f.type, [...path, f.name], f.name, false);
          if (v !== undefined) obj[f.name] = v;
        }
      } catch (err) {
        // An optional input whose required fields the filler leaves out is left out.
        if (err instanceof NoValue && !required) return undefined;
        throw err;
      }
      return required || Object.keys(obj).length > 0 ? obj : undefined;
    }
    const v = fill({ path, name, type: t as GraphQLScalarType | GraphQLEnumType, required, inList }, op);
    if (v === undefined && required) throw new NoValue(`no value for required ${op.name}(${path.join(".")}): teach the test's filler`);
    return v;
  };
  const args: Record<string, unknown> = {};
  for (const a of op.field.args) {
    const v = build(a.type, [a.name], a.name, false);
    if (v !== undefined) args[a.name] = v;
  }
  return args;
}

/** A copy of `args` with the leaf at `path` set to `value` (objects and lists made as needed). */
export function withLeaf(args: Record<string, unknown>, path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(args);
  let at: Record<string | number, unknown> = copy;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      at[key] = value;
      return;
    }
    if (at[key] === undefined || at[key] === null) at[key] = typeof path[i + 1] === "number" ? [] : {};
    at = at[key] as Record<string | number, unknown>;
  });
  return copy;
}

/** What to select from a result: payloads show their business errors. */
function selectionOf(op: RootOperation): string {
  const named = getNamedType(op.field.type);
  if (isLeafType(named)) return "";
  if (isObjectType(named) && "errors" in named.getFields()) return " { __typename errors { code message } }";
  return " { __typename }";
}

/** `mutation($input: ReserveStockInput!) { reserveStock(input: $input) { … } }` for the given arguments. */
export function documentOf(op: RootOperation, args: Record<string, unknown>): string {
  const used = op.field.args.filter((a) => a.name in args);
  const defs = used.length ? `(${used.map((a) => `$${a.name}: ${a.type.toString()}`).join(", ")})` : "";
  const call = used.length ? `(${used.map((a) => `${a.name}: $${a.name}`).join(", ")})` : "";
  return `${op.kind.toLowerCase()} Op${defs} { ${op.name}${call}${selectionOf(op)} }`;
}

let counter = 0;
/** A value no other test uses, valid as a sku, warehouse code or key name. */
export function fresh(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`.toUpperCase();
}

export interface Fixture {
  /** A product with stock in MAIN. */
  sku: string;
  /** An ACTIVE reservation of it. */
  orderId: string;
  /** A second warehouse: transfers go from MAIN to it. */
  warehouse: string;
  /** The product's id, for node(id) and nodes(ids). */
  nodeId: string;
}

/**
 * Valid baseline values by leaf name: the existing fixture where a mutation
 * needs something to act on, something new where it creates. Throws for a
 * required leaf it does not know, so a new argument gets a value here.
 */
export function validFiller(fx: Fixture): Filler {
  return (leaf, op) => {
    const creates = op.name.startsWith("create") || op.name === "reserveStock";
    switch (leaf.name) {
      case "sku":
      case "skus":
        return creates && op.name !== "reserveStock" ? fresh("SKU") : leaf.required ? fx.sku : undefined;
      case "warehouse":
      case "warehouses":
        return leaf.required ? "MAIN" : undefined;
      case "code":
        // Lots are named only where the product tracks them (the fixture's does not).
        return leaf.path.some((p) => p === "lot" || p === "initialLot") ? undefined : fresh("N");
      case "name":
        return fresh("N");
      case "orderId":
        // A return names the order it comes back from (only ADMIN may leave it out).
        return op.name === "reserveStock" ? fresh("ORDER") : leaf.required || op.name === "returnStock" ? fx.orderId : undefined;
      case "reason":
        // Closing a transfer short must say why (the schema cannot tell: TransferRefInput serves ship and cancel too).
        return leaf.required || op.name === "closeTransfer" ? "test" : undefined;
      case "reference":
        // A new transfer, or one that does not exist (TRANSFER_NOT_FOUND): nothing of the fixture changes.
        return leaf.required ? fresh("TR") : undefined;
      case "from":
        return "MAIN";
      case "to":
        return fx.warehouse;
      case "quantity":
        return 1;
      case "delta":
        return op.name === "adjustStock" ? 1 : undefined; // adjustStock needs one of delta and countedQuantity
      case "threshold":
        return 5;
      case "ttlSeconds":
        return leaf.required ? 600 : undefined;
      case "role":
        return "VIEWER";
      case "lot":
        return leaf.required ? "LOT-1" : undefined;
      case "withinDays":
        return 30;
      case "id":
      case "ids":
        // A oneOf input's id (stockLevel's key) is left out: its other field names the level.
        return leaf.required ? fx.nodeId : undefined;
      case "latitude":
        return 31.23;
      case "longitude":
        return 121.47;
    }
    if (!leaf.required) return undefined;
    if (isEnumType(leaf.type)) return leaf.type.getValues()[0]!.value;
    throw new Error(`no valid value for ${op.name}(${leaf.path.join(".")}) of type ${leaf.type.name}: add one to validFiller`);
  };
}
