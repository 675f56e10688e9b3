// The invariants of docs/design.md, checked with SQL against whatever the tests did.
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";

export interface InvariantReport {
  reservedOutOfRange: number;
  reservedNotActiveSum: number;
  countersNotLedgerSums: number;
  versionGaps: number;
  oversold: number;
  transfersNotConserved: number;
}

/** Counts of rows breaking invariants 1-5 and transfer conservation; all must be zero. */
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
    // 5. never sold what was not there: sold, shipped away and held <= received + adjusted + returned + transferred in, per level
    oversold: await one(sql`
      select count(*) as n from (
        select level_id,
          sum(case when type in ('RECEIVE','ADJUST','RETURN','TRANSFER_IN') then on_hand_delta else 0 end) as came_in,
          sum(case when type in ('CONFIRM','DEDUCT','TRANSFER_OUT') then -on_hand_delta else 0 end) as sold
        from stock_movements group by level_id) s
      join stock_levels l on l.id = s.level_id
      where s.sold + l.reserved > s.came_in`),
    // Transfers: per line, shipped (TRANSFER_OUT at the origin) is all or nothing and = received + lost + in transit,
    // received is what TRANSFER_IN brought to the destination, lost only on a transfer closed short; every
    // transfer movement sits at its transfer's end and no other movement claims a transfer.
    transfersNotConserved: await one(sql`
      select (select count(*) from transfer_lines l join transfers t on t.id = l.transfer_id
                left join (select transfer_id, product_id,
                                  sum(case when type = 'TRANSFER_OUT' then -on_hand_delta else 0 end) as shipped,
                                  sum(case when type = 'TRANSFER_IN' then on_hand_delta else 0 end) as received
                             from stock_movements where transfer_id is not null group by transfer_id, product_id) m
                  on m.transfer_id = l.transfer_id and m.product_id = l.product_id
               where coalesce(m.shipped, 0) <> case when t.status in ('DRAFT', 'CANCELLED') then 0 else l.quantity end
                  or coalesce(m.received, 0) <> l.received
                  or (l.lost > 0 and t.status <> 'RECEIVED')
                  or (t.status = 'RECEIVED' and l.received + l.lost <> l.quantity)
                  or (t.status in ('DRAFT', 'CANCELLED', 'IN_TRANSIT') and l.received <> 0))
           + (select count(*) from stock_movements m left join transfers t on t.id = m.transfer_id
               where (m.type in ('TRANSFER_OUT', 'TRANSFER_IN')) <> (m.transfer_id is not null)
                  or (m.type = 'TRANSFER_OUT' and (m.warehouse_id <> t.from_warehouse_id or m.on_hand_delta >= 0))
                  or (m.type = 'TRANSFER_IN' and (m.warehouse_id <> t.to_warehouse_id or m.on_hand_delta <= 0))) as n`),
  };
}

export const CLEAN: InvariantReport = {
  reservedOutOfRange: 0,
  reservedNotActiveSum: 0,
  countersNotLedgerSums: 0,
  versionGaps: 0,
  oversold: 0,
  transfersNotConserved: 0,
};
