// The baseline: the service's transactions written directly against the
// postgres driver (no HTTP, no GraphQL, no ORM), the same statements the
// service's rules call for (docs/design.md, Concurrency).
import postgres from "postgres";
import { connectPostgres } from "../src/db/client.js";

export interface LevelRef {
  sku: string;
  levelId: number;
  productId: number;
  warehouseId: number;
}

class Refused extends Error {}

type After = { on_hand: number; reserved: number; version: number };

/** The RESERVE movement and the reservation line of a hold that was taken. */
async function held(tx: postgres.TransactionSql, level: LevelRef, claimId: string, orderId: string, quantity: number, after: After): Promise<void> {
  await tx`
    insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, version, order_id, actor)
    values (${level.levelId}, ${level.productId}, ${level.warehouseId}, 'RESERVE', 0, ${quantity},
            ${after.on_hand}, ${after.reserved}, ${after.version}, ${orderId}, 'bench-raw')`;
  await tx`insert into reservation_lines (reservation_id, level_id, quantity) values (${claimId}, ${level.levelId}, ${quantity})`;
}

export class RawSql {
  readonly sql: postgres.Sql;

  constructor(url: string, pool: number) {
    this.sql = connectPostgres(url, { max: pool, onnotice: () => {}, connection: { application_name: "stock-bench-raw" } });
  }

  /** Claim the orderId, one guarded UPDATE, the movement row, the reservation line: one transaction. */
  reserve(orderId: string, level: LevelRef, quantity = 1): Promise<string> {
    return this.claimed(orderId, async (tx, claimId) => {
      const [after] = await tx<After[]>`
        update stock_levels set reserved = reserved + ${quantity}, version = version + 1, updated_at = now()
        where id = ${level.levelId} and on_hand - reserved >= ${quantity}
        returning on_hand, reserved, version`;
      if (!after) throw new Refused();
      await held(tx, level, claimId, orderId, quantity, after);
    });
  }

  /**
   * A reserve whose line names no warehouse, allocated PRIORITY + MINIMIZE
   * for one line: claim, read the product's levels in active warehouses,
   * then one guarded UPDATE on the first by priority that has the quantity
   * (the next one if a concurrent order took it), the movement and the line.
   */
  reserveAllocated(orderId: string, productId: number, quantity = 1): Promise<string> {
    return this.claimed(orderId, async (tx, claimId) => {
      const sources = await tx<{ id: number; warehouse_id: number }[]>`
        select l.id, l.warehouse_id from stock_levels l join warehouses w on w.id = l.warehouse_id
        where l.product_id = ${productId} and w.active and l.on_hand - l.reserved >= ${quantity}
        order by w.priority, w.code`;
      for (const s of sources) {
        const [after] = await tx<After[]>`
          update stock_levels set reserved = reserved + ${quantity}, version = version + 1, updated_at = now()
          where id = ${s.id} and on_hand - reserved >= ${quantity}
          returning on_hand, reserved, version`;
        if (!after) continue;
        await held(tx, { sku: "", levelId: s.id, productId, warehouseId: s.warehouse_id }, claimId, orderId, quantity, after);
        return;
      }
      throw new Refused();
    });
  }

  /**
   * A reserve of a lot-tracked level: claim, lock the level, the lots in
   * first-expiry-first-out order, then the level's and each lot's guarded
   * UPDATE, the movement with its lots, the line with its lots.
   */
  reserveLots(orderId: string, level: LevelRef, quantity = 1): Promise<string> {
    return this.claimed(orderId, async (tx, claimId) => {
      await tx`select 1 from stock_levels where id = ${level.levelId} for update`;
      const lots = await tx<{ id: number; free: number }[]>`
        select id, on_hand - reserved as free from stock_lots
        where level_id = ${level.levelId} and expired_at is null and (sell_by is null or sell_by >= current_date) and on_hand > reserved
        order by sell_by asc nulls last, received_at, id`;
      const takes: Array<{ id: number; q: number }> = [];
      let left = quantity;
      for (const l of lots) {
        const q = Math.min(left, l.free);
        takes.push({ id: l.id, q });
        left -= q;
        if (left === 0) break;
      }
      if (left > 0) throw new Refused();
      const [after] = await tx<After[]>`
        update stock_levels set reserved = reserved + ${quantity}, version = version + 1, updated_at = now()
        where id = ${level.levelId} and on_hand - reserved - unsellable >= ${quantity}
        returning on_hand, reserved, version`;
      if (!after) throw new Refused();
      for (const t of takes) await tx`update stock_lots set reserved = reserved + ${t.q} where id = ${t.id} and on_hand - reserved >= ${t.q}`;
      await held(tx, level, claimId, orderId, quantity, after);
      for (const t of takes) {
        await tx`insert into stock_movement_lots (level_id, version, lot_id, on_hand_delta, reserved_delta) values (${level.levelId}, ${after.version}, ${t.id}, 0, ${t.q})`;
        await tx`insert into reservation_lots (reservation_id, lot_id, level_id, quantity) values (${claimId}, ${t.id}, ${level.levelId}, ${t.q})`;
      }
    });
  }

