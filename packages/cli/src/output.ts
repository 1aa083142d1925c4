/** Formatting at the edge: human tables and key/value blocks, and `--json`. */

/** One cell's text: dates as ISO timestamps, null as an empty cell, objects as compact JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return JSON.stringify(value);
}

const MAX_CELL = 80;

function cell(value: unknown): string {
  const text = formatValue(value).replace(/[\r\n\t]+/g, " ");
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

/** A plain-text table; columns default to the keys of the first row. */
export function renderTable(
  rows: readonly Record<string, unknown>[],
  columns?: readonly string[],
): string {
  const first = rows[0];
  const cols = columns ?? (first ? Object.keys(first) : []);
  if (rows.length === 0) return "(none)";
  const cells = rows.map((row) => cols.map((c) => cell(row[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...cells.map(line)].join("\n");
}

/** One record as aligned `key  value` lines. */
export function renderRecord(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${formatValue(record[k])}`).join("\n");
}

/** `--json` output: stable two-space JSON, dates as ISO strings. */
export function renderJson(data: unknown): string {
  return JSON.stringify(
    data,
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    2,
  );
}

/** "1,234" — counts in summaries. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "1:05" or "1:02:03" for an ETA or an elapsed time. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
