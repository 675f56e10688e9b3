// The dashboard's DOM: web/dashboard.html holds the structure, this fills it in.
// Text goes in through textContent only (order ids and key names are user data).
import { renderChart } from "./chart.js";
import type { LinkState } from "./live.js";
import { type DashboardState, type LevelRow, type LevelUpdate, statusOf } from "./state.js";
import type { TransferRow } from "./transfers.js";
import type { Movement, StockAlert } from "./types.js";

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`dashboard.html has no #${id}`);
  return e as T;
}

function el(tag: string, className: string | null, ...children: Array<Node | string>): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  e.append(...children);
  return e;
}

const clock = (iso: string | number) => new Date(iso).toLocaleTimeString();
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** Restarts the CSS highlight animation on an element. */
function flash(e: Element): void {
  e.classList.remove("flash");
  void (e as HTMLElement).offsetWidth;
  e.classList.add("flash");
}

const FIGURES = ["onHand", "reserved", "available", "threshold"] as const;
const STATUS_TEXT: Record<LinkState | "key", string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  key: "key needed",
};

export class DashboardView {
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly tbody = $("levels").querySelector("tbody")!;
  private lostAt: number | null = null;

  reset(): void {
    this.rows.clear();
    this.tbody.replaceChildren();
    $("movements").replaceChildren();
    $("alerts").replaceChildren();
    this.transfers([]);
    for (const id of ["count-levels", "count-low", "count-out"]) $(id).textContent = "–";
    $("levels-empty").hidden = false;
  }

  link(state: LinkState | "key"): void {
    const status = $("status");
    status.dataset.state = state;
    status.textContent = STATUS_TEXT[state];
    document.body.dataset.link = state;
    if (state === "live") this.lostAt = null;
    else if (state === "reconnecting") this.lostAt ??= Date.now();
    const banner = $("banner");
    banner.hidden = state !== "reconnecting";
    if (this.lostAt !== null) $("banner-since").textContent = clock(this.lostAt);
  }

  problem(message: string): void {
    const p = $("problem");
    p.textContent = message;
    p.hidden = false;
    setTimeout(() => (p.hidden = true), 15_000);
  }

  levels(updates: LevelUpdate[]): void {
    const fresh = updates.filter((u) => u.isNew).map((u) => u.row);
    if (fresh.length > 0) this.insertRows(fresh, this.rows.size > 0);
    for (const u of updates) {
      if (u.isNew) continue;
      const tr = this.rows.get(u.row.id);
      if (!tr) continue;
      this.fill(tr, u.row);
      for (const f of u.changed) flash(tr.querySelector(`[data-field="${f}"]`)!);
    }
    $("levels-empty").hidden = this.rows.size > 0;
  }

  counts(c: { levels: number; low: number; out: number }): void {
    $("count-levels").textContent = String(c.levels);
    $("count-low").textContent = String(c.low);
    $("count-out").textContent = String(c.out);
  }

  movements(list: Movement[], added: Movement | null): void {
    const feed = $("movements");
    if (added) {
      feed.prepend(this.movementItem(added, true));
      while (feed.children.length > list.length) feed.lastElementChild!.remove();
      $("last-event").textContent = `last change ${clock(added.createdAt)}`;
    } else {
      feed.replaceChildren(...list.map((m) => this.movementItem(m, false)));
    }
  }

  alerts(list: StockAlert[], fresh: StockAlert | null): void {
    $("alerts").replaceChildren(
      ...list.map((a) => {
        const li = el(
          "li",
          `alert ${a.kind.toLowerCase()}`,
          el("time", null, clock(a.at)),
          " ",
          el("span", "kind", a.kind.replaceAll("_", " ").toLowerCase()),
          " ",
          el("b", null, a.level.product.sku),
          a.lot
            ? ` @${a.level.warehouse.code} lot ${a.lot.code} (sell by ${a.lot.sellBy ?? "-"}), available ${a.availableBefore} → ${a.availableAfter}`
            : ` @${a.level.warehouse.code} available ${a.availableBefore} → ${a.availableAfter} (threshold ${a.threshold})`,
        );
        li.dataset.sequence = a.sequence;
        if (a === fresh) flash(li);
        return li;
      }),
    );
    $("alerts-empty").hidden = list.length > 0;
  }

  /** Transfers on their way: units still in transit of those shipped, per transfer. */
  transfers(rows: TransferRow[]): void {
    $("transfers").replaceChildren(
      ...rows.map((r) => {
        const li = el(
          "li",
          `transfer ${r.status.toLowerCase()}`,
          el("b", null, r.reference),
          ` ${r.from} → ${r.to} `,
          el("span", "units", `${r.inTransit} of ${r.shipped} in transit`),
        );
        li.dataset.reference = r.reference;
        return li;
      }),
    );
    $("transfers-empty").hidden = rows.length > 0;
  }

  chart(state: DashboardState): void {
    renderChart($("chart"), state.chart(Date.now()), state.chartSince);
  }

  private movementItem(m: Movement, fresh: boolean): HTMLElement {
    const deltas = [m.onHandDelta ? `on hand ${signed(m.onHandDelta)}` : "", m.reservedDelta ? `reserved ${signed(m.reservedDelta)}` : ""].filter(Boolean).join(", ");
    const li = el(
      "li",
      "movement",
      el("time", null, clock(m.createdAt)),
      " ",
      el("span", `type ${m.type.toLowerCase()}`, m.type),
      " ",
      el("b", null, m.sku),
      ` @${m.warehouse} ${deltas}`,
      el("span", "who", `${m.orderId ? ` · ${m.orderId}` : ""} · ${m.actor}`),
    );
    li.dataset.sequence = m.sequence;
    if (fresh) flash(li);
    return li;
  }

  private insertRows(rows: LevelRow[], oneByOne: boolean): void {
    const key = (r: { sku: string; warehouse: string }) => [r.sku, r.warehouse] as const;
    const order = (a: readonly [string, string], b: readonly [string, string]) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]);
    const make = (row: LevelRow) => {
      const tr = document.createElement("tr");
      tr.dataset.levelId = row.id;
      tr.dataset.sku = row.sku;
      tr.dataset.warehouse = row.warehouse;
      const figures = FIGURES.map((f) => {
        const td = el("td", "num");
        td.dataset.field = f;
        return td;
      });
      tr.append(el("td", "sku", row.sku), el("td", "wh", row.warehouse), ...figures);
      this.fill(tr, row);
      this.rows.set(row.id, tr);
      return tr;
    };
    if (!oneByOne) {
      this.tbody.append(...rows.sort((a, b) => order(key(a), key(b))).map(make));
      return;
    }
    for (const row of rows) {
      const before = [...this.tbody.rows].find((other) => order(key(other.dataset as { sku: string; warehouse: string }), key(row)) > 0);
      const tr = make(row);
      this.tbody.insertBefore(tr, before ?? null);
      flash(tr);
    }
  }

  private fill(tr: HTMLTableRowElement, row: LevelRow): void {
    for (const f of FIGURES) tr.querySelector(`[data-field="${f}"]`)!.textContent = String(row[f]);
    tr.className = statusOf(row);
  }
}
