import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute, print } from "graphql";
import { mapStream } from "../events/streams.js";

/**
 * graphql's `subscribe`, except that subscribers who would get the same
 * result for an event get the result of one execution. A dashboard screen
 * opened by many people, or a product page open in many tabs, then costs one
 * execution per event (and one load of what it selects), not one per subscriber.
 *
 * Two subscribers share when their source streams yield the same object for
 * an event (the hub hands every subscriber the same one; see subscriptions.ts)
 * and `keyOf` gives them the same key: the key must cover whatever the result
 * depends on besides the event (the operation, its variables, and whatever in
 * the context the resolvers look at, such as the caller's role).
 */
export function sharedSubscribe(keyOf: (args: ExecutionArgs) => string) {
  const results = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();
  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const key = `${keyOf(args)}\n${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;
    const run = (event: unknown) => execute({ ...args, rootValue: event });
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
