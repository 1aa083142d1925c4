/**
 * What must never leave the process in clear: e-mail addresses (PII) in logs
 * and error messages, and API keys anywhere.
 */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const API_KEY = /ple_[A-Za-z0-9_-]{8,}/g;

/** "jane.doe@acme.com" → "j***@acme.com"; API keys → "ple_***". */
export function maskText(text: string): string {
  return text.replace(EMAIL, "$1***@$2").replace(API_KEY, "ple_***");
}

/** maskText applied to every string inside a JSON-like value (Dates and other objects kept). */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskDeep(item, depth + 1);
  return out;
}
