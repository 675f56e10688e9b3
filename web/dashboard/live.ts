// The dashboard's one WebSocket (graphql-ws): the start query, then the
// subscriptions, kept alive across drops and server restarts.
import { type Client, createClient, type FormattedExecutionResult } from "graphql-ws";
import {
  LOW_STOCK_ALERT,
  PRODUCTS_PAGE,
  PRODUCTS_PER_PAGE,
  RECENT_ALERTS,
  RECENT_MOVEMENTS,
  SNAPSHOT,
  STOCK_CHANGED,
  TRANSFER_CHANGED,
  TRANSFERS_IN_TRANSIT,
} from "./operations.js";
import type { Snapshot, StockAlert, StockChange, Transfer } from "./types.js";

export type LinkState = "connecting" | "live" | "reconnecting";

export interface LiveHandlers {
  state(s: LinkState): void;
  snapshot(s: Snapshot): void;
  products(nodes: Snapshot["products"]["nodes"]): void;
  change(c: StockChange): void;
  alert(a: StockAlert): void;
  /** Alerts read again after a reconnect (lowStockAlert cannot resume). */
  alerts(list: StockAlert[]): void;
  /** A transfer as a live change left it. */
  transfer(t: Transfer): void;
  /** The transfers on their way are being read (at start and after a reconnect): returns what takes the answer. */
  readingTransfers(): (list: Transfer[]) => void;
  /** The key was refused (close 4401): nothing more happens until a new connect(). */
  unauthorized(reason: string): void;
  /** Something the person watching should know; the connection carries on. */
  problem(message: string): void;
  /** Where stockChanged resumes: asked at every (re)subscribe. */
  resumeAfter(): string;
}

/** graphql-ws' default backoff grows without bound; a wall screen should never wait more than a few seconds. */
const retryWait = (retries: number) => new Promise<void>((r) => setTimeout(r, Math.min(500 * 2 ** retries, 5_000) + Math.random() * 500));

const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;

function closeCode(e: unknown): number | null {
  return typeof e === "object" && e !== null && "code" in e && typeof (e as { code: unknown }).code === "number" ? (e as { code: number }).code : null;
}

function messageOf(e: unknown): string {
  if (Array.isArray(e)) return e.map(messageOf).join("; ");
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null) {
    const { message, reason, code } = e as { message?: unknown; reason?: unknown; code?: unknown };
    if (typeof message === "string") return message;
    if (typeof code === "number") return `connection closed (${code}${typeof reason === "string" && reason ? `: ${reason}` : ""})`;
  }
  return String(e);
}

function query<T>(client: Client, q: string, variables: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<T, unknown> | undefined;
    client.subscribe<T>(
      { query: q, variables },
      {
        next: (r) => (result = r),
        error: reject,
        complete: () => {
          if (result?.errors?.length) reject(new Error(result.errors.map((e) => e.message).join("; ")));
          else if (result?.data) resolve(result.data);
          else reject(new Error("no answer"));
        },
      },
    );
  });
}

/**
 * Connects with the key and streams into the handlers until dispose().
 * stockChanged resumes with `after` on every reconnect: graphql-ws resends a
 * subscription's payload as it is at that moment, so the variables object is
 * kept current with the last sequence seen.
 */
export function connect(wsUrl: string, key: string, on: LiveHandlers): { dispose(): void } {
  let disposed = false;
  let socket: WebSocket | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const stops: Array<() => void> = [];

  const client = createClient({
    url: wsUrl,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait,
    keepAlive: PING_EVERY_MS,
    onNonLazyError: () => {},
    on: {
      connecting: (isRetry) => on.state(isRetry ? "reconnecting" : "connecting"),
      opened: (s) => (socket = s as WebSocket),
      connected: (_s, _payload, wasRetry) => {
        on.state("live");
        if (wasRetry) {
          void query<{ stockAlerts: { nodes: StockAlert[] } }>(client, RECENT_ALERTS, {}).then((d) => on.alerts(d.stockAlerts.nodes), report);
          readTransfers();
        }
      },
      // A socket that stops answering pings is as good as closed: close it so the retry starts.
      ping: (received) => {
        if (!received) pongTimer = setTimeout(() => socket?.readyState === WebSocket.OPEN && socket.close(4408, "no pong"), PONG_WITHIN_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        if (disposed) return;
        const code = closeCode(event);
        if (code === 4401 || code === 4403) {
          dispose();
          on.unauthorized((event as CloseEvent).reason || (code === 4401 ? "Unauthorized" : "Forbidden"));
        } else {
          on.state("reconnecting");
        }
      },
    },
  });

  function report(e: unknown) {
    if (!disposed && closeCode(e) !== 4401) on.problem(messageOf(e));
  }

  function subscribe<T>(q: string, variables: Record<string, unknown>, next: (data: T) => void) {
    const stop = client.subscribe<T>(
      { query: q, variables },
      {
        next: (r) => {
          if (r.errors?.length) report(r.errors);
          else if (r.data) next(r.data);
        },
        // Only a fatal error gets here (close codes are retried): start over after a pause.
        error: (e) => {
          report(e);
          if (!disposed && closeCode(e) !== 4401) setTimeout(() => !disposed && subscribe(q, variables, next), 5_000);
        },
        complete: () => {},
      },
    );
    stops.push(stop);
  }

  function readTransfers() {
    const answer = on.readingTransfers();
    type Answer = { inTransit: { nodes: Transfer[] }; partiallyReceived: { nodes: Transfer[] } };
    void query<Answer>(client, TRANSFERS_IN_TRANSIT, {}).then((d) => answer([...d.inTransit.nodes, ...d.partiallyReceived.nodes]), report);
  }

  function dispose() {
    if (disposed) return;
    disposed = true;
    for (const stop of stops) stop();
    // Rejects with the close event when the socket it would close was refused already.
    void Promise.resolve(client.dispose()).catch(() => {});
  }

  void (async () => {
    // Alerts first, so one raised while the start query runs is not missed; duplicates are merged by sequence.
    subscribe<{ lowStockAlert: StockAlert }>(LOW_STOCK_ALERT, {}, (d) => on.alert(d.lowStockAlert));
    // Likewise transfers: live changes first, then what is on its way (the higher version wins).
    subscribe<{ transferChanged: { transfer: Transfer } }>(TRANSFER_CHANGED, {}, (d) => on.transfer(d.transferChanged.transfer));
    readTransfers();
    let snapshot: Snapshot | null = null;
    while (!snapshot && !disposed) {
      snapshot = await query<Snapshot>(client, SNAPSHOT, { first: PRODUCTS_PER_PAGE, after: null, recent: RECENT_MOVEMENTS }).catch((e: unknown) => {
        report(e);
        return new Promise<null>((r) => setTimeout(() => r(null), 5_000));
      });
    }
    if (!snapshot || disposed) return;
    try {
      on.snapshot(snapshot);
      const variables = { after: on.resumeAfter() };
      subscribe<{ stockChanged: StockChange }>(STOCK_CHANGED, variables, (d) => {
        on.change(d.stockChanged);
        variables.after = on.resumeAfter();
      });
      let page = snapshot.products.pageInfo;
      while (page.hasNextPage && !disposed) {
        const next = await query<Pick<Snapshot, "products">>(client, PRODUCTS_PAGE, { first: PRODUCTS_PER_PAGE, after: page.endCursor });
        on.products(next.products.nodes);
        page = next.products.pageInfo;
      }
    } catch (e) {
      report(e);
    }
  })();

  return { dispose };
}