  /** One transaction that claims the orderId, then does `work`; a Refused inside it is INSUFFICIENT_STOCK. */
  private async claimed(orderId: string, work: (tx: postgres.TransactionSql, claimId: string) => Promise<void>): Promise<string> {
    try {
      return await this.sql.begin(async (tx) => {
        const [claim] = await tx<{ id: string }[]>`
          insert into reservations (order_id, actor, expires_at) values (${orderId}, 'bench-raw', now() + interval '30 minutes')
          on conflict (channel, order_id) do nothing returning id`;
        if (!claim) return "DUPLICATE";
        await work(tx, claim.id);
        return "ok";
      });
    } catch (e) {
      if (e instanceof Refused) return "INSUFFICIENT_STOCK";
      throw e;
    }
  }

  /** confirmReservation / releaseReservation: the status guard, then one guarded UPDATE and movement per line. */
  async finish(orderId: string, to: "CONFIRMED" | "RELEASED"): Promise<string> {
    return this.sql.begin(async (tx) => {
      const [r] = await tx<{ id: string }[]>`
        update reservations set status = ${to}::reservation_status, updated_at = now()
        where channel = 'default' and order_id = ${orderId} and status = 'ACTIVE' and expires_at > now() returning id`;
      if (!r) return "INVALID_STATE";
      const lines = await tx<{ level_id: number; quantity: number; product_id: number; warehouse_id: number }[]>`
        select rl.level_id, rl.quantity, l.product_id, l.warehouse_id
        from reservation_lines rl join stock_levels l on l.id = rl.level_id where rl.reservation_id = ${r.id} order by rl.level_id`;
      const sold = to === "CONFIRMED";
      for (const line of lines) {
        const onHandDelta = sold ? -line.quantity : 0;
        const [after] = await tx<{ on_hand: number; reserved: number; version: number }[]>`
          update stock_levels set on_hand = on_hand + ${onHandDelta}, reserved = reserved - ${line.quantity},
                 version = version + 1, updated_at = now()
          where id = ${line.level_id} returning on_hand, reserved, version`;
        await tx`
          insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                       on_hand_after, reserved_after, version, order_id, actor)
          values (${line.level_id}, ${line.product_id}, ${line.warehouse_id}, ${sold ? "CONFIRM" : "RELEASE"}::movement_type,
                  ${onHandDelta}, ${-line.quantity}, ${after!.on_hand}, ${after!.reserved}, ${after!.version}, ${orderId}, 'bench-raw')`;
      }
      return "ok";
    });
  }

  /** checkStock: availability of some skus in the default warehouse, one statement. */
  async checkStock(skus: string[]): Promise<string> {
    const rows = await this.sql`
      select p.sku, l.on_hand - l.reserved as available
      from products p join stock_levels l on l.product_id = p.id join warehouses w on w.id = l.warehouse_id
      where w.code = 'MAIN' and p.sku = any(${skus})`;
    return rows.length === skus.length ? "ok" : "missing";
  }

  /** products(first: n) with levels and warehouses: a page, then its levels with their warehouses. */
  async productsPage(n: number): Promise<string> {
    const page = await this.sql<{ id: number }[]>`select id, sku, name, created_at from products order by id limit ${n + 1}`;
    const ids = page.slice(0, n).map((p) => p.id);
    await this.sql`
      select l.*, w.code, w.name as warehouse_name from stock_levels l join warehouses w on w.id = l.warehouse_id
      where l.product_id = any(${ids})`;
    return "ok";
  }

  /**
   * `n` products with `stock` units each in MAIN, written as the service would
   * (level at version 1 and its RECEIVE movement), in one statement.
   */
  async seed(prefix: string, n: number, stock: number): Promise<LevelRef[]> {
    return this.seedAcross(prefix, n, stock, ["MAIN"]);
  }

