// The live dashboard at /dashboard, in a real browser, offline: a key prompt,
// one start query, then subscriptions only; recovery after a server restart.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/paths.js";
import { freePort } from "../support/servers.js";
import { startTestService, type TestService, uniqueSku } from "../support/service.js";
import { canRunBrowser, ensureWebBuilt, launchChromium, openPage, serviceAndBrowser, type WatchedPage } from "./browser.js";

// While the server is away the browser logs each failed reconnect; that is expected.
const RECONNECT_NOISE = /WebSocket connection to .* failed/;

const cell = (page: Page, sku: string, field: string) => page.locator(`#levels tr[data-sku="${sku}"] td[data-field="${field}"]`);

/** Waits until the cell shows exactly `value`; returns how long that took. */
async function cellShows(page: Page, sku: string, field: string, value: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await page.locator(`#levels tr[data-sku="${sku}"] td[data-field="${field}"]`, { hasText: new RegExp(`^${value}$`) }).waitFor({ timeout: timeoutMs });
  return Date.now() - started;
}

async function createProduct(t: TestService, sku: string, initialStock: number, lowStockThreshold = 0, warehouse?: string) {
  const r = await t.gql(
    `mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code message } } }`,
    { i: { sku, name: `Product ${sku}`, initialStock, lowStockThreshold, ...(warehouse ? { warehouse } : {}) } },
  );
  expect(r.data?.createProduct.errors, JSON.stringify(r)).toEqual([]);
}

async function reserve(t: TestService, orderId: string, sku: string, quantity: number, ttlSeconds?: number) {
  const r = await t.gql(
    `mutation($i: ReserveStockInput!) { reserveStock(input: $i) { errors { code } } }`,
    { i: { orderId, items: [{ sku, quantity }], ...(ttlSeconds ? { ttlSeconds } : {}) } },
  );
  expect(r.data?.reserveStock.errors, JSON.stringify(r)).toEqual([]);
}

async function deduct(t: TestService, sku: string, quantity: number) {
  const r = await t.gql(`mutation($sku: String!, $q: Int!) { deductStock(input: { items: [{ sku: $sku, quantity: $q }] }) { errors { code } } }`, { sku, q: quantity });
  expect(r.data?.deductStock.errors, JSON.stringify(r)).toEqual([]);
}

async function connectWithKey(page: Page, key: string) {
  await page.locator("#key-dialog[open]").waitFor();
  await page.locator("#key-input").fill(key);
  await page.getByRole("button", { name: "Connect" }).click();
  await page.locator("#status[data-state=live]").waitFor({ timeout: 10_000 });
}

