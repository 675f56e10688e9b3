import { NODE_ACCESS, type NodeTypeName } from "./access-rules.js";
import { requireAccess } from "./auth.js";
import type { Context } from "./context.js";
import { MAX_SERIAL_ID } from "./cursors.js";
import { parseGlobalId } from "./global-id.js";
import type { Loaders } from "./loaders.js";
import { alertOf } from "./subscriptions.js";
import { NODE_TYPE } from "./types/node.type.js";
import { InputRejected } from "../stock/stock.errors.js";

interface NodeLoader {
  /** The largest row id of the type's table (int4 serial or bigint), so a larger one is refused before any SQL. */
  maxRowId: number;
  /** The object by its row id, or null when there is none; through the request's loaders (one statement per type). */
  load(loaders: Loaders, rowId: number): Promise<object | null>;
}

const serial = (load: NodeLoader["load"]): NodeLoader => ({ maxRowId: MAX_SERIAL_ID, load });
const bigint = (load: NodeLoader["load"]): NodeLoader => ({ maxRowId: Number.MAX_SAFE_INTEGER, load });

/** How node(id) fetches each Node type; NODE_ACCESS says who may. */
export const NODE_LOADERS: Record<NodeTypeName, NodeLoader> = {
  Product: serial((l, id) => l.product.load(id)),
  Warehouse: serial((l, id) => l.warehouse.load(id)),
  StockLevel: serial((l, id) => l.level.load(id)),
  StockSummary: serial(async (l, id) => ((await l.product.load(id)) ? l.summary.load(id) : null)),
  Lot: serial((l, id) => l.lot.load(id)),
  Reservation: bigint((l, id) => l.reservation.load(id)),
  StockMovement: bigint((l, id) => l.movement.load(id)),
  StockAlert: bigint(async (l, id) => {
    const alert = await l.alert.load(id);
    return alert && alertOf(alert);
  }),
  Transfer: bigint((l, id) => l.transfer.load(id)),
  ApiKey: serial((l, id) => l.apiKey.load(id)),
};

/** How many ids one nodes(ids) takes: as many as lines in a request. */
export const MAX_NODE_IDS = 100;

const maxRowIdOf = (type: string) => (Object.hasOwn(NODE_LOADERS, type) ? NODE_LOADERS[type as NodeTypeName].maxRowId : undefined);

/**
 * The object a global id names, or null when it names none (any more). A
 * malformed or foreign id is BAD_USER_INPUT; a type the caller may not read
 * is refused from the id alone, before anything is read, so the answer never
 * tells whether such an object exists.
 */
export async function fetchNode(ctx: Context, id: unknown, field = "id"): Promise<object | null> {
  const { type, rowId } = parseGlobalId(id, maxRowIdOf, field);
  const name = type as NodeTypeName;
  // node and nodes are @Authorized("PUBLIC"), which already applied PUBLIC_READ: here only the type's own rule is left.
  requireAccess(ctx.principal?.role ?? null, NODE_ACCESS[name], true, `read ${name} objects by id`);
  const found = await NODE_LOADERS[name].load(ctx.loaders, rowId);
  return found && { ...found, [NODE_TYPE]: name };
}

/** nodes(ids): each id on its own (an unknown one is null, a refused one an error at its index), in the order given. */
export function fetchNodes(ctx: Context, ids: readonly unknown[]): Promise<object | null>[] {
  if (ids.length > MAX_NODE_IDS) throw new InputRejected(`ids takes at most ${MAX_NODE_IDS} ids`, "ids");
  return ids.map((id, i) => fetchNode(ctx, id, `ids[${i}]`));
}
