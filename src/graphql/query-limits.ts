import { createRequire } from "node:module";
import * as graphqlModule from "graphql";
import type { DocumentNode, FragmentDefinitionNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, SelectionSetNode, ValueNode } from "graphql";
import type { ComplexityEstimator } from "graphql-query-complexity";

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
  /** Estimated cost: one per field, a page multiplies its selection by `first`. */
  maxComplexity: number;
}

/**
 * Generous for a shop's dashboards and order systems, small enough that
 * graphql-js's validation (quadratic in the fields of a selection set) and
 * execution stay cheap: products(first: 500) with twenty fields per product fits.
 */
export const QUERY_LIMITS: QueryLimits = {
  maxTokens: 5000,
  maxDepth: 12,
  maxAliases: 30,
  maxFields: 300,
  maxRootFields: 15,
  maxComplexity: 20_000,
};


type GraphQLModule = typeof graphqlModule;
type ComplexityModule = typeof import("graphql-query-complexity");
interface Realm {
  graphql: GraphQLModule;
  complexity: ComplexityModule;
}

// graphql 16 ships a CommonJS build (its `main`) and an ES module build (its
// `module`); each refuses schemas and errors of the other. Node gives
// everything the CommonJS one, but vite-based tools give sources the ES one
// while the libraries (type-graphql, Apollo, graphql-ws) keep the CommonJS one.
// So everything here is done, and every error made, with the graphql of the
// schema at hand, and with the build of graphql-query-complexity that uses it.
const require = createRequire(import.meta.url);
const nodeGraphql = require("graphql") as GraphQLModule;
const realms: Realm[] = [{ graphql: nodeGraphql, complexity: require("graphql-query-complexity") as ComplexityModule }];
if (graphqlModule.GraphQLSchema !== nodeGraphql.GraphQLSchema) {
  realms.push({ graphql: graphqlModule, complexity: await import("graphql-query-complexity") });
}

function realmOf(schema: GraphQLSchema): Realm {
  const realm = realms.find((r) => schema instanceof r.graphql.GraphQLSchema);
  if (!realm) throw new Error("the schema comes from an unknown copy of graphql");
  return realm;
}

/** The copy of graphql a schema was built with: the one whose functions accept it. */
export function graphqlOf(schema: GraphQLSchema): GraphQLModule {
  return realmOf(schema).graphql;
}

interface Shape {
  depth: number;
  fields: number;
  aliases: number;
  /** Fields at this level, fragments expanded: at the root, the root fields. */
  width: number;
}

const EMPTY: Shape = { depth: 0, fields: 0, aliases: 0, width: 0 };

/** Depth, fields, aliases and root fields of each operation; linear (each fragment is measured once, cycles count as nothing). */
function shapesOf(document: DocumentNode): Array<{ operation: OperationDefinitionNode; shape: Shape }> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === "FragmentDefinition") fragments.set(d.name.value, d);
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

/** A field with a `first` argument returns up to `first` items: its selection costs that many times. */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((a) => a.name === "first")) return undefined;
  const first = typeof args.first === "number" && args.first > 0 ? args.first : 1;
  return 1 + childComplexity * first;
};

export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface QueryLimiter {
  readonly limits: QueryLimits;
  /** A client-facing error (BAD_USER_INPUT unless `extensions` say otherwise), of the schema's graphql. */
  error(message: string, extensions?: Record<string, unknown>): GraphQLError;
  /**
   * Depth, alias, field and root-field limits. Linear in the document, so it
   * can run BEFORE graphql-js's validation, whose overlapping-fields rule is
   * quadratic in the fields of a selection set.
   */
  shapeErrors(document: DocumentNode): GraphQLError[];
  /**
   * shapeErrors of a query text, for a gate in front of a server that parses
   * and validates on its own (Apollo); remembers the answer for short texts.
   * A text that does not parse passes: the server reports the syntax error.
   */
  shapeErrorsOfText(query: string): GraphQLError[];
  /** The estimated cost of `operation` with its variables; the document must be valid. */
  complexityErrors(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): GraphQLError[];
  /**
   * Everything Apollo does to an HTTP request before execution, for transports
   * without Apollo (graphql-ws): bounded parse, shape limits, validation, the
   * operation to run, its cost. Errors carry Apollo's codes for the same failures.
   */
  checkOperation(request: OperationRequest): { document: DocumentNode; operation: OperationDefinitionNode } | GraphQLError[];
}

