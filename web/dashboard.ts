// The live stock dashboard served at /dashboard: asks for a key once (kept in
// this browser's localStorage), reads the state once, then follows it through
// subscriptions only.
import { connect } from "./dashboard/live.js";
import { DashboardState } from "./dashboard/state.js";
import { TransfersInTransit } from "./dashboard/transfers.js";
import { DashboardView } from "./dashboard/view.js";
import "./dashboard.css";

const KEY_STORE = "stock.dashboard.apiKey";
const wsUrl = new URL("/graphql", location.href);
wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";

const view = new DashboardView();
let state = new DashboardState();
let transfers = new TransfersInTransit();
let live: { dispose(): void } | null = null;

// Chart and counts redraw at most once a frame, however fast changes arrive.
let redrawQueued = false;
function redraw(): void {
  if (redrawQueued) return;
  redrawQueued = true;
  requestAnimationFrame(() => {
    redrawQueued = false;
    view.counts(state.counts());
    view.chart(state);
  });
}
// The chart's minutes move on even when nothing happens.
setInterval(redraw, 15_000);

function start(key: string): void {
  live?.dispose();
  state = new DashboardState();
  transfers = new TransfersInTransit();
  view.reset();
  view.link("connecting");
  live = connect(wsUrl.href, key, {
    state: (s) => view.link(s),
    snapshot: (snapshot) => {
      state.loadSnapshot(snapshot, Date.now());
      view.levels([...state.levels.values()].map((row) => ({ row, isNew: true, changed: [] })));
      view.movements(state.movements, null);
      view.alerts(state.alerts, null);
      redraw();
    },
    products: (nodes) => {
      view.levels(state.addProducts(nodes));
      redraw();
    },
    change: (c) => {
      const { level, movement } = state.applyChange(c);
      if (level) view.levels([level]);
      if (movement) view.movements(state.movements, c.movement);
      redraw();
    },
    alert: (a) => {
      const { added, level } = state.applyAlert(a);
      if (level) view.levels([level]);
      if (added) view.alerts(state.alerts, a);
      redraw();
    },
    alerts: (list) => {
      if (state.mergeAlerts(list) > 0) view.alerts(state.alerts, null);
    },
    transfer: (t) => {
      if (transfers.apply(t)) view.transfers(transfers.rows());
    },
    readingTransfers: () => {
      const marked = transfers.mark();
      return (list) => {
        if (transfers.replace(list, marked)) view.transfers(transfers.rows());
      };
    },
    unauthorized: (reason) => {
      live = null;
      askForKey(`The service refused the key (${reason}). Paste a valid API key.`);
    },
    problem: (message) => view.problem(message),
    resumeAfter: () => state.resumeAfter,
  });
}

function askForKey(message: string): void {
  view.link("key");
  const dialog = document.getElementById("key-dialog") as HTMLDialogElement;
  const input = document.getElementById("key-input") as HTMLInputElement;
  document.getElementById("key-message")!.textContent = message;
  input.value = "";
  if (!dialog.open) dialog.showModal();
  input.focus();
}

document.getElementById("key-form")!.addEventListener("submit", (e) => {
  e.preventDefault();
  const key = (document.getElementById("key-input") as HTMLInputElement).value.trim().replace(/^bearer\s+/i, "");
  if (!key) return;
  localStorage.setItem(KEY_STORE, key);
  (document.getElementById("key-dialog") as HTMLDialogElement).close();
  start(key);
});

document.getElementById("change-key")!.addEventListener("click", () => {
  live?.dispose();
  live = null;
  localStorage.removeItem(KEY_STORE);
  askForKey("Paste an API key (any role can watch). It is kept in this browser only.");
});

const saved = localStorage.getItem(KEY_STORE);
if (saved) start(saved);
else askForKey("Paste an API key (any role can watch). It is kept in this browser only.");
