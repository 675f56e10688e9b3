// The invariants of docs/design.md, checked with SQL against whatever the tests did.
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";

export interface InvariantReport {
  reservedOutOfRange: number;
  reservedNotActiveSum: number;
  countersNotLedgerSums: number;
  versionGaps: number;
  oversold: number;
}

/** Counts of rows breaking invariants 1-5; all must be zero. */
export async function checkInvariants(database: Database): Promise<InvariantReport> {
  const one = async (q: ReturnType<typeof sql>) => Number((await database.rows<{ n: string }>(q))[0]?.n ?? 0);
  return {
    // 1. 0 <= reserved <= onHand
    reservedOutOfRange: await one(sql`select count(*) as n from stock_levels where reserved < 0 or reserved > on_hand`),
    // 2. reserved = sum of the level's ACTIVE reservation lines
    reservedNotActiveSum: await one(sql`
      select count(*) as n from stock_levels l
      where l.reserved <> coalesce((select sum(rl.quantity) from reservation_lines rl
        join reservations r on r.id = rl.reservation_id where rl.level_id = l.id and r.status = 'ACTIVE'), 0)`),
    // 3. onHand and reserved = the sums of the level's movement deltas
    countersNotLedgerSums: await one(sql`
      select count(*) as n from stock_levels l
      left join (select level_id, sum(on_hand_delta) as oh, sum(reserved_delta) as rs from stock_movements group by level_id) m
        on m.level_id = l.id
      where l.on_hand <> coalesce(m.oh, 0) or l.reserved <> coalesce(m.rs, 0)`),
    // 4. per level, ledger versions are 1..n without gap or repeat, and the level is at n
    versionGaps: await one(sql`
      select count(*) as n from stock_levels l
      left join (select level_id, count(*) as c, count(distinct version) as d, min(version) as lo, max(version) as hi
                 from stock_movements group by level_id) m on m.level_id = l.id
      where coalesce(m.c, 0) <> l.version or coalesce(m.d, 0) <> l.version
         or (l.version > 0 and (m.lo <> 1 or m.hi <> l.version))`),
    // 5. never sold what was not there: sold and held <= received + adjusted + returned, per level
    oversold: await one(sql`
      select count(*) as n from (
        select level_id,
          sum(case when type in ('RECEIVE','ADJUST','RETURN') then on_hand_delta else 0 end) as came_in,
          sum(case when type in ('CONFIRM','DEDUCT') then -on_hand_delta else 0 end) as sold
        from stock_movements group by level_id) s
      join stock_levels l on l.id = s.level_id
      where s.sold + l.reserved > s.came_in`),
  };
}

export const CLEAN: InvariantReport = {
  reservedOutOfRange: 0,
  reservedNotActiveSum: 0,
  countersNotLedgerSums: 0,
  versionGaps: 0,
  oversold: 0,
};
