import { defaultFieldResolver, type ExecutionResult, GraphQLError, type GraphQLResolveInfo, type GraphQLSchema, isObjectType } from "graphql";

/** How much one query (or one subscription event) may do once it runs. */
export interface ExecutionLimits {
  /** Past this, every field still to resolve fails and the answer is one error. */
  maxExecutionMs: number;
  /** The answer's size, estimated as it is built: field names and the values of leaves. */
  maxResponseBytes: number;
}

/**
 * One request's allowance, checked at every field. The cost limit refuses
 * what is visibly too big before anything runs; this stops what turns out
 * too big while running (far more rows than the cost assumed, a slow
 * database), so one request cannot hold the process. Mutations are never
 * cut short: their change is made by the root field, and an answer that hid
 * a committed change would invite the client to make it twice.
 */
export class ExecutionBudget {
  private readonly deadline: number;
  private bytes = 0;
  /** Why this execution was stopped, once it has been. */
  stopped: GraphQLError | null = null;

  constructor(private readonly limits: ExecutionLimits) {
    this.deadline = Date.now() + limits.maxExecutionMs;
  }

  /** Before a field resolves: false once the request is over its allowance (then `stopped` says why). */
  enter(info: GraphQLResolveInfo): boolean {
    if (this.stopped) return false;
    this.bytes += info.fieldName.length + 4;
    if (this.bytes > this.limits.maxResponseBytes) {
      this.stop(`the answer grew past ${this.limits.maxResponseBytes} bytes and was stopped; ask for less (smaller pages, fewer fields)`, "maxResponseBytes");
    } else if (Date.now() > this.deadline) {
      this.stop(`the request ran longer than ${this.limits.maxExecutionMs} ms and was stopped; ask for less (smaller pages, fewer fields)`, "maxExecutionMs");
    }
    return !this.stopped;
  }

  /** A resolved leaf's share of the answer. */
  leaf(value: unknown): void {
    this.bytes += typeof value === "string" ? value.length + 2 : 8;
  }

  private stop(message: string, limit: keyof ExecutionLimits): void {
    this.stopped = new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", limit, max: this.limits[limit] } });
  }
}

/** Whatever carries a request's budget (the GraphQL context). */
interface Budgeted {
  budget?: ExecutionBudget;
}

/**
 * Makes every field of `schema` check the budget in its context (if any)
 * before it resolves. Done once, to the built schema, so every transport
 * (Apollo over HTTP, graphql-ws, graphql-sse) gets it.
 */
export function enforceExecutionBudgets(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: Budgeted | undefined, info) => {
        const budget = context?.budget;
        if (!budget || info.operation.operation === "mutation") return resolve(source, args, context, info);
        // A stopped field answers with a rejected promise, never a throw:
        // graphql-js 16 abandons the promises of a list's earlier items when
        // a later item throws synchronously in a non-null position, and their
        // rejections would go unheard (an unhandled rejection ends Node).
        if (!budget.enter(info)) return Promise.reject(budget.stopped);
        const value = resolve(source, args, context, info);
        if (value === null || typeof value !== "object") budget.leaf(value);
        return value;
      };
    }
  }
}

/** The result a client gets: one clear error in place of a partial answer when the budget stopped the execution. */
export function withinBudget<R extends ExecutionResult>(result: R, budget: ExecutionBudget | undefined): R | ExecutionResult {
  return budget?.stopped ? { errors: [budget.stopped] } : result;
}
