import { describe, expect, it } from "vitest";
import { formatDuration, renderJson, renderRecord, renderTable } from "../src/output.js";
import { createProgress, renderProgressLine } from "../src/progress.js";
import { captureIo } from "./helpers.js";

describe("tables", () => {
  it("aligns columns under upper-case headings and shows dates as ISO", () => {
    const text = renderTable([
      { uid: "CO-20260101-000001", name: "Acme", created_at: new Date("2026-01-01T00:00:00Z") },
      { uid: "CO-20260101-000002", name: "Globex Corporation", created_at: null },
    ]);
    expect(text.split("\n")).toEqual([
      "UID                 NAME                CREATED_AT",
      "CO-20260101-000001  Acme                2026-01-01T00:00:00.000Z",
      "CO-20260101-000002  Globex Corporation",
    ]);
  });

  it("says (none) for no rows and cuts long cells", () => {
    expect(renderTable([])).toBe("(none)");
    const long = renderTable([{ v: "x".repeat(100) }]);
    expect(long.split("\n")[1]).toHaveLength(80);
  });

  it("renders a record as key/value lines and JSON with ISO dates", () => {
    expect(renderRecord({ a: 1, longer: "x" })).toBe("a       1\nlonger  x");
    expect(JSON.parse(renderJson({ at: new Date("2026-01-01T00:00:00Z") }))).toEqual({
      at: "2026-01-01T00:00:00.000Z",
    });
  });

  it("formats durations", () => {
    expect(formatDuration(5)).toBe("0:05");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatDuration(Number.NaN)).toBe("--:--");
  });
});

describe("progress", () => {
  it("shows percentage, rows, rows/s and ETA", () => {
    const line = renderProgressLine("import", { rows: 500, bytes: 250 }, 1000, 2000, 10);
    expect(line).toBe("import [###-------]  25% 500 rows 250 rows/s ETA 0:06");
  });

  it("draws on a TTY and stays silent when piped", () => {
    let now = 0;
    const tty = captureIo({ tty: true });
    const bar = createProgress(tty.stderr, { label: "x", totalBytes: 100, now: () => now });
    now = 1000;
    bar.update({ rows: 10, bytes: 50 });
    bar.done();
    expect(tty.err()).toContain("10 rows");
    expect(tty.err().endsWith("\n")).toBe(true);

    const piped = captureIo({ tty: false });
    const quiet = createProgress(piped.stderr, { label: "x", totalBytes: 100 });
    quiet.update({ rows: 10, bytes: 50 });
    quiet.done();
    expect(piped.err()).toBe("");
  });

  it("draws the whole line on a terminal that reports 0 columns, and cuts it to fit a narrow one", () => {
    const writes = (columns: number) => {
      let out = "";
      const stream = {
        isTTY: true,
        columns,
        write(chunk: string) {
          out += chunk;
          return true;
        },
      };
      const bar = createProgress(stream, { label: "import", totalBytes: 100, now: () => 1000 });
      bar.update({ rows: 10, bytes: 100 });
      bar.done();
      return out;
    };
    const whole = renderProgressLine("import", { rows: 10, bytes: 100 }, 100, 0);
    expect(writes(0)).toContain(`\r${whole}\x1b[K`);
    expect(writes(21)).toContain(`\r${whole.slice(0, 20)}\x1b[K`);
  });
});
