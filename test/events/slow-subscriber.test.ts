import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlowSubscriberError } from "../../src/events/hub.js";
import { startTestService, type TestService, uniqueSku } from "../support/service.js";

describe("a subscriber that falls behind", () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService("pglite", { subscriberBuffer: 5 });
  });
  afterAll(() => t?.close());

  it("gets a bounded buffer, then ends with a resume point, while others keep receiving", async () => {
    const hub = t.service.services.hub;
    const sku = uniqueSku();
    const actor = { name: "tester", role: "ADMIN" as const, channel: "default" };
    await t.service.services.stock.createProduct({ sku, name: sku, initialStock: 100 }, actor);
    const slow = hub.subscribe((e) => e.kind === "movement");
    const fast = hub.subscribe((e) => e.kind === "movement");
    // Both subscriptions are registered once their first next() runs.
    const slowFirst = slow.next();
    const fastReceived: number[] = [];
    const fastDone = (async () => {
      for await (const e of fast) {
        fastReceived.push(e.sequence);
        if (fastReceived.length === 12) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    // Apart, so each change reaches the hub as a batch of its own.
    for (let i = 0; i < 12; i++) {
      await t.service.services.stock.receive({ sku, quantity: 1 }, actor);
      await hub.reached(Number((await t.service.services.queries.movementPage({ sku }, 1, null, true))[0]!.id));
    }
    await fastDone;

    const got: number[] = [(await slowFirst).value.sequence];
    let error: unknown;
    try {
      for (;;) {
        const n = await slow.next();
        if (n.done) break;
        got.push(n.value.sequence);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SlowSubscriberError);
    expect(got.length).toBeLessThanOrEqual(6);
    // The resume point is the last event it was handed: resuming there misses nothing.
    expect((error as SlowSubscriberError).lastSequence).toBe(got.at(-1));
    expect(fastReceived).toHaveLength(12);
  });
});
