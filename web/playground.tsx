// The GraphiQL playground served at GET /graphql (for browsers): bundled by
// scripts/build-web.ts, so it needs no internet.
import { useGraphiQL } from "@graphiql/react";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { useEffect } from "react";
import { createRoot } from "react-dom/client";
import { DEFAULT_HEADERS, exampleTabs, KEY_PLACEHOLDER } from "./playground/examples.js";
import { authorizationInText, playgroundFetcher } from "./playground/fetcher.js";
import "./playground.css";

// Monaco's language services run in workers bundled next to this script.
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    const url = label === "json" ? __MONACO_WORKERS__.json : label === "graphql" ? __MONACO_WORKERS__.graphql : __MONACO_WORKERS__.editor;
    return new Worker(url, { name: `monaco-${label}` });
  },
};

/** The key typed in any tab, for this browser tab's session only (never localStorage). */
const KEY_STORE = "stock.playground.authorization";

function rememberKey(headersText: string): void {
  const authorization = authorizationInText(headersText);
  if (authorization) sessionStorage.setItem(KEY_STORE, authorization);
}

/**
 * Each GraphiQL tab has its own headers. A key pasted into one tab is written
 * into the other tabs' headers editor when they are opened while still showing
 * the placeholder (or nothing), so the walkthrough needs the key once.
 */
function KeySync() {
  const headerEditor = useGraphiQL((s) => s.headerEditor);
  const activeTab = useGraphiQL((s) => s.activeTabIndex);
  useEffect(() => {
    const authorization = sessionStorage.getItem(KEY_STORE);
    if (!headerEditor || !authorization) return;
    const text = headerEditor.getValue();
    if (text.trim() === "" || text.includes(KEY_PLACEHOLDER)) {
      headerEditor.setValue(JSON.stringify({ Authorization: authorization }));
    }
  }, [headerEditor, activeTab]);
  return null;
}

const http = new URL("/graphql", location.href);
const ws = new URL(http);
ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
const fetcher = playgroundFetcher(http.href, ws.href);

createRoot(document.getElementById("graphiql")!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={exampleTabs}
    defaultHeaders={DEFAULT_HEADERS}
    defaultEditorToolsVisibility="headers"
    shouldPersistHeaders={false}
    onEditHeaders={rememberKey}
  >
    <GraphiQL.Logo>Stock API</GraphiQL.Logo>
    <GraphiQL.Footer>
      <KeySync />
    </GraphiQL.Footer>
  </GraphiQL>,
);
