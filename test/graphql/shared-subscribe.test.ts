import { Repeater } from "@repeaterjs/repeater";
import { GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { sharedSubscribe } from "../../src/graphql/shared-subscribe.js";

// A schema of its own: a `tick` subscription whose field resolver counts how often it runs.
function fixture() {
  let executions = 0;
  const feeds = new Set<(event: { n: number }) => void>();
  const Tick = new GraphQLObjectType({
    name: "Tick",
    fields: {
      n: { type: GraphQLInt },
      label: {
        type: GraphQLString,
        args: { prefix: { type: GraphQLString } },
        resolve: (event: { n: number }, args: { prefix?: string }, ctx: { role: string }) => {
          executions++;
          return `${args.prefix ?? ""}${event.n} for ${ctx.role}`;
        },
      },
      tagged: {
        type: GraphQLString,
        args: { tags: { type: new GraphQLList(GraphQLString) } },
        resolve: (event: { n: number }, args: { tags?: string[] }) => {
          executions++;
          return `${event.n} ${(args.tags ?? []).join(",")}`;
        },
      },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        tick: {
          type: Tick,
          subscribe: () =>
            new Repeater<{ n: number }>(async (push, stop) => {
              const feed = (e: { n: number }) => void push(e);
              feeds.add(feed);
              await stop;
              feeds.delete(feed);
            }),
          resolve: (event: unknown) => event,
        },
      },
    }),
  });
  const subscribe = sharedSubscribe({ scopeOf: (args) => (args.contextValue as { role: string }).role });
  const open = async (query: string, role: string, variableValues: Record<string, unknown> = {}) =>
    (await subscribe({ schema, document: parse(query), contextValue: { role }, variableValues })) as AsyncIterableIterator<ExecutionResult>;
  return { open, emit: (e: { n: number }) => feeds.forEach((f) => f(e)), feeds, executions: () => executions };
}

const Q = `subscription($p: String) { tick { n label(prefix: $p) } }`;

describe("shared subscription execution", () => {
  it("runs once per event for subscribers with the same operation, variables and role, and apart for the others", async () => {
    const f = fixture();
    const a = await f.open(Q, "VIEWER", { p: "#" });
    const b = await f.open(Q, "VIEWER", { p: "#" });
    const c = await f.open(Q, "VIEWER", { p: "no " });
    const d = await f.open(Q, "ADMIN", { p: "#" });
    const nexts = [a, b, c, d].map((s) => s.next());
    await new Promise((r) => setTimeout(r, 0));
    expect(f.feeds.size).toBe(4);
    f.emit({ n: 1 });
    const [ra, rb, rc, rd] = await Promise.all(nexts);
    expect(ra!.value).toEqual({ data: { tick: { n: 1, label: "#1 for VIEWER" } } });
    expect(rb!.value).toBe(ra!.value);
    expect(rc!.value).toEqual({ data: { tick: { n: 1, label: "no 1 for VIEWER" } } });
    expect(rd!.value).toEqual({ data: { tick: { n: 1, label: "#1 for ADMIN" } } });
    expect(f.executions()).toBe(3);

    // One subscriber leaving, while its next() waits, ends only its own stream.
    const pending = [a.next(), b.next()];
    await a.return!();
    expect(await pending[0]).toEqual({ done: true, value: undefined });
    expect(f.feeds.size).toBe(3);
    f.emit({ n: 2 });
    expect((await pending[1])!.value).toEqual({ data: { tick: { n: 2, label: "#2 for VIEWER" } } });
    await Promise.all([b, c, d].map((s) => s.return!()));
    expect(f.feeds.size).toBe(0);
  });

  it("does not share between two events that are equal but not the same", async () => {
    const f = fixture();
    const a = await f.open(Q, "VIEWER");
    const b = await f.open(Q, "VIEWER");
    const nexts = [a.next(), b.next()];
    await new Promise((r) => setTimeout(r, 0));
    for (const feed of f.feeds) feed({ n: 7 });
    const [ra, rb] = await Promise.all(nexts);
    expect(ra!.value).toEqual(rb!.value);
    expect(ra!.value).not.toBe(rb!.value);
    expect(f.executions()).toBe(2);
  });

  it("shares whatever variables the operation declares but does not use, or does not declare, and values that coerce alike", async () => {
    const f = fixture();
    // As in the attack on it: each subscriber with a variable of its own that changes nothing.
    const unused = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        f.open(`subscription($p: String, $u${i}: Int) { tick { n label(prefix: $p) } }`, "VIEWER", { p: "#", [`u${i}`]: i, extra: `x${i}` }),
      ),
    );
    const plain = await f.open(Q, "VIEWER", { p: "#" });
    // One value and a list of it are the same [String] once coerced.
    const one = await f.open(`subscription($t: [String]) { tick { tagged(tags: $t) } }`, "VIEWER", { t: "a" });
    const list = await f.open(`subscription($t: [String]) { tick { tagged(tags: $t) } }`, "VIEWER", { t: ["a"] });
    const all = [...unused, plain, one, list];
    const nexts = all.map((s) => s.next());
    await new Promise((r) => setTimeout(r, 0));
    f.emit({ n: 3 });
    const results = await Promise.all(nexts);
    for (const r of results.slice(0, 21)) expect(r.value).toBe(results[0]!.value);
    expect(results[0]!.value).toEqual({ data: { tick: { n: 3, label: "#3 for VIEWER" } } });
    expect(results[21]!.value).toBe(results[22]!.value);
    expect(results[21]!.value).toEqual({ data: { tick: { tagged: "3 a" } } });
    expect(f.executions(), "one execution per distinct operation and used values").toBe(2);
    await Promise.all(all.map((s) => s.return!()));
  });

  it("tells a variable left out from one given as null", async () => {
    const f = fixture();
    const absent = await f.open(`subscription($t: [String]) { tick { tagged(tags: $t) } }`, "VIEWER", {});
    const nulled = await f.open(`subscription($t: [String]) { tick { tagged(tags: $t) } }`, "VIEWER", { t: null });
    const nexts = [absent.next(), nulled.next()];
    await new Promise((r) => setTimeout(r, 0));
    f.emit({ n: 1 });
    await Promise.all(nexts);
    expect(f.executions()).toBe(2);
    await Promise.all([absent, nulled].map((s) => s.return!()));
  });

  it("refuses variables that do not fit their declarations, as graphql's subscribe does", async () => {
    const f = fixture();
    const r = (await f.open(`subscription($p: Int) { tick { n } }`, "VIEWER", { p: "seven" })) as unknown as ExecutionResult;
    expect(r.errors?.[0]?.message).toMatch(/\$p/);
    expect(f.feeds.size).toBe(0);
  });

  it("returns the errors of a subscription that cannot start, as graphql's subscribe does", async () => {
    const f = fixture();
    const r = (await f.open(`subscription { nope }`, "VIEWER")) as unknown as ExecutionResult;
    expect(r.errors?.[0]?.message).toMatch(/nope/);
  });
});
