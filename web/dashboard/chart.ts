// A small stacked bar chart in SVG: one bar per minute, RESERVE / CONFIRM / EXPIRE.
import { CHART_TYPES, type ChartType } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360;
const HEIGHT = 120;
const TOP = 14;
const BOTTOM = 16;

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * Draws `minutes` (oldest first) into `container`, replacing what was there.
 * Minutes before `since` are shaded: the dashboard has no data for them.
 */
export function renderChart(container: Element, minutes: Array<{ minute: number; counts: Record<ChartType, number> }>, since: number | null): void {
  const plot = HEIGHT - TOP - BOTTOM;
  const slot = WIDTH / minutes.length;
  const max = Math.max(1, ...minutes.map((m) => CHART_TYPES.reduce((sum, t) => sum + m.counts[t], 0)));
  const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", class: "chart" });
  svg.append(node("title", {}, "Reserves, confirms and expiries per minute, last 30 minutes"));
  svg.append(node("line", { x1: 0, x2: WIDTH, y1: TOP + plot + 0.5, y2: TOP + plot + 0.5, class: "axis" }));
  svg.append(node("text", { x: 0, y: 10, class: "label" }, `${max}/min`));

  minutes.forEach((m, i) => {
    const x = i * slot;
    if (since !== null && m.minute + 60_000 <= since) {
      svg.append(node("rect", { x, y: TOP, width: slot, height: plot, class: "nodata" }));
      return;
    }
    const g = node("g", {});
    const total = CHART_TYPES.reduce((sum, t) => sum + m.counts[t], 0);
    g.append(node("title", {}, `${time(m.minute)}: ${m.counts.RESERVE} reserved, ${m.counts.CONFIRM} confirmed, ${m.counts.EXPIRE} expired`));
    let y = TOP + plot;
    for (const t of CHART_TYPES) {
      const h = (m.counts[t] / max) * plot;
      if (h <= 0) continue;
      y -= h;
      g.append(node("rect", { x: x + 1, y, width: Math.max(1, slot - 2), height: h, class: `bar ${t.toLowerCase()}` }));
    }
    // An invisible full-height target, so hovering an empty minute still shows its title.
    g.append(node("rect", { x, y: TOP, width: slot, height: plot, class: "hit", "data-total": total }));
    svg.append(g);
  });

  const first = minutes[0];
  const last = minutes.at(-1);
  if (first && last) {
    svg.append(node("text", { x: 0, y: HEIGHT - 3, class: "label" }, time(first.minute)));
    svg.append(node("text", { x: WIDTH, y: HEIGHT - 3, class: "label end" }, "now"));
  }
  container.replaceChildren(svg);
}
