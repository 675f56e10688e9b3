import type { ApiKeyService } from "../access/api-keys.service.js";
import { CLOSE_SLOW_SUBSCRIBER } from "../graphql/subscriptions.js";
import type { Caller } from "./gate.js";

/** Caps on what stays open: WebSockets and event streams, and their subscriptions. */
export interface ConnectionLimits {
  maxConnectionsPerAddress: number;
  maxConnectionsPerKey: number;
  maxSubscriptionsPerConnection: number;
  maxSubscriptionsPerKey: number;
  maxSubscriptionsPerAddress: number;
  /**
   * What one event may cost the distinct subscriptions of one key (and of one
   * address): the sum of their estimated costs, each execution counted once
   * however many subscribers share it.
   */
  subscriptionCostBudget: number;
}

/** Close codes of this server besides graphql-ws's own (which uses 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4500). */
export const ServerCloseCode = {
  GoingAway: 1001,
  Unauthorized: 4401,
  /** Past a rate: too many messages, connections, or operations of one caller. */
  TooMany: 4429,
  /** The client does not read fast enough: reconnect and resume with `after`. */
  SlowReader: CLOSE_SLOW_SUBSCRIBER,
  /** The database is unavailable (RFC 6455 "Try Again Later"): reconnect in a moment and resume with `after`. */
  TryAgainLater: 1013,
} as const;

/** What a subscriber's shared executions cost one owner (a key or an address). */
interface Tally {
  subscriptions: number;
  cost: number;
  executions: Map<string, { subscribers: number; cost: number }>;
}

type Close = (code: number, reason: string) => void;

/**
 * Everything open on this instance, counted per client address and per key:
 * one WebSocket, or one event stream, is one connection. Connections are
 * counted from the moment they open (before any key is checked), so one
 * address cannot hold more than its share whatever it sends.
 */
export class LiveConnections {
  private readonly perAddress = new Map<string, number>();
  private readonly perKey = new Map<string, number>();
  private readonly tallies = new Map<string, Tally>();
  private readonly open = new Set<LiveConnection>();

  constructor(readonly limits: ConnectionLimits) {}

