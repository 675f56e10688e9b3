import { GraphQLScalarType } from "graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { type ClassType, Field, Int, ObjectType } from "type-graphql";
import { StockErrorCode } from "./enums.js";

/** graphql-scalars' DateTime (RFC 3339, UTC), naming the specification it follows (@specifiedBy). */
export const DateTime = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  specifiedByURL: "https://scalars.graphql.org/andimarek/date-time.html",
});

@ObjectType({ description: "Where a page of a connection stands (Relay's PageInfo). Pages go forward: `first` and `after`." })
export class PageInfo {
  @Field(() => Boolean, { description: "More items follow: ask again with `after: endCursor`." })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "The cursor of the page's last item; null when the page is empty." })
  endCursor!: string | null;

  @Field(() => Boolean, {
    description: "Items come before this page: it was asked for with `after`. Paging goes forward only, so this is false on the first page.",
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The cursor of the page's first item; null when the page is empty." })
  startCursor!: string | null;
}

@ObjectType({ description: "A business rule said no. Nothing was changed by the mutation that returned it." })
export class StockError {
  @Field(() => StockErrorCode, { description: "Which rule said no: stable, for programs to switch on." })
  code!: StockErrorCode;

  @Field(() => String, { description: "What happened, for people: its wording may change." })
  message!: string;

  @Field(() => String, { nullable: true, description: "The sku the refusal is about, when it is about one." })
  sku?: string | null;

  @Field(() => String, { nullable: true, description: "The warehouse code the refusal is about, when it is about one." })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true, description: "INSUFFICIENT_STOCK: how many were asked for." })
  requested?: number | null;

  @Field(() => Int, { nullable: true, description: "INSUFFICIENT_STOCK: how many were available." })
  available?: number | null;

  @Field(() => Int, { nullable: true, description: "VERSION_CONFLICT: the level's version now; read it again and retry with it." })
  currentVersion?: number | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
}

/** A Relay-style connection type (`<Name>Connection` with `<Name>Edge`) over `Node`. */
export function Connection<TNode extends object>(Node: ClassType<TNode>, name: string) {
  @ObjectType(`${name}Edge`, { description: `One ${name} of a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: "Pass it as `after` to get what follows this item." })
    cursor!: string;

    @Field(() => Node, { description: "The item." })
    node!: TNode;
  }

  @ObjectType()
  abstract class ConnectionType {
    @Field(() => [Edge], { description: "The page's items with their cursors." })
    edges!: Edge[];

    @Field(() => [Node], { description: "The page's items." })
    nodes!: TNode[];

    @Field(() => PageInfo, { description: "Whether more follow, and the cursor to get them." })
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}
