// Browser tests: Debian's Chromium driven by playwright-core (no browser download),
// the web bundle built if missing, every request outside 127.0.0.1 refused.
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { buildWeb, manifestFile, newestSourceMtime, webOutput } from "../../scripts/build-web.js";
import { projectRoot } from "../../src/paths.js";
import { startTestService, type TestService } from "../support/service.js";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
/** Locally without Chromium the UI suites skip; in CI (which installs it) they fail instead. */
export const canRunBrowser = existsSync(CHROMIUM) || Boolean(process.env.CI);

export const screenshotDir = join(projectRoot, "test-results", "screenshots");

/**
 * Builds dist/web unless a build newer than every file in web/ is there.
 * Test files run in parallel workers: one builds, the others wait for it.
 */
export async function ensureWebBuilt(): Promise<void> {
  const fresh = () => existsSync(manifestFile) && statSync(manifestFile).mtimeMs >= newestSourceMtime();
  if (fresh()) return;
  const lock = `${webOutput}.lock`;
  mkdirSync(join(projectRoot, "dist"), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (fresh()) return;
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited too long for another web build (${lock})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!fresh()) await buildWeb();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * For a describe block: builds the pages if needed, starts a service (PGlite)
 * and Chromium before its tests, and stops both after them.
 */
export function serviceAndBrowser(): { t: TestService; browser: Browser } {
  const suite = {} as { t: TestService; browser: Browser };
  beforeAll(async () => {
    await ensureWebBuilt();
    suite.t = await startTestService("pglite");
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.t?.close();
  });
  return suite;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Requests refused because they left 127.0.0.1 (a CDN, a font host, …): must stay empty. */
  offsite: string[];
  /** Console errors, uncaught exceptions and Content-Security-Policy violations. */
  problems: string[];
  screenshot(name: string): Promise<string>;
}

/** A fresh browser context (empty storage) whose page may only talk to 127.0.0.1. */
export async function openPage(browser: Browser, opts: { viewport?: { width: number; height: number }; ignoreConsole?: RegExp } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  const offsite: string[] = [];
  const problems: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1") return route.continue();
    offsite.push(url.href);
    return route.abort("blockedbyclient");
  });
  await context.routeWebSocket(
    (url) => url.hostname !== "127.0.0.1",
    (ws) => {
      offsite.push(ws.url());
      return ws.close({ code: 1008, reason: "offsite" });
    },
  );
  page.on("console", (m) => {
    if (m.type() === "error" && !(opts.ignoreConsole && opts.ignoreConsole.test(m.text()))) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return {
    page,
    context,
    offsite,
    problems,
    async screenshot(name) {
      mkdirSync(screenshotDir, { recursive: true });
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
  };
}
