// Bundles the browser pages (web/) into dist/web/: the GraphiQL playground and
// the live dashboard, with every asset served by the service itself (no CDN).
//
//   node dist/scripts/build-web.js            build once
//   node dist/scripts/build-web.js --watch    rebuild on change (npm run dev)
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { projectRoot } from "../src/paths.js";

export const webSource = join(projectRoot, "web");
export const webOutput = join(projectRoot, "dist", "web");
/** Written last: its presence means a complete build. */
export const manifestFile = join(webOutput, "manifest.json");

/** The URL prefix the server serves dist/web/assets under. */
const ASSETS = "/assets/";

// Monaco (GraphiQL's editor) runs its language services in web workers. Bundled
// here as classic workers, so nothing is fetched from a CDN at run time.
const WORKERS = {
  editor: "monaco-editor/esm/vs/editor/editor.worker.js",
  json: "monaco-editor/esm/vs/language/json/json.worker.js",
  graphql: "monaco-graphql/esm/graphql.worker.js",
} as const;

const PAGES = ["playground", "dashboard"] as const;
type Page = (typeof PAGES)[number];

export interface WebManifest {
  builtAt: string;
  pages: Record<Page, { html: string; js: string; css: string | null }>;
  workers: Record<keyof typeof WORKERS, string>;
}

const common: esbuild.BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: "linked",
  target: ["es2022", "chrome111", "firefox113", "safari16.4"],
  legalComments: "linked",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
  // GraphiQL's CSS inlines its fonts as data: URLs; anything else it references is copied next to the bundle.
  loader: { ".ttf": "file", ".woff": "file", ".woff2": "file", ".svg": "file", ".png": "file" },
  assetNames: "[name]-[hash]",
  metafile: true,
  write: true,
};

function urlOf(file: string, outdir: string): string {
  return ASSETS + relative(outdir, file).split("\\").join("/");
}

/** The JavaScript output of an entry point, from esbuild's metafile. */
function outputOf(meta: esbuild.Metafile, entry: string): string | null {
  for (const [file, out] of Object.entries(meta.outputs)) {
    if (file.endsWith(".js") && out.entryPoint?.endsWith(entry)) return file;
  }
  return null;
}

/**
 * The served pages must load nothing from another origin. Links in licence
 * comments and docs strings are fine; a load (import, worker, stylesheet,
 * font) from http(s) is not.
 */
