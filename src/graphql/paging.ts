import { ArgsType, type ClassType, Field, Int } from "type-graphql";

/** Page sizes when a client gives no `first`: the ledger's lists page by 50, everything else by 20. */
export const PAGE_SIZE = { default: 20, ledger: 50 } as const;

/** `first` and `after` of a Relay connection, with the given default page size. */
export function pageArgs(defaultFirst: number): ClassType<{ first: number; after?: string | null }> {
  @ArgsType()
  class Page {
    @Field(() => Int, { nullable: true, defaultValue: defaultFirst, description: `How many to return (1-500; default ${defaultFirst}).` })
    first!: number;

    @Field(() => String, { nullable: true, description: "The endCursor of the page before." })
    after?: string | null;
  }
  return Page;
}

@ArgsType()
export class PageArgs extends pageArgs(PAGE_SIZE.default) {}

/** Pages of 50 without an order to choose: lowStockLevelConnection's. */
@ArgsType()
export class LongPageArgs extends pageArgs(PAGE_SIZE.ledger) {}

@ArgsType()
export class MovementPageArgs extends pageArgs(PAGE_SIZE.default) {
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Newest first instead of sequence order." })
  newestFirst?: boolean;
}

@ArgsType()
export class LedgerPageArgs extends pageArgs(PAGE_SIZE.ledger) {
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Newest first instead of sequence order." })
  newestFirst?: boolean;
}
