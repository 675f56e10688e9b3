// The bench's one table: a row per scenario, API rows as a ratio to the raw-SQL baseline of the same run.
import type { Measured } from "./measure.js";

export interface Row {
  scenario: string;
  connections: number;
  m: Measured;
  /** The raw-SQL row this one is compared with. */
  baseline?: Row;
  /** What was checked, e.g. "ok=5000 oversell=0"; `pass` says whether all of it held. */
  checks: string;
  pass: boolean;
  /** What throughput counts, when not requests (e.g. "changes/s", latency "commit→receipt"). */
  note?: string;
}

export const ratio = (row: Row): number | null => (row.baseline && row.baseline.m.throughput > 0 ? row.m.throughput / row.baseline.m.throughput : null);

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

const HEADER = ["scenario", "conns", "req/s", "× baseline", "p50 ms", "p99 ms", "max ms", "errors", "server CPU µs/req", "checks"];

function cells(row: Row): string[] {
  const r = ratio(row);
  return [
    row.scenario,
    String(row.connections),
    int(row.m.throughput),
    r === null ? "" : `${r.toFixed(2)}×`,
    ms(row.m.p50),
    ms(row.m.p99),
    ms(row.m.max),
    String(row.m.errors),
    row.m.serverCpuMicros === undefined || !Number.isFinite(row.m.serverCpuMicros) ? "" : int(row.m.serverCpuMicros),
    `${row.pass ? "✓" : "✗"} ${row.checks}`.trim(),
  ];
}

const WIDTHS = [36, 6, 9, 11, 8, 8, 8, 7, 18, 0];
const fixed = (c: string[]) => c.map((s, i) => (i === 0 || i === c.length - 1 ? s.padEnd(WIDTHS[i]!) : s.padStart(WIDTHS[i]!))).join(" ");

/** One line as soon as a scenario finishes (fixed width, for the terminal). */
export const progressLine = (row: Row): string => fixed(cells(row));
export const progressHeader = (): string => fixed(HEADER);

/** The whole table in Markdown, for the terminal and the README. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map((_, i) => (i === 0 || i === HEADER.length - 1 ? "---" : "---:")).join("|")}|`];
  for (const row of rows) lines.push(`| ${cells(row).map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  return lines.join("\n");
}
