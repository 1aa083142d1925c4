import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";

function capture(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, destination: { isTTY, write: (line: string) => lines.push(line) } };
}

describe("createLogger", () => {
  it("writes readable lines on a terminal: time, level, message and the key fields", () => {
    const { lines, destination } = capture(true);
    createLogger({ destination }).info(
      { requestId: "r-1", path: "/health", status: 200 },
      "request",
    );
    expect(lines).toHaveLength(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are stripped
    const line = (lines[0] ?? "").replace(/\u001b\[[0-9;]*m/g, "");
    expect(line).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z\] INFO \(ple-api\): request .*requestId.*"r-1".*path.*"\/health".*status.*200/,
    );
    expect(line).not.toMatch(/^\{/);
  });

  it("writes one JSON object per line otherwise, with the same fields and an ISO time", () => {
    const { lines, destination } = capture(false);
    createLogger({ destination }).info({ requestId: "r-1", path: "/health" }, "request");
    const entry = JSON.parse(lines[0] ?? "{}");
    expect(entry).toMatchObject({ level: 30, msg: "request", requestId: "r-1", path: "/health" });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("masks e-mail addresses in readable lines too", () => {
    const { lines, destination } = capture(true);
    createLogger({ destination }).info({ email: "naomi@example.com" }, "person");
    expect(lines.join("")).not.toContain("naomi@");
  });
});
