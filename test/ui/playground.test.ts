// The GraphiQL playground at GET /graphql, in a real browser, offline.
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestService, uniqueSku } from "../support/service.js";
import { canRunBrowser, openPage, serviceAndBrowser, type WatchedPage } from "./browser.js";

/** The text of a Monaco editor inside `scope` (Monaco renders non-breaking spaces). */
async function editorText(page: Page, scope: string): Promise<string> {
  return (await page.locator(`${scope} .view-lines`).first().innerText()).replace(/\u00a0/g, " ");
}

async function waitForText(page: Page, scope: string, wanted: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await editorText(page, scope).catch(() => "");
    if (typeof wanted === "string" ? text.includes(wanted) : wanted.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`${scope} never showed ${wanted}; it shows:\n${text}`);
}

/** Replaces the content of the Monaco editor in `scope` (insertText: no auto-closed brackets). */
async function setEditor(page: Page, scope: string, text: string): Promise<void> {
  await page.locator(`${scope} .monaco-editor`).first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** The visible one of the variables and headers editors (pick it with its button first). */
const TOOL = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";

async function openTool(page: Page, name: "Variables" | "Headers"): Promise<void> {
  await page.locator(".graphiql-editor-tools").getByRole("button", { name, exact: true }).click();
}

describe.skipIf(!canRunBrowser)("playground (GraphiQL at GET /graphql)", () => {
  const suite = serviceAndBrowser();
  let t: TestService;
  let w: WatchedPage;
  beforeAll(() => {
    t = suite.t;
  });

  it("serves the playground to browsers only; API clients still get GraphQL on GET and POST", async () => {
    const html = await fetch(t.url, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = html.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    expect(await html.text()).toContain("<title>Stock API");

    const get = await fetch(`${t.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { accept: "application/json", "apollo-require-preflight": "1" } });
    expect(await get.json()).toEqual({ data: { __typename: "Query" } });
    const anything = await fetch(`${t.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { accept: "*/*", "apollo-require-preflight": "1" } });
    expect(await anything.json()).toEqual({ data: { __typename: "Query" } });
    expect((await t.gql("{ __typename }")).data).toEqual({ __typename: "Query" });

    const page = await fetch(t.url, { headers: { accept: "text/html" } }).then((r) => r.text());
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const asset = await fetch(new URL(script, t.url));
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(new URL("/assets/nothing-here.js", t.url))).status).toBe(404);
  });

  it("shows the schema docs and the example tabs without a key, offline", async () => {
    w = await openPage(suite.browser);
    await w.page.goto(t.url);
    await w.page.locator(".graphiql-query-editor .view-lines").first().waitFor();
    const tabs = await w.page.locator(".graphiql-tabs .graphiql-tab").allInnerTexts();
    expect(tabs.map((s) => s.trim())).toEqual(["createProduct", "reserveStock", "confirmReservation", "stockMovements", "stockChanged", "checkStock", "createHoney", "createTransfer", "transferChanged"]);
    await openTool(w.page, "Headers");
    expect(await editorText(w.page, TOOL)).toContain(`"Authorization": "Bearer <paste your key>"`);

    // The placeholder key is sent as no key, so introspection works for an anonymous visitor.
    await w.page.getByRole("button", { name: "Show Documentation Explorer" }).click();
    await w.page.locator(".graphiql-doc-explorer").getByText("Mutation", { exact: true }).waitFor({ timeout: 10_000 });
  });

  it("runs a mutation with the key from the headers editor and shows the result", async () => {
    const sku = uniqueSku("PG");
    await openTool(w.page, "Headers");
    await setEditor(w.page, TOOL, JSON.stringify({ Authorization: `Bearer ${t.adminKey}` }));
    await openTool(w.page, "Variables");
    await setEditor(w.page, TOOL, JSON.stringify({ sku }));
    await w.page.locator(".graphiql-execute-button").click();
    const result = await waitForText(w.page, ".graphiql-response", `"sku": "${sku}"`);
    expect(result).toContain(`"errors": []`);
    expect(result).toMatch(/"onHand": 10/);
    await w.screenshot("playground-mutation");

    const created = await t.gql(`query($sku: String!) { product(sku: $sku) { stock { onHand } } }`, { sku });
    expect(created.data.product.stock.onHand).toBe(10);
  });

  it("runs the stockChanged subscription over graphql-ws on the same URL", async () => {
    const sku = uniqueSku("PGSUB");
    await t.gql(`mutation($sku: String!) { createProduct(input: { sku: $sku, name: "sub", initialStock: 5 }) { errors { code } } }`, { sku });
    await w.page.locator(".graphiql-tabs .graphiql-tab", { hasText: "stockChanged" }).click();
    // The key pasted in the first tab was carried over to this one.
    await openTool(w.page, "Headers");
    await waitForText(w.page, TOOL, t.adminKey);
    await openTool(w.page, "Variables");
    await setEditor(w.page, TOOL, JSON.stringify({ skus: [sku] }));
    await w.page.locator(".graphiql-execute-button").click();

    // The subscription is running once the button turns into "stop"; then a change arrives.
    await w.page.locator(".graphiql-execute-button").and(w.page.getByRole("button", { name: /stop/i })).waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const reserved = await t.gql(`mutation($sku: String!) { reserveStock(input: { orderId: $sku, items: [{ sku: $sku, quantity: 2 }] }) { errors { code } } }`, { sku });
    expect(reserved.data.reserveStock.errors).toEqual([]);
    const result = await waitForText(w.page, ".graphiql-response", `"type": "RESERVE"`);
    expect(result).toContain(`"sku": "${sku}"`);
    expect(result).toMatch(/"available": 3/);
    await w.screenshot("playground-subscription");
    await w.page.locator(".graphiql-execute-button").click(); // stop
  });

  it("loaded nothing from outside 127.0.0.1 and broke no rule of the page's CSP", () => {
    expect(w.offsite).toEqual([]);
    expect(w.problems).toEqual([]);
  });
});
