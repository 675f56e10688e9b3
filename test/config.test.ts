// The environment, read once: every setting's variable is its key in SCREAMING_SNAKE_CASE.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

describe("configuration", () => {
  it("reads each setting from its variable, with defaults for the rest", () => {
    const c = loadConfig({ PORT: "4100", RATE_LIMIT_PER_MINUTE: "120", ALLOWED_ORIGINS: "https://shop.example, https://admin.example/", PUBLIC_READ: "no", WS_MAX_BUFFERED_BYTES: "65536" });
    expect(c).toMatchObject({ port: 4100, rateLimitPerMinute: 120, publicRead: false, wsMaxBufferedBytes: 65536, host: "127.0.0.1", subscriberBuffer: 1000 });
    expect(c.allowedOrigins).toEqual(["https://shop.example", "https://admin.example/"]);
    expect(loadConfig({}).allowedOrigins).toEqual([]);
  });

  it("names the variable of a bad value, and treats an empty one as unset", () => {
    expect(() => loadConfig({ PORT: "x" })).toThrow(/invalid configuration: PORT: /);
    expect(() => loadConfig({ MAX_EXECUTION_MS: "0" })).toThrow(/MAX_EXECUTION_MS: /);
    expect(loadConfig({ PORT: "" }).port).toBe(4000);
    expect(() => loadConfig({ WORKERS: "2" })).toThrow(/WORKERS > 1 needs DATABASE_URL and REDIS_URL/);
  });
});
