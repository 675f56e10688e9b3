import { GraphQLDateTime } from "graphql-scalars";
import { type ClassType, Field, Int, ObjectType } from "type-graphql";
import { StockErrorCode } from "./enums.js";

export const DateTime = GraphQLDateTime;

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: "A business rule said no. Nothing was changed by the mutation that returned it." })
export class StockError {
  @Field(() => StockErrorCode)
  code!: StockErrorCode;

  @Field(() => String)
  message!: string;

  @Field(() => String, { nullable: true })
  sku?: string | null;

  @Field(() => String, { nullable: true })
  warehouse?: string | null;

  @Field(() => Int, { nullable: true })
  requested?: number | null;

  @Field(() => Int, { nullable: true })
  available?: number | null;

  @Field(() => Int, { nullable: true })
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
