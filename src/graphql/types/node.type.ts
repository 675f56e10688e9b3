import { Field, ID, InterfaceType } from "type-graphql";

/** Set on what node/nodes return: which object type it is (the rows themselves do not say). */
export const NODE_TYPE = Symbol("nodeType");

/**
 * Relay's Node. An object type implements it with `implements: Node` (and no
 * `id` field of its own): its `id` is then the global id of the row's `id`
 * (node.resolver.ts). node(id) also needs a line in NODE_ACCESS and NODE_LOADERS.
 */
@InterfaceType({
  description:
    "An object with a globally unique, opaque id: fetch it again with node(id) or nodes(ids), and use id as its cache key (Apollo Client, urql, Relay).",
  resolveType: (value) => (value as { [NODE_TYPE]?: string })[NODE_TYPE],
})
export abstract class Node {
  /** The row's own id; the field is its global id. */
  @Field(() => ID, { description: "Globally unique and opaque: the same object always has the same id, and no two objects share one." })
  id!: number;
}
