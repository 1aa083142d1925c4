import { ConfigError } from "@ple/db";
import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT_BYTES, readApiEnv } from "../src/env.js";

describe("readApiEnv", () => {
  it("defaults to 127.0.0.1:3000, a 1 MiB body limit and info logs", () => {
    expect(readApiEnv({})).toEqual({
      PORT: 3000,
      HOST: "127.0.0.1",
      PLE_API_BODY_LIMIT_BYTES: DEFAULT_BODY_LIMIT_BYTES,
      PLE_API_WORKERS: 1,
      PLE_API_SHUTDOWN_TIMEOUT_MS: 10_000,
      LOG_LEVEL: "info",
      PLE_API_KEY_CACHE_MS: 5_000,
      PLE_NATS_STREAM: "PLE_EVENTS",
      PLE_NATS_SUBJECT: "ple.events",
    });
  });

  it("reads the variables it owns and treats empty ones as unset", () => {
    const env = readApiEnv({
      PORT: "8080",
      HOST: "0.0.0.0",
      PLE_API_BODY_LIMIT_BYTES: "4096",
      LOG_LEVEL: "",
    });
    expect(env).toMatchObject({
      PORT: 8080,
      HOST: "0.0.0.0",
      PLE_API_BODY_LIMIT_BYTES: 4096,
      LOG_LEVEL: "info",
    });
    expect(env.PLE_NATS_URL).toBeUndefined();
    expect(readApiEnv({ PLE_NATS_URL: "nats://127.0.0.1:4222" })).toMatchObject({
      PLE_NATS_URL: "nats://127.0.0.1:4222",
      PLE_NATS_STREAM: "PLE_EVENTS",
      PLE_NATS_SUBJECT: "ple.events",
    });
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PLE_API_BODY_LIMIT_BYTES", "12"],
    ["LOG_LEVEL", "loud"],
    ["PLE_API_WORKERS", "0"],
    ["PLE_API_WORKERS", "65"],
    ["PLE_API_WORKERS", "two"],
    ["PLE_API_KEY_CACHE_MS", "-1"],
    ["PLE_API_KEY_CACHE_MS", "600000"],
    ["PLE_NATS_URL", "http://127.0.0.1:4222"],
    ["PLE_NATS_STREAM", "ple.events"],
    ["PLE_NATS_SUBJECT", "ple.>"],
  ])("refuses %s=%s with one line naming the variable", (name, value) => {
    expect(() => readApiEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => readApiEnv({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