  /** A new connection from `address`, or why not. `close` ends it from the server's side. */
  connect(address: string | undefined, close: Close): LiveConnection | string {
    const addr = address ?? "unknown";
    const n = this.perAddress.get(addr) ?? 0;
    if (n >= this.limits.maxConnectionsPerAddress) return `at most ${this.limits.maxConnectionsPerAddress} connections per client address`;
    this.perAddress.set(addr, n + 1);
    const connection = new LiveConnection(this, addr, close);
    this.open.add(connection);
    return connection;
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes every connection (shutdown: 1001). */
  closeAll(code: number, reason: string): void {
    for (const c of [...this.open]) c.close(code, reason);
  }

  /**
   * Closes, with 4401, every connection whose key has been revoked since it
   * connected; one statement however many keys. Returns how many it closed.
   */
  async closeRevoked(keys: ApiKeyService): Promise<number> {
    const byKey = new Map<string, LiveConnection[]>();
    for (const c of this.open) {
      const hash = c.caller?.keyHash;
      if (!hash) continue;
      const list = byKey.get(hash);
      if (list) list.push(c);
      else byKey.set(hash, [c]);
    }
    if (byKey.size === 0) return 0;
    const valid = await keys.stillValid([...byKey.keys()]);
    let closed = 0;
    for (const [hash, connections] of byKey) {
      if (valid.has(hash)) continue;
      for (const c of connections) c.close(ServerCloseCode.Unauthorized, "API key revoked");
      closed += connections.length;
    }
    return closed;
  }

  /** @internal */
  admitKey(bucket: string): string | null {
    const n = this.perKey.get(bucket) ?? 0;
    if (n >= this.limits.maxConnectionsPerKey) return `at most ${this.limits.maxConnectionsPerKey} connections per API key`;
    this.perKey.set(bucket, n + 1);
    return null;
  }

  /** @internal */
  addSubscription(owners: string[], sharingKey: string, cost: number): string | null {
    const { limits } = this;
    for (const owner of owners) {
      const t = this.tallies.get(owner) ?? { subscriptions: 0, cost: 0, executions: new Map() };
      const keyed = owner.startsWith("key:");
      const max = keyed ? limits.maxSubscriptionsPerKey : limits.maxSubscriptionsPerAddress;
      if (t.subscriptions >= max) return `at most ${max} subscriptions per ${keyed ? "API key" : "client address"}`;
      if (!t.executions.has(sharingKey) && t.cost + cost > limits.subscriptionCostBudget) {
        return (
          `the subscriptions of this ${keyed ? "API key" : "client address"} would cost ${t.cost + cost} per event; at most ${limits.subscriptionCostBudget} ` +
          `is allowed (identical subscriptions count once: share one, or select less)`
        );
      }
    }
    for (const owner of owners) {
      let t = this.tallies.get(owner);
      if (!t) this.tallies.set(owner, (t = { subscriptions: 0, cost: 0, executions: new Map() }));
      t.subscriptions++;
      const e = t.executions.get(sharingKey);
      if (e) e.subscribers++;
      else {
        t.executions.set(sharingKey, { subscribers: 1, cost });
        t.cost += cost;
      }
    }
    return null;
  }

  /** @internal */
  removeSubscription(owners: string[], sharingKey: string): void {
    for (const owner of owners) {
      const t = this.tallies.get(owner);
      if (!t) continue;
      t.subscriptions--;
      const e = t.executions.get(sharingKey);
      if (e && --e.subscribers === 0) {
        t.executions.delete(sharingKey);
        t.cost -= e.cost;
      }
      if (t.subscriptions === 0) this.tallies.delete(owner);
    }
  }

  /** @internal */
  disconnected(c: LiveConnection): void {
    if (!this.open.delete(c)) return;
    decrement(this.perAddress, c.address);
    if (c.caller?.keyHash) decrement(this.perKey, c.caller.bucket);
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}

/** One WebSocket or event stream, and the subscriptions it holds. */
export class LiveConnection {
  caller: Caller | null = null;
  private readonly subscriptions = new Map<string, string>();
  private ended = false;

  constructor(
    private readonly registry: LiveConnections,
    readonly address: string,
    private readonly closer: Close,
  ) {}

  /** Once the caller is known: counts the connection against its key, or says why it may not stay. */
  identify(caller: Caller): string | null {
    if (caller.keyHash) {
      const refused = this.registry.admitKey(caller.bucket);
      if (refused) return refused;
    }
    this.caller = caller;
    return null;
  }

  /** Counts a new subscription `id` (sharing `sharingKey`, costing `cost` per event), or says why not. */
  subscribe(id: string, sharingKey: string, cost: number): string | null {
    const max = this.registry.limits.maxSubscriptionsPerConnection;
    if (this.subscriptions.size >= max) return `at most ${max} subscriptions per connection`;
    const refused = this.registry.addSubscription(this.owners(), sharingKey, cost);
    if (refused) return refused;
    this.subscriptions.set(id, sharingKey);
    return null;
  }

  unsubscribe(id: string): void {
    const key = this.subscriptions.get(id);
    if (key === undefined) return;
    this.subscriptions.delete(id);
    this.registry.removeSubscription(this.owners(), key);
  }

  /** Ends the connection from the server's side (the transport's close follows, then dispose). */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.closer(code, reason);
  }

  /** The connection is gone: nothing of it counts any more. */
  dispose(): void {
    for (const id of [...this.subscriptions.keys()]) this.unsubscribe(id);
    this.ended = true;
    this.registry.disconnected(this);
  }

  private owners(): string[] {
    const byAddress = `ip:${this.address}`;
    return this.caller?.keyHash ? [this.caller.bucket, byAddress] : [byAddress];
  }
}
