// A graphql-ws client as a dashboard would use it, collecting what arrives.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface Collected<T> {
  items: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves when `predicate` holds for the items so far (polls), or rejects after timeoutMs. */
  until(predicate: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export function wsClient(httpUrl: string, key: string | null, opts: { retry?: boolean; onClose?: (code: number, reason: string) => void } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: opts.retry ? 1000 : 0,
    retryWait: async () => new Promise((r) => setTimeout(r, 200)),
    shouldRetry: () => Boolean(opts.retry),
    lazy: true,
    on: {
      closed: (e) => {
        const ev = e as { code?: number; reason?: string };
        opts.onClose?.(ev.code ?? 0, ev.reason ?? "");
      },
    },
  });
}

export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const state = { items: [] as T[], errors: [] as unknown[], completed: false };
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) state.errors.push(...v.errors);
        if (v.data) state.items.push(v.data as T);
      },
      error: (e) => state.errors.push(e),
      complete: () => {
        state.completed = true;
      },
    },
  );
  return {
    ...state,
    get items() {
      return state.items;
    },
    get errors() {
      return state.errors;
    },
    get completed() {
      return state.completed;
    },
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(state.items)) {
        if (Date.now() > deadline) {
          throw new Error(`timed out after ${timeoutMs} ms with ${state.items.length} items; errors: ${JSON.stringify(state.errors)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return state.items;
    },
    stop,
  };
}

/** Resolves once the subscription is established on the server (graphql-ws has no ack per operation). */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
