import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FragmentDefinitionNode,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type OperationDefinitionNode,
  print,
  type SelectionSetNode,
  visit,
} from "graphql";
import { mapStream } from "../events/streams.js";

/** What an operation's result depends on besides its variables: its selections, and the variables they use. */
interface Form {
  text: string;
  /** Names of the variables the operation (with its fragments) refers to, sorted. */
  uses: string[];
}

const forms = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Form>>();

function formOf(document: DocumentNode, operation: OperationDefinitionNode): Form {
  let byOperation = forms.get(document);
  if (!byOperation) forms.set(document, (byOperation = new Map()));
  let form = byOperation.get(operation);
  if (form) return form;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === "FragmentDefinition") fragments.set(d.name.value, d);
  const uses = new Set<string>();
  const spread = new Set<string>();
  const collect = (set: SelectionSetNode) =>
    visit(set, {
      Variable: (node) => void uses.add(node.name.value),
      FragmentSpread: (node) => {
        const def = fragments.get(node.name.value);
        if (!def || spread.has(def.name.value)) return;
        spread.add(def.name.value);
        collect(def.selectionSet);
      },
    });
  collect(operation.selectionSet);
  // Printed without the operation's name and variable definitions: neither changes a result.
  const parts = [operation.operation, print(operation.selectionSet), ...[...spread].sort().map((name) => print(fragments.get(name)!))];
  form = { text: parts.join("\n"), uses: [...uses].sort() };
  byOperation.set(operation, form);
  return form;
}

/**
 * The key under which subscribers share each event's execution: `scope`
 * (whatever in the context the resolvers look at, such as the caller's role),
 * the operation's selections, and the coerced values of the variables it
 * uses. A variable sent along that the operation does not declare (graphql
 * ignores it), or declares without using, does not split sharing; nor do two
 * spellings of one value ("5" and 5 for an ID, a single item and a list of it). Variables that do not fit
 * their declarations are the errors graphql's subscribe would answer.
 */
export function sharingKey(args: ExecutionArgs, scope: string): string | readonly GraphQLError[] {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return [new GraphQLError("no operation to run in the document (name it with operationName)")];
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
  if (coerced.errors) return coerced.errors;
  const form = formOf(args.document, operation);
  // A variable left out is not one given as null: an argument's default applies only to the first.
  const values = form.uses.filter((name) => name in coerced.coerced).map((name) => [name, coerced.coerced[name]]);
  return `${scope}\n${form.text}\n${JSON.stringify(values)}`;
}

export interface SharedSubscribeOptions {
  /** The sharing scope of a subscriber (see sharingKey). */
  scopeOf: (args: ExecutionArgs) => string;
  /** The context one event's execution runs with (e.g. with an execution budget of its own), from the subscriber's. */
  eventContext?: (contextValue: unknown) => unknown;
  /** The result subscribers get of one event's execution (e.g. one error in place of a partial answer). */
  eventResult?: (result: ExecutionResult, contextValue: unknown) => ExecutionResult;
}

/**
 * graphql's `subscribe`, except that subscribers who would get the same
 * result for an event get the result of one execution. A dashboard screen
 * opened by many people, or a product page open in many tabs, then costs one
 * execution per event (and one load of what it selects), not one per subscriber.
 *
 * Two subscribers share when their source streams yield the same object for
 * an event (the hub hands every subscriber the same one; see subscriptions.ts)
 * and sharingKey gives them the same key.
 */
export function sharedSubscribe(opts: SharedSubscribeOptions) {
  const results = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();
  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const key = sharingKey(args, opts.scopeOf(args));
    if (typeof key !== "string") return { errors: key };
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const run = async (event: unknown) => {
      const contextValue = opts.eventContext ? opts.eventContext(args.contextValue) : args.contextValue;
      const result = await execute({ ...args, rootValue: event, contextValue });
      return opts.eventResult ? opts.eventResult(result, contextValue) : result;
    };
    return mapStream(stream[Symbol.asyncIterator](), (event) => {
      if (typeof event !== "object" || event === null) return run(event);
      let byKey = results.get(event);
      if (!byKey) results.set(event, (byKey = new Map()));
      let result = byKey.get(key);
      if (!result) byKey.set(key, (result = run(event)));
      return result;
    });
  };
}