describe.skipIf(!canRunBrowser)("dashboard", () => {
  let dataDir: string;
  let port: number;
  let t: TestService;
  let browser: Browser;
  let w: WatchedPage;
  /** While true the page's WebSocket attempts are refused, as if the network were down. */
  let networkDown = false;
  const a = uniqueSku("DASH-A");
  const b = uniqueSku("DASH-B");

  beforeAll(async () => {
    await ensureWebBuilt();
    dataDir = mkdtempSync(join(tmpdir(), "stock-ui-"));
    port = await freePort();
    t = await startTestService("pglite", { port, dataDir });
    browser = await launchChromium();
    await createProduct(t, a, 10, 3);
    await createProduct(t, b, 4, 5);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("asks for a key, keeps it in the browser, and shows the state from one query", async () => {
    w = await openPage(browser, { ignoreConsole: RECONNECT_NOISE });
    await w.page.routeWebSocket(/\/graphql$/, (ws) => (networkDown ? ws.close({ code: 1012, reason: "network down (test)" }) : void ws.connectToServer()));
    await w.page.goto(new URL("/dashboard", t.url).href);
    await connectWithKey(w.page, t.adminKey);

    expect(await w.page.evaluate("localStorage.getItem('stock.dashboard.apiKey')")).toBe(t.adminKey);
    await cellShows(w.page, a, "onHand", 10, 5_000);
    expect(await cell(w.page, a, "available").innerText()).toBe("10");
    expect(await cell(w.page, a, "threshold").innerText()).toBe("3");
    expect(await cell(w.page, b, "available").innerText()).toBe("4");
    expect(await w.page.locator(`#levels tr[data-sku="${b}"]`).getAttribute("class")).toBe("low");
    expect(await w.page.locator("#count-low").innerText()).toBe("1");
    expect(await w.page.locator("#count-out").innerText()).toBe("0");
    expect(await w.page.locator("#movements li", { hasText: a }).count()).toBeGreaterThan(0);
  });

  it("updates the row in place within 2 s of a mutation over HTTP, with a highlight", async () => {
    const before = await w.page.locator("#levels tbody tr").count();
    const started = Date.now();
    await reserve(t, `order-${a}-1`, a, 2);
    await cellShows(w.page, a, "reserved", 2, 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await cell(w.page, a, "available").innerText()).toBe("8");
    expect(await cell(w.page, a, "reserved").getAttribute("class")).toContain("flash");
    expect(await w.page.locator("#levels tbody tr").count()).toBe(before);
    expect(await w.page.locator(`#levels tr[data-sku="${a}"]`).count()).toBe(1);
    await w.page.locator("#movements li").first().filter({ hasText: "RESERVE" }).filter({ hasText: a }).waitFor({ timeout: 2_000 });
    expect(await w.page.locator("#chart rect.bar.reserve").count()).toBeGreaterThan(0);
    await w.screenshot("dashboard-live");
  });

  it("counts out-of-stock levels and shows the alert as it happens", async () => {
    await deduct(t, b, 4);
    await cellShows(w.page, b, "available", 0, 2_000);
    await w.page.locator("#count-out", { hasText: /^1$/ }).waitFor({ timeout: 2_000 });
    expect(await w.page.locator("#count-low").innerText()).toBe("0");
    expect(await w.page.locator(`#levels tr[data-sku="${b}"]`).getAttribute("class")).toBe("out");
    await w.page.locator("#alerts li.out_of_stock", { hasText: b }).waitFor({ timeout: 2_000 });
  });

  it("shows a transfer while it is on its way, and no longer once it is received or closed", async () => {
    const east = uniqueSku("EAST");
    const c = uniqueSku("DASH-C");
    await t.gql(`mutation($c: String!) { createWarehouse(input: { code: $c, name: "East" }) { errors { code } } }`, { c: east });
    await createProduct(t, c, 10);
    const transfer = async (op: string, input: Record<string, unknown>) => {
      const type = op === "createTransfer" ? "CreateTransferInput" : op === "receiveTransfer" ? "ReceiveTransferInput" : "TransferRefInput";
      const r = await t.gql(`mutation($i: ${type}!) { ${op}(input: $i) { errors { code message } } }`, { i: input });
      expect(r.data?.[op].errors, JSON.stringify(r)).toEqual([]);
    };
    const reference = uniqueSku("TR");
    const row = w.page.locator(`#transfers li[data-reference="${reference}"]`);
    await transfer("createTransfer", { reference, from: "MAIN", to: east, lines: [{ sku: c, quantity: 4 }] });
    await transfer("shipTransfer", { reference });
    await row.filter({ hasText: `MAIN → ${east}` }).filter({ hasText: "4 of 4 in transit" }).waitFor({ timeout: 2_000 });
    await transfer("receiveTransfer", { reference, lines: [{ sku: c, quantity: 3 }] });
    await row.filter({ hasText: "1 of 4 in transit" }).waitFor({ timeout: 2_000 });
    expect(await row.getAttribute("class")).toBe("transfer partially_received");
    await transfer("closeTransfer", { reference, reason: "one lost" });
    await row.waitFor({ state: "detached", timeout: 2_000 });
    expect(await w.page.locator("#transfers-empty").isVisible()).toBe(true);
  });

  it("says it is reconnecting while the server is away, then replays what it missed (after) and goes live", async () => {
    networkDown = true;
    await t.service.dispose();
    await w.page.locator("#status[data-state=reconnecting]").waitFor({ timeout: 5_000 });
    expect(await w.page.locator("#status").innerText()).toBe("reconnecting…");
    expect(await w.page.locator("#banner").isVisible()).toBe(true);
    await w.screenshot("dashboard-reconnecting");

    // Same port, same data: a restart. A change commits while the dashboard is still cut off.
    t = await startTestService("pglite", { port, dataDir });
    await reserve(t, `order-${a}-2`, a, 3);
    const missed = await t.gql(`query($sku: String!) { stockMovements(sku: $sku, newestFirst: true, first: 1) { nodes { sequence } } }`, { sku: a });
    const sequence = missed.data.stockMovements.nodes[0].sequence as string;
    await new Promise((r) => setTimeout(r, 500));
    expect(await cell(w.page, a, "reserved").innerText()).toBe("2");
    expect(await w.page.locator("#status").getAttribute("data-state")).toBe("reconnecting");

    networkDown = false;
    await w.page.locator("#status[data-state=live]").waitFor({ timeout: 15_000 });
    await cellShows(w.page, a, "reserved", 5, 5_000);
    expect(await w.page.locator("#banner").isVisible()).toBe(false);
    await w.page.locator(`#movements li[data-sequence="${sequence}"]`).waitFor({ timeout: 2_000 });
    expect(await w.page.locator(`#movements li[data-sequence="${sequence}"]`).count()).toBe(1);

    // And it is live again, not only caught up.
    await reserve(t, `order-${a}-3`, a, 1);
    await cellShows(w.page, a, "reserved", 6, 2_000);
    await w.screenshot("dashboard-recovered");
  });

  it("asks for the key again when its key is revoked (close 4401)", async () => {
    const name = uniqueSku("wall").toLowerCase();
    const created = await t.gql(`mutation($name: String!) { createApiKey(input: { name: $name, role: VIEWER }) { key errors { code } } }`, { name });
    const viewerKey = created.data.createApiKey.key as string;
    await w.page.getByRole("button", { name: "Change key" }).click();
    await connectWithKey(w.page, viewerKey);
    await cellShows(w.page, a, "reserved", 6, 5_000);

    await t.gql(`mutation($name: String!) { revokeApiKey(name: $name) { errors { code } } }`, { name });
    await w.page.locator("#key-dialog[open]").waitFor({ timeout: 10_000 });
    expect(await w.page.locator("#key-message").innerText()).toMatch(/refused/);
    expect(await w.page.locator("#status").getAttribute("data-state")).toBe("key");
    await w.screenshot("dashboard-key-revoked");
  });

  it("loaded nothing from outside 127.0.0.1 and broke no rule of the page's CSP", () => {
    expect(w.offsite).toEqual([]);
    expect(w.problems).toEqual([]);
  });
});

describe.skipIf(!canRunBrowser)("dashboard screenshot (docs/dashboard.png with UPDATE_SCREENSHOT=1)", () => {
  const suite = serviceAndBrowser();

  it("shows a shop's morning", async () => {
    const t = suite.t;
    await t.gql(`mutation { createWarehouse(input: { code: "EAST", name: "East", priority: 200 }) { errors { code } } }`);
    const catalogue: Array<[string, number, number, string?]> = [
      ["MUG-BLUE", 40, 5],
      ["MUG-RED", 12, 5],
      ["TEE-M-BLACK", 60, 10],
      ["TEE-L-BLACK", 8, 10],
      ["CAP-GREEN", 25, 5],
      ["POSTER-A2", 3, 2],
      ["MUG-BLUE", 30, 5, "EAST"],
      ["SOCKS-3PK", 100, 20, "EAST"],
      ["BAG-TOTE", 35, 5],
      ["BOTTLE-750", 18, 6],
      ["BOTTLE-750", 9, 6, "EAST"],
      ["NOTEBOOK-A5", 80, 15],
      ["PEN-BLACK", 200, 40],
      ["STICKERS", 6, 10, "EAST"],
    ];
    for (const [sku, stock, threshold, warehouse] of catalogue) {
      if (warehouse) {
        const r = await t.gql(`mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { errors { code } } }`, { i: { sku, quantity: stock, warehouse } });
        if (r.data?.receiveStock.errors.length) await createProduct(t, sku, stock, threshold, warehouse);
      } else {
        await createProduct(t, sku, stock, threshold);
      }
    }
    for (const [sku, , threshold, warehouse] of catalogue) {
      if (warehouse) await t.gql(`mutation($i: SetLowStockThresholdInput!) { setLowStockThreshold(input: $i) { errors { code } } }`, { i: { sku, warehouse, threshold } });
    }
    const w = await openPage(suite.browser, { viewport: { width: 1400, height: 860 } });
    await w.page.goto(new URL("/dashboard", t.url).href);
    await connectWithKey(w.page, t.adminKey);
    await cellShows(w.page, "MUG-BLUE", "onHand", 40, 5_000);

    let n = 0;
    const order = async (sku: string, q: number, then: "confirm" | "release" | "expire" | "hold") => {
      const id = `SO-${1000 + n++}`;
      await reserve(t, id, sku, q, then === "expire" ? 1 : undefined);
      if (then === "confirm") await t.gql(`mutation($id: String!) { confirmReservation(input: { orderId: $id }) { errors { code } } }`, { id });
      if (then === "release") await t.gql(`mutation($id: String!) { releaseReservation(input: { orderId: $id }) { errors { code } } }`, { id });
    };
    await order("MUG-BLUE", 2, "confirm");
    await order("TEE-M-BLACK", 3, "confirm");
    await order("MUG-RED", 4, "expire");
    await order("CAP-GREEN", 1, "hold");
    await order("TEE-M-BLACK", 2, "confirm");
    await order("TEE-L-BLACK", 5, "hold");
    await order("MUG-BLUE", 1, "release");
    await order("POSTER-A2", 3, "confirm");
    await order("MUG-RED", 2, "confirm");
    await order("CAP-GREEN", 2, "expire");
    await order("BOTTLE-750", 12, "hold");
    await order("PEN-BLACK", 10, "confirm");
    await order("NOTEBOOK-A5", 4, "expire");
    await order("BAG-TOTE", 2, "confirm");
    // East runs low on mugs: six are on their way, two arrived.
    await t.gql(`mutation { createTransfer(input: { reference: "TR-0042", from: "MAIN", to: "EAST", lines: [{ sku: "MUG-BLUE", quantity: 6 }] }) { errors { code } } }`);
    await t.gql(`mutation { shipTransfer(input: { reference: "TR-0042" }) { errors { code } } }`);
    await t.gql(`mutation { receiveTransfer(input: { reference: "TR-0042", lines: [{ sku: "MUG-BLUE", quantity: 2 }] }) { errors { code } } }`);
    await new Promise((r) => setTimeout(r, 2_500)); // the sweeper expires the 1-second holds
    await order("MUG-BLUE", 3, "hold");
    await cellShows(w.page, "MUG-BLUE", "reserved", 3, 2_000);
    await w.page.locator(`#transfers li[data-reference="TR-0042"]`, { hasText: "4 of 6 in transit" }).waitFor({ timeout: 2_000 });
    await w.page.waitForTimeout(200); // mid-highlight

    const path = await w.screenshot("dashboard");
    if (process.env.UPDATE_SCREENSHOT === "1") {
      mkdirSync(join(projectRoot, "docs"), { recursive: true });
      copyFileSync(path, join(projectRoot, "docs", "dashboard.png"));
    }
    expect(w.offsite).toEqual([]);
    expect(w.problems).toEqual([]);
  });
});
