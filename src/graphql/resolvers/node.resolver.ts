import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../context.js";
import { globalId } from "../global-id.js";
import { fetchNode, fetchNodes, MAX_NODE_IDS } from "../nodes.js";
import { Node } from "../types/node.type.js";

@Resolver(() => Node)
export class NodeResolver {
  @Authorized("PUBLIC")
  @Query(() => Node, {
    nullable: true,
    description:
      "The object with this id, of any type; null when none has it (any more). An id this service never handed out is BAD_USER_INPUT; a type the caller may not read is UNAUTHENTICATED or FORBIDDEN, as for the fields that return it.",
  })
  node(@Arg("id", () => ID, { description: "The `id` of an object this service returned." }) id: string, @Ctx() ctx: Context) {
    return fetchNode(ctx, id);
  }

  @Authorized("PUBLIC")
  @Query(() => [Node], {
    nullable: "items",
    description: `The objects with these ids, in the same order: null where none has it; an error at its index where node(id) would refuse it. At most ${MAX_NODE_IDS} ids; one database read per type, however many.`,
  })
  nodes(@Arg("ids", () => [ID], { description: `Ids of objects this service returned (at most ${MAX_NODE_IDS}).` }) ids: string[], @Ctx() ctx: Context) {
    return fetchNodes(ctx, ids);
  }

  @FieldResolver(() => ID)
  id(@Root() row: Node, @Info() info: GraphQLResolveInfo) {
    return globalId(info.parentType.name, row.id);
  }
}