function assertNoRemoteLoads(dir: string): void {
  const remote = /(?:import\s*\(\s*|importScripts\s*\(\s*|new\s+Worker\s*\(\s*|@import\s+(?:url\()?|url\(\s*|\bsrc\s*=\s*|\bhref\s*=\s*)["']?(?:https?:)?\/\/[a-z0-9.-]+/gi;
  const problems: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(js|css|html)$/.test(name)) {
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(remote)) {
          const around = text.slice(Math.max(0, m.index - 40), m.index + m[0].length + 40);
          // GraphiQL's markdown renderer shows links in schema descriptions; it never loads them.
          if (/href\s*=\s*["']?https?:/.test(m[0]) && !/<link\b/i.test(around)) continue;
          problems.push(`${relative(dir, file)}: …${around.replace(/\s+/g, " ")}…`);
        }
      }
    }
  };
  walk(dir);
  if (problems.length > 0) throw new Error(`web bundle would load from another origin:\n  ${problems.join("\n  ")}`);
}

function shell(page: Page, assets: { js: string; css: string | null }): string {
  const template = readFileSync(join(webSource, `${page}.html`), "utf8");
  const tags = [
    assets.css ? `<link rel="stylesheet" href="${assets.css}">` : "",
    `<script type="module" src="${assets.js}"></script>`,
  ].filter(Boolean);
  if (!template.includes("<!-- assets -->")) throw new Error(`web/${page}.html has no <!-- assets --> marker`);
  return template.replace("<!-- assets -->", tags.join("\n    "));
}

/**
 * Builds into a fresh directory next to dist/web and swaps it in, so a server
 * running meanwhile never serves a half-written bundle.
 */
export async function buildWeb(): Promise<WebManifest> {
  const staging = `${webOutput}.tmp-${process.pid}-${Date.now()}`;
  const assets = join(staging, "assets");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  try {
    const workerBuild = await esbuild.build({
      ...common,
      absWorkingDir: projectRoot,
      entryPoints: Object.entries(WORKERS).map(([name, path]) => ({ in: path, out: `workers/${name}.worker` })),
      outdir: assets,
      entryNames: "[dir]/[name]-[hash]",
      format: "iife",
    });
    const workers = Object.fromEntries(
      Object.entries(WORKERS).map(([name, path]) => {
        const file = outputOf(workerBuild.metafile!, path);
        if (!file) throw new Error(`no output for worker ${name}`);
        return [name, urlOf(join(projectRoot, file), assets)];
      }),
    ) as WebManifest["workers"];

    const pageBuild = await esbuild.build({
      ...common,
      absWorkingDir: projectRoot,
      tsconfig: join(webSource, "tsconfig.json"),
      entryPoints: [join(webSource, "playground.tsx"), join(webSource, "dashboard.ts")],
      outdir: assets,
      entryNames: "[name]-[hash]",
      chunkNames: "chunks/[name]-[hash]",
      format: "esm",
      splitting: true,
      jsx: "automatic",
      define: { ...common.define, __MONACO_WORKERS__: JSON.stringify(workers) },
    });

    const pages = {} as WebManifest["pages"];
    for (const page of PAGES) {
      const entry = page === "playground" ? "web/playground.tsx" : "web/dashboard.ts";
      const js = outputOf(pageBuild.metafile!, entry);
      if (!js) throw new Error(`no output for ${entry}`);
      const cssFile = pageBuild.metafile!.outputs[js]?.cssBundle ?? null;
      const files = { js: urlOf(join(projectRoot, js), assets), css: cssFile ? urlOf(join(projectRoot, cssFile), assets) : null };
      writeFileSync(join(staging, `${page}.html`), shell(page, files));
      pages[page] = { html: `${page}.html`, ...files };
    }
    assertNoRemoteLoads(staging);

    const manifest: WebManifest = { builtAt: new Date().toISOString(), pages, workers };
    writeFileSync(join(staging, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    mkdirSync(join(projectRoot, "dist"), { recursive: true });
    const old = `${webOutput}.old-${process.pid}-${Date.now()}`;
    try {
      renameSync(webOutput, old);
    } catch {
      // first build: nothing to move aside
    }
    try {
      renameSync(staging, webOutput);
    } catch (err) {
      // Another build (a parallel test worker) swapped its output in first: same sources, keep that one.
      if (!["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
    rmSync(old, { recursive: true, force: true });
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Newest modification time of the web sources (and of this script's inputs), to tell whether a build is stale. */
export function newestSourceMtime(): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      const s = statSync(file);
      if (s.isDirectory()) walk(file);
      else newest = Math.max(newest, s.mtimeMs);
    }
  };
  walk(webSource);
  newest = Math.max(newest, statSync(join(projectRoot, "package-lock.json")).mtimeMs);
  return newest;
}

async function watch(): Promise<void> {
  const { watch: watchDir } = await import("node:fs");
  let timer: NodeJS.Timeout | null = null;
  let running = Promise.resolve();
  const rebuild = () => {
    running = running.then(() =>
      buildWeb().then(
        () => console.log(`web: rebuilt ${new Date().toLocaleTimeString()}`),
        (err: Error) => console.error(`web: ${err.message}`),
      ),
    );
  };
  rebuild();
  watchDir(webSource, { recursive: true }, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(rebuild, 100);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--watch")) {
    await watch();
  } else {
    const started = Date.now();
    const manifest = await buildWeb();
    console.log(`web: built ${Object.keys(manifest.pages).join(" and ")} into ${relative(projectRoot, webOutput)}/ in ${Date.now() - started} ms`);
  }
}
