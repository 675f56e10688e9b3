import { RedisPubSub } from "graphql-redis-subscriptions";
import { Redis } from "ioredis";
import type { EventBus } from "./bus.js";

/**
 * type-graphql's PubSub over Redis (graphql-redis-subscriptions + ioredis):
 * fan-out between instances. Both connections reconnect on their own; a
 * publish while Redis is down fails at once instead of queueing, and the
 * relay's ledger catch-up covers what was not delivered.
 */
export function redisBus(url: string, log: (msg: string) => void): EventBus {
  const options = {
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  };
  const publisher = new Redis(url, { ...options, enableOfflineQueue: false });
  // No ready check on the subscriber: its INFO would be refused once the
  // connection is in subscriber mode, and the rejection would go unhandled.
  const subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null, enableReadyCheck: false });
  const reconnectListeners: Array<() => void> = [];
  let wasDown = false;
  for (const [name, client] of [
    ["publisher", publisher],
    ["subscriber", subscriber],
  ] as const) {
    client.on("error", (err: Error) => {
      if (!wasDown) log(`redis ${name}: ${err.message}`);
      wasDown = true;
    });
  }
  subscriber.on("ready", () => {
    if (wasDown) log("redis: reconnected");
    wasDown = false;
    for (const l of reconnectListeners) l();
  });
  const pubsub = new RedisPubSub({ publisher, subscriber });
  return {
    kind: "redis",
    publish: (key: string, payload?: unknown) => pubsub.publish(key, payload ?? {}),
    subscribe: (key: string) => pubsub.asyncIterableIterator(key),
    ping: async () => {
      try {
        return (await publisher.ping()) === "PONG";
      } catch {
        return false;
      }
    },
    onReconnect: (l) => reconnectListeners.push(l),
    dispose: async () => {
      await pubsub.close();
    },
  };
}
