// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went:
// self time by package (or the service's own code, node internals, GC, idle)
// and the hottest functions.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  byArea: Array<{ area: string; percent: number }>;
  topFunctions: Array<{ fn: string; percent: number }>;
}

/** Where a frame's code lives: an npm package, the service ("service"), node itself ("node"), or a V8 pseudo-frame. */
function areaOf(frame: ProfileNode["callFrame"]): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node";
  if (/\/dist\/src\//.test(url)) return "service";
  return "other";
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0) || 1;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const f = node.callFrame;
    const area = areaOf(f);
    areas.set(area, (areas.get(area) ?? 0) + hits);
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist)\//, "")}:${f.lineNumber + 1}` : "";
    const name = `${f.functionName || "(anonymous)"} ${where}`.trim();
    fns.set(name, (fns.get(name) ?? 0) + hits);
  }
  const pct = (n: number) => Math.round((1000 * n) / total) / 10;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    file,
    seconds: (profile.endTime - profile.startTime) / 1e6,
    byArea: sorted(areas).slice(0, top).map(([area, n]) => ({ area, percent: pct(n) })),
    topFunctions: sorted(fns).slice(0, top).map(([fn, n]) => ({ fn, percent: pct(n) })),
  };
}
