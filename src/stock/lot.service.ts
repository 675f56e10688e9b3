import { sql } from "drizzle-orm";
import { expiringLotsPage, type LotRow, lotsDue } from "../db/lot.queries.js";
import { insertAlerts } from "../db/stock.queries.js";
import type { Catalog } from "./catalog.js";
import type { Ledger } from "./ledger.js";
import * as limit from "./limits.js";
import { addDays } from "./lot-plan.js";
import { StockRefusal } from "./stock.errors.js";
import type { Actor, Change } from "./types.js";
import type { UnitOfWork } from "./unit-of-work.js";

const SWEEP_BATCH = 500;

/** Today in UTC, YYYY-MM-DD: what is past its sellBy. */
export const todayUtc = () => new Date().toISOString().slice(0, 10);

/**
 * Lots' expiry: the morning check (expiringLots) and the sweep that runs on
 * every instance. A lot past its sellBy becomes EXPIRED through the ledger
 * (a LOT_EXPIRY movement under the level's lock: its unreserved stock turns
 * unsellable, LOT_EXPIRED fires once, what orders hold stays theirs); a lot
 * entering the warning window raises LOT_EXPIRING once (a guarded flag).
 * Two sweepers meeting on a lot: the second finds it done and does nothing.
 */
export class LotService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: Catalog,
    private readonly ledger: Ledger,
    private readonly warningDays: number,
    private readonly today: () => string = todayUtc,
  ) {}

  /** ACTIVE lots in stock whose sellBy falls within `withinDays`, soonest first. */
  async expiring(withinDays: number, warehouse: string | null | undefined, first: number, afterId: number | null): Promise<LotRow[]> {
    const days = limit.days(withinDays, "withinDays");
    const warehouseId = warehouse == null ? null : (await this.catalog.warehouse(limit.warehouseCode(warehouse))).id;
    return expiringLotsPage(this.uow.database.db, addDays(this.today(), days), warehouseId, limit.first(first), afterId);
  }

  /** One pass: expires what is past its sellBy, warns of what enters the window. Returns how many lots of each. */
  async sweep(actor: Actor): Promise<{ expired: number; warned: number }> {
    const today = this.today();
    const due = await lotsDue(this.uow.database.db, today, addDays(today, this.warningDays), SWEEP_BATCH);
    let expired = 0;
    const past = due.filter((l) => l.sellBy !== null && l.sellBy < today);
    for (const lots of groupBy(past, (l) => l.levelId)) expired += await this.expire(lots, actor);
    const warn = due.filter((l) => !past.includes(l) && !l.expiringAlerted);
    const warned = warn.length > 0 ? await this.warn(warn.map((l) => l.id)) : 0;
    return { expired, warned };
  }

  /** Expires lots of one level through the ledger; 0 when another sweeper got there first. */
  private async expire(lots: Array<LotRow & { warehouseCode: string }>, actor: Actor): Promise<number> {
    const first = lots[0]!;
    const product = await this.catalog.productById(first.productId);
    const change: Change = {
      productId: first.productId,
      sku: product.sku,
      warehouseId: first.warehouseId,
      warehouseCode: first.warehouseCode,
      levelId: first.levelId,
      type: "LOT_EXPIRY",
      onHandDelta: 0,
      reservedDelta: 0,
      requested: 0,
      reason: `lots past their sell-by date: ${lots.map((l) => l.code).join(", ")}`,
      lots: { kind: "expire", codes: lots.map((l) => l.code) },
    };
    try {
      const applied = await this.uow.run((tx, commit) => this.ledger.apply(tx, [change], { actor, commit }));
      return applied.alerts.filter((a) => a.kind === "LOT_EXPIRED").length;
    } catch (err) {
      if (err instanceof StockRefusal && err.code === "INVALID_STATE") return 0;
      throw err;
    }
  }

  /**
   * LOT_EXPIRING once per lot: the flag is set by one guarded UPDATE whose
   * rows then get their alert, in one transaction.
   */
  private async warn(lotIds: number[]): Promise<number> {
    return this.uow.run(async (tx) => {
      const rows = await this.uow.database.rows<{
        id: number;
        levelId: number;
        warehouseId: number;
        threshold: number;
        available: number;
      }>(
        sql`
          with flagged as (
            update stock_lots set expiring_alerted = true
             where id = any(${sql.param(lotIds)}) and not expiring_alerted and expired_at is null
            returning id, level_id, warehouse_id)
          select f.id, f.level_id as "levelId", f.warehouse_id as "warehouseId", l.low_stock_threshold as "threshold",
                 (l.on_hand - l.reserved - l.unsellable) as "available"
            from flagged f join stock_levels l on l.id = f.level_id order by f.id`,
        tx,
      );
      await insertAlerts(
        tx,
        rows.map((r) => ({
          levelId: r.levelId,
          warehouseId: r.warehouseId,
          kind: "LOT_EXPIRING" as const,
          threshold: r.threshold,
          availableBefore: r.available,
          availableAfter: r.available,
          movementVersion: null,
          lotId: r.id,
        })),
      );
      return rows.length;
    });
  }
}

function groupBy<T>(xs: readonly T[], key: (x: T) => number): T[][] {
  const groups = new Map<number, T[]>();
  for (const x of xs) {
    const g = groups.get(key(x));
    if (g) g.push(x);
    else groups.set(key(x), [x]);
  }
  return [...groups.values()];
}