export function queryLimiter(schema: GraphQLSchema, limits: QueryLimits = QUERY_LIMITS): QueryLimiter {
  const { graphql, complexity } = realmOf(schema);
  const estimators = [complexity.fieldExtensionsEstimator(), pageEstimator, complexity.simpleEstimator({ defaultComplexity: 1 })];

  const error = (message: string, extensions: Record<string, unknown> = {}) =>
    new graphql.GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extensions } });
  const limitError = (message: string, limit: keyof QueryLimits) => error(message, { limit, max: limits[limit] });
  const coded = (e: GraphQLError, code: string) =>
    new graphql.GraphQLError(e.message, {
      ...(e.nodes ? { nodes: e.nodes } : {}),
      ...(e.source ? { source: e.source } : {}),
      ...(e.positions ? { positions: e.positions } : {}),
      extensions: { ...e.extensions, code },
    });

  const shapeErrors = (document: DocumentNode): GraphQLError[] => {
    for (const { operation, shape: s } of shapesOf(document)) {
      const op = operation.name ? `operation ${operation.name.value}` : "the operation";
      const errors: GraphQLError[] = [];
      if (s.depth > limits.maxDepth) errors.push(limitError(`${op} is nested ${s.depth} levels deep; at most ${limits.maxDepth} are allowed`, "maxDepth"));
      if (s.aliases > limits.maxAliases) errors.push(limitError(`${op} uses ${s.aliases} aliases; at most ${limits.maxAliases} are allowed`, "maxAliases"));
      if (s.fields > limits.maxFields) errors.push(limitError(`${op} selects ${s.fields} fields; at most ${limits.maxFields} are allowed`, "maxFields"));
      if (s.width > limits.maxRootFields) errors.push(limitError(`${op} has ${s.width} root fields; at most ${limits.maxRootFields} are allowed`, "maxRootFields"));
      if (errors.length > 0) return errors;
    }
    return [];
  };

  const remembered = new Map<string, GraphQLError[]>();
  const shapeErrorsOfText = (query: string): GraphQLError[] => {
    const known = remembered.get(query);
    if (known) return known;
    let errors: GraphQLError[];
    try {
      errors = shapeErrors(graphql.parse(query, { maxTokens: limits.maxTokens }));
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
  // `first`, any argument of a field with its own complexity, @skip/@include.
  const fieldsPriceArguments = Object.values(schema.getTypeMap()).some(
    (t) => (graphql.isObjectType(t) || graphql.isInterfaceType(t)) && Object.values(t.getFields()).some((f) => f.extensions?.complexity !== undefined),
  );
  const hasVariable = (v: ValueNode): boolean =>
    v.kind === "Variable" || (v.kind === "ListValue" && v.values.some(hasVariable)) || (v.kind === "ObjectValue" && v.fields.some((f) => hasVariable(f.value)));
  const costDependsOnVariables = (document: DocumentNode): boolean => {
    let depends = false;
    graphql.visit(document, {
      Field(node) {
        if (node.arguments?.some((a) => (fieldsPriceArguments || a.name.value === "first") && hasVariable(a.value))) depends = true;
      },
      Directive(node) {
        if ((node.name.value === "skip" || node.name.value === "include") && node.arguments?.some((a) => hasVariable(a.value))) depends = true;
      },
    });
    return depends;
  };
  // Apollo hands out the same DocumentNode for the same query text (its document
  // store), so the cost of an operation that no variable can change is computed once.
  const knownCosts = new WeakMap<DocumentNode, { dependsOnVariables: boolean; errors: Map<string, GraphQLError[]> }>();

  const complexityErrors = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined) => {
    let known = knownCosts.get(document);
    if (!known) {
      known = { dependsOnVariables: costDependsOnVariables(document), errors: new Map() };
      knownCosts.set(document, known);
    }
    const opKey = operation.name?.value ?? "";
    const cached = known.dependsOnVariables ? undefined : known.errors.get(opKey);
    if (cached) return cached;
    const errors = costErrors(document, operation, variables);
    // Variables that do not fit their types are this request's own fault: never remembered.
    const variablesRefused = errors.length > 0 && errors[0]!.extensions.limit === undefined;
    if (!known.dependsOnVariables && !variablesRefused) known.errors.set(opKey, errors);
    return errors;
  };

  const costErrors = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined) => {
    let cost: number;
    try {
      cost = complexity.getComplexity({
        schema,
        query: document,
        estimators,
        variables: variables ?? {},
        ...(operation.name ? { operationName: operation.name.value } : {}),
      });
    } catch (err) {
      // Variables that do not fit their types: execution would refuse them the same way.
      if (err instanceof graphql.GraphQLError) return [coded(err, "BAD_USER_INPUT")];
      throw err;
    }
    if (cost <= limits.maxComplexity) return [];
    return [
      limitError(
        `the operation's estimated cost is ${cost}; at most ${limits.maxComplexity} is allowed (ask for smaller pages with \`first\`, or fewer nested fields)`,
        "maxComplexity",
      ),
    ];
  };

  const checkOperation = (request: OperationRequest) => {
    let document: DocumentNode;
    try {
      document = graphql.parse(request.query, { maxTokens: limits.maxTokens });
    } catch (err) {
      if (err instanceof graphql.GraphQLError) return [coded(err, "GRAPHQL_PARSE_FAILED")];
      throw err;
    }
    const shape = shapeErrors(document);
    if (shape.length > 0) return shape;
    const invalid = graphql.validate(schema, document);
    if (invalid.length > 0) return invalid.map((e) => coded(e, "GRAPHQL_VALIDATION_FAILED"));
    const operation = graphql.getOperationAST(document, request.operationName ?? undefined);
    if (!operation) {
      return [
        error(
          request.operationName
            ? `no operation named "${request.operationName}" in the document`
            : "the document holds several operations: name the one to run with operationName",
        ),
      ];
    }
    const cost = complexityErrors(document, operation, request.variables);
    if (cost.length > 0) return cost;
    return { document, operation };
  };

  return { limits, error, shapeErrors, shapeErrorsOfText, complexityErrors, checkOperation };
}
