// Reserves at a fixed concurrency against running instances, as an order
// system would: each order is retried with its orderId while the service says
// SERVICE_UNAVAILABLE, and what was acknowledged is remembered, for checking
// against the ledger. Used by the database-restart test and `npm run drill:restart`.
import postgres from "postgres";

export interface Answer {
  orderId: string;
  status: number;
  body: string;
}

export interface ReserveLoad {
  /** orderIds the service answered with a reservation. */
  readonly acknowledged: Set<string>;
  /** Answers that were 503 SERVICE_UNAVAILABLE (each then retried). */
  readonly unavailable: number;
  /** Anything else: a refusal, an internal error, a hang, a closed port. Must stay empty. */
  readonly unexpected: Answer[];
  /** Resolves once `n` more orders than now have been acknowledged; rejects after `timeoutMs`. */
  more(n: number, timeoutMs?: number): Promise<void>;
  /** Stops sending; resolves once every worker's last request has been answered. */
  stop(): Promise<void>;
}

const RESERVE = `mutation($i:ReserveStockInput!){ reserveStock(input:$i){ reservation{ orderId status } errors{ code message } } }`;

/**
 * `concurrency` workers, worker w sending to urls[w % urls.length]; orders are
 * `${prefix}-${w}-${i}`, one unit of `sku` each. A request that takes longer
 * than `requestTimeoutMs` counts as unexpected (the service must not hang).
 */
export function startReserveLoad(opts: {
  urls: string[];
  key: string;
  sku: string;
  prefix: string;
  concurrency: number;
  requestTimeoutMs?: number;
  retryPauseMs?: number;
}): ReserveLoad {
  const acknowledged = new Set<string>();
  const unexpected: Answer[] = [];
  let unavailable = 0;
  let stopped = false;

  const send = async (url: string, orderId: string): Promise<"ack" | "retry" | "unexpected"> => {
    let status = 0;
    let body = "";
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${opts.key}` },
        body: JSON.stringify({ query: RESERVE, variables: { i: { orderId, items: [{ sku: opts.sku, quantity: 1 }] } } }),
        signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 15_000),
      });
      status = res.status;
      body = await res.text();
      const json = JSON.parse(body) as { data?: { reserveStock?: { reservation: unknown } }; errors?: Array<{ extensions?: { code?: string } }> };
      if (status === 200 && json.data?.reserveStock?.reservation) return "ack";
      const codes = (json.errors ?? []).map((e) => e.extensions?.code);
      if (status === 503 && res.headers.get("retry-after") && codes.length > 0 && codes.every((c) => c === "SERVICE_UNAVAILABLE")) {
        unavailable++;
        return "retry";
      }
    } catch (err) {
      body = String((err as Error).cause ?? err);
    }
    unexpected.push({ orderId, status, body: body.slice(0, 500) });
    return "unexpected";
  };

  const worker = async (w: number) => {
    const url = opts.urls[w % opts.urls.length]!;
    for (let i = 0; !stopped; i++) {
      const orderId = `${opts.prefix}-${w}-${i}`;
      // Retried as it was, with its orderId, until answered one way or the other.
      for (;;) {
        const outcome = await send(url, orderId);
        if (outcome === "ack") acknowledged.add(orderId);
        if (outcome !== "retry" || stopped) break;
        await new Promise((r) => setTimeout(r, opts.retryPauseMs ?? 100));
      }
    }
  };
  const workers = Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w)));

  return {
    acknowledged,
    get unavailable() {
      return unavailable;
    },
    unexpected,
    async more(n, timeoutMs = 30_000) {
      const target = acknowledged.size + n;
      const deadline = Date.now() + timeoutMs;
      while (acknowledged.size < target) {
        if (Date.now() > deadline) throw new Error(`only ${acknowledged.size} of ${target} orders acknowledged after ${timeoutMs} ms; unexpected: ${JSON.stringify(unexpected.slice(0, 3))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      stopped = true;
      await workers;
    },
  };
}

/**
 * Resolves with how long it took until a reserve (of one unit of `sku`, a
 * fresh orderId) succeeded again; rejects after `withinMs`, or at once if
 * `alive()` says the service has gone.
 */
export async function servesAgain(opts: { url: string; key: string; sku: string; withinMs: number; alive: () => void }): Promise<number> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    opts.alive();
    const answer = await fetch(opts.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${opts.key}` },
      body: JSON.stringify({ query: RESERVE, variables: { i: { orderId: `${opts.sku}-probe-${started}-${attempt}`, items: [{ sku: opts.sku, quantity: 1 }] } } }),
      signal: AbortSignal.timeout(opts.withinMs),
    })
      .then((res) => res.json() as Promise<{ data?: { reserveStock?: { reservation?: unknown } } }>)
      .catch((err: Error) => ({ failed: String(err) }));
    if ("data" in answer && answer.data?.reserveStock?.reservation) return Date.now() - started;
    if (Date.now() - started > opts.withinMs) throw new Error(`not serving ${opts.withinMs} ms after the database came back; last answer ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The acknowledged orders that have no ACTIVE reservation with its RESERVE movement in the database. */
export async function missingFromLedger(databaseUrl: string, orderIds: Iterable<string>): Promise<string[]> {
  const ids = [...orderIds];
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ order_id: string }[]>`
      select r.order_id from reservations r
      where r.order_id = any(${ids}) and r.status = 'ACTIVE'
        and exists (select 1 from stock_movements m where m.order_id = r.order_id and m.type = 'RESERVE')`;
    const stored = new Set(rows.map((r) => r.order_id));
    return ids.filter((id) => !stored.has(id));
  } finally {
    await sql.end();
  }
}
