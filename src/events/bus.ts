import { createPubSub } from "@graphql-yoga/subscription";
import type { PubSub } from "type-graphql";
import { backoffMs } from "../background.js";

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
 * stop() is called. If the stream fails (the transport was down when it
 * subscribed), `onEnd` hears why and listening starts again after a pause,
 * growing while it keeps failing.
 */
export function listen(bus: PubSub, topic: string, handle: (payload: unknown) => void, onEnd?: (err: Error) => void): () => void {
  let stopped = false;
  let messages: AsyncIterator<unknown> | null = null;
  let retry: NodeJS.Timeout | null = null;
  const run = async (failures: number): Promise<void> => {
    messages = bus.subscribe(topic)[Symbol.asyncIterator]();
    try {
      for (let received = false; ; received = true) {
        const next = await messages.next();
        if (next.done) return;
        if (!received) failures = 0;
        handle(next.value);
      }
    } catch (err) {
      onEnd?.(err as Error);
      if (stopped) return;
      retry = setTimeout(() => void run(failures + 1), backoffMs(failures + 1, 100, 5000));
      retry.unref();
    }
  };
  void run(0);
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    void messages?.return?.();
  };
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
