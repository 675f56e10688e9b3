import { createPubSub } from "@graphql-yoga/subscription";
import type { PubSub } from "type-graphql";

/**
 * type-graphql's PubSub, plus what the server needs to run it: whether it is
 * healthy, a hook for reconnects (subscribers may have missed messages), and dispose.
 */
export interface EventBus extends PubSub {
  readonly kind: "in-process" | "redis";
  /** Resolves once the message is handed to the transport; rejects if it could not be. */
  publish(routingKey: string, ...args: unknown[]): Promise<void> | void;
  ping(): Promise<boolean>;
  onReconnect(listener: () => void): void;
  dispose(): Promise<void>;
}

/**
 * Hands every message on `topic` to `handle`, in order, until the returned
 * stop() is called. `onEnd` hears why the stream ended if it failed.
 */
export function listen(bus: PubSub, topic: string, handle: (payload: unknown) => void, onEnd?: (err: Error) => void): () => void {
  const messages = bus.subscribe(topic)[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done) return;
        handle(next.value);
      }
    } catch (err) {
      onEnd?.(err as Error);
    }
  })();
  return () => void messages.return?.();
}

/** One process only: the default when no REDIS_URL is set. */
export function inProcessBus(): EventBus {
  const pubsub = createPubSub();
  return {
    kind: "in-process",
    publish: (key: string, ...args: unknown[]) => (pubsub.publish as (k: string, ...a: unknown[]) => void)(key, ...args),
    subscribe: (key: string) => pubsub.subscribe(key as never),
    ping: async () => true,
    onReconnect: () => {},
    dispose: async () => {},
  };
}
