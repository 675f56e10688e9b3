import { createRequire } from "node:module";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  validate,
  type ValueNode,
  visit,
} from "graphql";
import type { ComplexityEstimator } from "graphql-query-complexity";

// Its CommonJS build, as graphql itself is loaded: the ES build imports
// "graphql/index.mjs" by path, a second copy of graphql that would refuse
// this schema ("from another module or realm").
const { fieldExtensionsEstimator, getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  "graphql-query-complexity",
) as typeof import("graphql-query-complexity");

/** How big a request may be before anything executes. */
export interface QueryLimits {
  /** Lexical tokens in the query text: bounds parsing and everything after it. */
  maxTokens: number;
  /** Nesting of fields; a root field is depth 1. */
  maxDepth: number;
  /** Aliased fields, counted with fragments expanded. */
  maxAliases: number;
  /** Field selections, counted with fragments expanded. */
  maxFields: number;
  /** Root fields of one operation (each root mutation field is a change). */
  maxRootFields: number;
  /**
   * How often one object type may appear along one path of nested fields:
   * `product { levels { product { sku } } }` has Product twice. Going round
   * such a cycle again only multiplies the answer; no client needs it.
   */
  maxTypeRepeats: number;
  /** Estimated cost: one per field; a list multiplies its selection by `first`, or else by ASSUMED_LIST_SIZE. */
  maxComplexity: number;
}

/**
 * Generous for a shop's dashboards and order systems, small enough that
 * graphql-js's validation (quadratic in the fields of a selection set) and
 * execution stay cheap: products(first: 500) with their levels fits.
 */
export const QUERY_LIMITS: QueryLimits = {
  maxTokens: 5000,
  maxDepth: 12,
  maxAliases: 30,
  maxFields: 300,
  maxRootFields: 15,
  maxTypeRepeats: 2,
  maxComplexity: 100_000,
};

/**
 * What a list without `first` is assumed to hold when its cost is estimated
 * (a product's levels: one per warehouse; a reservation's lines; the key list).
 */
export const ASSUMED_LIST_SIZE = 10;

interface Shape {
  depth: number;
  fields: number;
  aliases: number;
  /** Fields at this level, fragments expanded: at the root, the root fields. */
  width: number;
}

const EMPTY: Shape = { depth: 0, fields: 0, aliases: 0, width: 0 };

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === "FragmentDefinition") fragments.set(d.name.value, d);
  return fragments;
}

/** Depth, fields, aliases and root fields of each operation; linear (each fragment is measured once, cycles count as nothing). */
function shapesOf(document: DocumentNode): Array<{ operation: OperationDefinitionNode; shape: Shape }> {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, Shape>();
  const visiting = new Set<string>();

  const fragmentShape = (name: string): Shape => {
    const known = memo.get(name);
    if (known) return known;
    const def = fragments.get(name);
    if (!def || visiting.has(name)) return EMPTY; // unknown or cyclic: validation reports it
    visiting.add(name);
    const s = measure(def.selectionSet);
    visiting.delete(name);
    memo.set(name, s);
    return s;
  };

  const measure = (set: SelectionSetNode): Shape => {
    let depth = 0;
    let fields = 0;
    let aliases = 0;
    let width = 0;
    for (const sel of set.selections) {
      if (sel.kind === "Field") {
        const inner = sel.selectionSet ? measure(sel.selectionSet) : EMPTY;
        // Introspection's type references nest `ofType` (a single object, never a
        // list) eight levels deep; that chain cannot fan out, so it adds no depth.
        depth = Math.max(depth, (sel.name.value === "ofType" ? 0 : 1) + inner.depth);
        fields += 1 + inner.fields;
        aliases += (sel.alias ? 1 : 0) + inner.aliases;
        width += 1;
      } else {
        const inner = sel.kind === "InlineFragment" ? measure(sel.selectionSet) : fragmentShape(sel.name.value);
        depth = Math.max(depth, inner.depth);
        fields += inner.fields;
        aliases += inner.aliases;
        width += inner.width;
      }
    }
    return { depth, fields, aliases, width };
  };

  return document.definitions.flatMap((d) => (d.kind === "OperationDefinition" ? [{ operation: d, shape: measure(d.selectionSet) }] : []));
}

/**
 * The first path of `operation` along which one object type appears more
 * than `max` times, or null. Walks the selections with fragments expanded,
 * so call it only once maxFields has bounded that expansion. Fields the
 * schema does not know are skipped (validation reports them).
 */