  /**
   * `n` products with `stock` units in each of the warehouses `codes` (made
   * if missing, priorities in the given order), as the service would write them.
   */
  async seedAcross(prefix: string, n: number, stock: number, codes: readonly string[]): Promise<LevelRef[]> {
    await this.sql`
      insert into warehouses (code, name, priority)
      select code, 'bench ' || code, 10 + ord from unnest(${codes as string[]}::text[]) with ordinality as c(code, ord)
      on conflict (code) do nothing`;
    await this.sql`
      with p as (
        insert into products (sku, name)
        select ${prefix} || '-' || g, 'bench product ' || g from generate_series(1, ${n}::int) g returning id
      ), l as (
        insert into stock_levels (product_id, warehouse_id, on_hand, version)
        select p.id, w.id, ${stock}::int, 1 from p, warehouses w where w.code = any(${codes as string[]})
        returning id, product_id, warehouse_id, on_hand
      )
      insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                   on_hand_after, reserved_after, version, reason, actor)
      select id, product_id, warehouse_id, 'RECEIVE', on_hand, 0, on_hand, 0, 1, 'bench seed', 'bench' from l`;
    return this.levels(prefix);
  }

  /**
   * One lot-tracked product with `stock` units in MAIN spread over `lots`
   * lots (expiring 30, 60, 90, … days out), written as the service would.
   */
  async seedLots(prefix: string, stock: number, lots: number): Promise<LevelRef> {
    const per = Math.floor(stock / lots);
    await this.sql.begin(async (tx) => {
      const [p] = await tx<{ id: number }[]>`insert into products (sku, name, tracks_lots) values (${`${prefix}-1`}, 'bench lot product', true) returning id`;
      const [l] = await tx<{ id: number; warehouse_id: number }[]>`
        insert into stock_levels (product_id, warehouse_id, on_hand, version, tracks_lots)
        select ${p!.id}, id, ${per * lots}, 1, true from warehouses where code = 'MAIN' returning id, warehouse_id`;
      await tx`
        insert into stock_lots (level_id, product_id, warehouse_id, code, expires_on, sell_by, on_hand)
        select ${l!.id}, ${p!.id}, ${l!.warehouse_id}, 'LOT-' || g, current_date + 30 * g, current_date + 30 * g, ${per}
          from generate_series(1, ${lots}::int) g`;
      await tx`
        insert into stock_movements (level_id, product_id, warehouse_id, type, on_hand_delta, reserved_delta,
                                     on_hand_after, reserved_after, version, reason, actor)
        values (${l!.id}, ${p!.id}, ${l!.warehouse_id}, 'RECEIVE', ${per * lots}, 0, ${per * lots}, 0, 1, 'bench seed', 'bench')`;
    });
    return (await this.levels(prefix))[0]!;
  }

  async levels(prefix: string): Promise<LevelRef[]> {
    const rows = await this.sql<{ sku: string; level_id: number; product_id: number; warehouse_id: number }[]>`
      select p.sku, l.id as level_id, l.product_id, l.warehouse_id
      from products p join stock_levels l on l.product_id = p.id
      where p.sku like ${`${prefix}-%`} order by l.id`;
    return rows.map((r) => ({ sku: r.sku, levelId: r.level_id, productId: r.product_id, warehouseId: r.warehouse_id }));
  }

  /** The level's counters and how many ACTIVE reservation lines hold it. */
  async levelState(levelId: number): Promise<{ onHand: number; reserved: number; activeHeld: number }> {
    const [row] = await this.sql<{ on_hand: number; reserved: number; held: string }[]>`
      select l.on_hand, l.reserved,
             (select coalesce(sum(rl.quantity), 0) from reservation_lines rl join reservations r on r.id = rl.reservation_id
               where rl.level_id = l.id and r.status = 'ACTIVE') as held
      from stock_levels l where l.id = ${levelId}`;
    return { onHand: row!.on_hand, reserved: row!.reserved, activeHeld: Number(row!.held) };
  }

  /** How the level's RESERVE movements were written: per transaction (xmin), on average and at most. */
  async reservesPerTransaction(levelId: number): Promise<{ average: number; largest: number }> {
    const [row] = await this.sql<{ average: string | null; largest: number | null }[]>`
      select avg(n) as average, max(n) as largest from (
        select count(*)::int as n from stock_movements where level_id = ${levelId} and type = 'RESERVE' group by xmin::text) t`;
    return { average: Number(row?.average ?? 0), largest: row?.largest ?? 0 };
  }

  end(): Promise<void> {
    return this.sql.end({ timeout: 5 });
  }
}