function cycleOf(
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  operation: OperationDefinitionNode,
  max: number,
): { type: string; path: string[] } | null {
  const counts = new Map<string, number>();
  const path: string[] = [];
  const expanding = new Set<string>();

  const walk = (set: SelectionSetNode, parent: GraphQLNamedType): { type: string; path: string[] } | null => {
    for (const sel of set.selections) {
      if (sel.kind === "Field") {
        if (!sel.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[sel.name.value];
        if (!field) continue;
        const type = getNamedType(field.type);
        const counted = !type.name.startsWith("__");
        const n = (counts.get(type.name) ?? 0) + 1;
        path.push(sel.alias?.value ?? sel.name.value);
        if (counted && n > max) return { type: type.name, path: [...path] };
        if (counted) counts.set(type.name, n);
        const found = walk(sel.selectionSet, type);
        if (counted) counts.set(type.name, n - 1);
        path.pop();
        if (found) return found;
      } else if (sel.kind === "InlineFragment") {
        const type = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) ?? parent) : parent;
        const found = walk(sel.selectionSet, type);
        if (found) return found;
      } else {
        const def = fragments.get(sel.name.value);
        if (!def || expanding.has(def.name.value)) continue;
        expanding.add(def.name.value);
        const found = walk(def.selectionSet, schema.getType(def.typeCondition.name.value) ?? parent);
        expanding.delete(def.name.value);
        if (found) return found;
      }
    }
    return null;
  };

  const root = schema.getRootType(operation.operation);
  return root ? walk(operation.selectionSet, root) : null;
}

/**
 * A list's selection costs as many times as the list may hold: `first` where
 * the field takes it, as many as its `ids` (nodes), ASSUMED_LIST_SIZE for any
 * other list. The `nodes` and `edges` of a connection are the page its
 * field's `first` already counted.
 */
const listEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.args.some((a) => a.name === "first")) {
    const first = typeof args.first === "number" && args.first > 0 ? args.first : 1;
    return 1 + childComplexity * first;
  }
  if (Array.isArray(args.ids)) return 1 + childComplexity * Math.max(1, args.ids.length);
  if (!isListType(getNullableType(field.type))) return undefined;
  const inConnection = (isObjectType(type) || isInterfaceType(type)) && "pageInfo" in type.getFields();
  return 1 + childComplexity * (inConnection ? 1 : ASSUMED_LIST_SIZE);
};

/** The arguments listEstimator sizes lists by. */
const SIZE_ARGUMENTS = new Set(["first", "ids"]);

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface CheckedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Estimated cost with this request's variables. */
  cost: number;
}

export interface QueryLimiter {
  readonly limits: QueryLimits;
  /** A client-facing error (BAD_USER_INPUT unless `extensions` say otherwise). */
  error(message: string, extensions?: Record<string, unknown>): GraphQLError;
  /**
   * Depth, alias, field, root-field and cycle limits. Linear in the document
   * (the cycle walk runs once the field limit has bounded it), so it can run
   * BEFORE graphql-js's validation, whose overlapping-fields rule is
   * quadratic in the fields of a selection set.
   */
  shapeErrors(document: DocumentNode): GraphQLError[];
  /**
   * shapeErrors of a query text, for a gate in front of a server that parses
   * and validates on its own (Apollo); remembers the answer for short texts.
   * A text that does not parse passes: the server reports the syntax error.
   */
  shapeErrorsOfText(query: string): GraphQLError[];
  /** The estimated cost of `operation` with its variables, and the error when it is too high; the document must be valid. */
  cost(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): { cost: number; errors: GraphQLError[] };
  /**
   * Everything Apollo does to an HTTP request before execution, for transports
   * without Apollo (graphql-ws, graphql-sse): bounded parse, shape limits,
   * validation, the operation to run, its cost. Errors carry Apollo's codes for the same failures.
   */
  checkOperation(request: OperationRequest): CheckedOperation | GraphQLError[];
}

export function queryLimiter(schema: GraphQLSchema, limits: QueryLimits = QUERY_LIMITS): QueryLimiter {
  const estimators = [fieldExtensionsEstimator(), listEstimator, simpleEstimator({ defaultComplexity: 1 })];

  const error = (message: string, extensions: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extensions } });
  const limitError = (message: string, limit: keyof QueryLimits) => error(message, { limit, max: limits[limit] });
  const coded = (e: GraphQLError, code: string) =>
    new GraphQLError(e.message, {
      ...(e.nodes ? { nodes: e.nodes } : {}),
      ...(e.source ? { source: e.source } : {}),
      ...(e.positions ? { positions: e.positions } : {}),
      extensions: { ...e.extensions, code },
    });

  const shapeErrors = (document: DocumentNode): GraphQLError[] => {
    let fragments: Map<string, FragmentDefinitionNode> | undefined;
    for (const { operation, shape: s } of shapesOf(document)) {
      const op = operation.name ? `operation ${operation.name.value}` : "the operation";
      const errors: GraphQLError[] = [];
      if (s.depth > limits.maxDepth) errors.push(limitError(`${op} is nested ${s.depth} levels deep; at most ${limits.maxDepth} are allowed`, "maxDepth"));
      if (s.aliases > limits.maxAliases) errors.push(limitError(`${op} uses ${s.aliases} aliases; at most ${limits.maxAliases} are allowed`, "maxAliases"));
      if (s.fields > limits.maxFields) errors.push(limitError(`${op} selects ${s.fields} fields; at most ${limits.maxFields} are allowed`, "maxFields"));
      if (s.width > limits.maxRootFields) errors.push(limitError(`${op} has ${s.width} root fields; at most ${limits.maxRootFields} are allowed`, "maxRootFields"));
      if (errors.length > 0) return errors;
      const cycle = cycleOf(schema, (fragments ??= fragmentsOf(document)), operation, limits.maxTypeRepeats);
      if (cycle) {
        return [
          limitError(
            `${op} goes round a cycle: ${cycle.type} appears ${limits.maxTypeRepeats + 1} times along ${cycle.path.join(".")}; at most ${limits.maxTypeRepeats} are allowed (select what you need of it the first time round)`,
            "maxTypeRepeats",
          ),
        ];
      }
    }
    return [];
  };

  const remembered = new Map<string, GraphQLError[]>();
  const shapeErrorsOfText = (query: string): GraphQLError[] => {
    const known = remembered.get(query);
    if (known) return known;
    let errors: GraphQLError[];
    try {
      errors = shapeErrors(parse(query, { maxTokens: limits.maxTokens }));
    } catch {
      errors = [];
    }
    if (query.length <= 20_000) {
      if (remembered.size >= 1000) remembered.clear();
      remembered.set(query, errors);
    }
    return errors;
  };

  // The cost depends on variables only where an estimator reads arguments:
  // `first` and `ids`, any argument of a field with its own complexity, @skip/@include.
  const fieldsPriceArguments = Object.values(schema.getTypeMap()).some(
    (t) => (isObjectType(t) || isInterfaceType(t)) && Object.values(t.getFields()).some((f) => f.extensions?.complexity !== undefined),
  );
  const hasVariable = (v: ValueNode): boolean =>
    v.kind === "Variable" || (v.kind === "ListValue" && v.values.some(hasVariable)) || (v.kind === "ObjectValue" && v.fields.some((f) => hasVariable(f.value)));
  const costDependsOnVariables = (document: DocumentNode): boolean => {
    let depends = false;
    visit(document, {
      Field(node) {
        if (node.arguments?.some((a) => (fieldsPriceArguments || SIZE_ARGUMENTS.has(a.name.value)) && hasVariable(a.value))) depends = true;
      },
      Directive(node) {
        if ((node.name.value === "skip" || node.name.value === "include") && node.arguments?.some((a) => hasVariable(a.value))) depends = true;
      },
    });
    return depends;
  };
  // Apollo hands out the same DocumentNode for the same query text (its document
  // store), so the cost of an operation that no variable can change is computed once.
  type Priced = { cost: number; errors: GraphQLError[] };
  const knownCosts = new WeakMap<DocumentNode, { dependsOnVariables: boolean; byOperation: Map<string, Priced> }>();

  const cost = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): Priced => {
    let known = knownCosts.get(document);
    if (!known) {
      known = { dependsOnVariables: costDependsOnVariables(document), byOperation: new Map() };
      knownCosts.set(document, known);
    }
    const opKey = operation.name?.value ?? "";
    const cached = known.dependsOnVariables ? undefined : known.byOperation.get(opKey);
    if (cached) return cached;
    const priced = price(document, operation, variables);
    // Variables that do not fit their types are this request's own fault: never remembered.
    const variablesRefused = priced.errors.length > 0 && priced.errors[0]!.extensions.limit === undefined;
    if (!known.dependsOnVariables && !variablesRefused) known.byOperation.set(opKey, priced);
    return priced;
  };

  const price = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): Priced => {
    let cost: number;
    try {
      cost = getComplexity({
        schema,
        query: document,
        estimators,
        variables: variables ?? {},
        ...(operation.name ? { operationName: operation.name.value } : {}),
      });
    } catch (err) {
      // Variables that do not fit their types: execution would refuse them the same way.
      if (err instanceof GraphQLError) return { cost: 0, errors: [coded(err, "BAD_USER_INPUT")] };
      throw err;
    }
    if (cost <= limits.maxComplexity) return { cost, errors: [] };
    return {
      cost,
      errors: [
        limitError(
          `the operation's estimated cost is ${cost}; at most ${limits.maxComplexity} is allowed (ask for smaller pages with \`first\`, or fewer nested fields)`,
          "maxComplexity",
        ),
      ],
    };
  };

  const checkOperation = (request: OperationRequest): CheckedOperation | GraphQLError[] => {
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: limits.maxTokens });
    } catch (err) {
      if (err instanceof GraphQLError) return [coded(err, "GRAPHQL_PARSE_FAILED")];
      throw err;
    }
    const shape = shapeErrors(document);
    if (shape.length > 0) return shape;
    const invalid = validate(schema, document);
    if (invalid.length > 0) return invalid.map((e) => coded(e, "GRAPHQL_VALIDATION_FAILED"));
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) {
      return [
        error(
          request.operationName
            ? `no operation named "${request.operationName}" in the document`
            : "the document holds several operations: name the one to run with operationName",
        ),
      ];
    }
    const priced = cost(document, operation, request.variables);
    if (priced.errors.length > 0) return priced.errors;
    return { document, operation, cost: priced.cost };
  };

  return { limits, error, shapeErrors, shapeErrorsOfText, cost, checkOperation };
}
