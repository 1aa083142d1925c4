/**
 * superjson.serialize for the API's answers, without copying them. An answer made only of
 * plain objects, arrays, strings, finite numbers, booleans, null and valid Dates (every answer
 * PLE's procedures give) is serialized as `{json: value, meta: {values, v: 1}}`: the value itself
 * (JSON.stringify writes a Date as its toISOString(), as superjson's json holds it) and the
 * superjson path of each Date, built level by level as superjson's walker builds it, so the key
 * order of `values` is the same. Anything else (undefined, NaN, ±Infinity, -0, bigint, Map, Set,
 * Error, RegExp, URL, class instances, Date subclasses, functions, an object met twice — shared
 * or circular, which superjson describes in referentialEqualities — or a key superjson refuses)
 * goes to superjson.serialize itself. Nothing is registered with superjson in this project
 * (registerClass/registerCustom), which this relies on.
 *
 * Measured reason: superjson's walker was ~11% of the server's CPU on companies.get (bench,
 * `--cpu-prof`), copying every object and array of the answer and every path as an array.
 */
import superjson from "superjson";

type Annotations = ["Date"] | { [path: string]: ["Date"] };
type SuperjsonResult = ReturnType<typeof superjson.serialize>;

/** Returned by walk() when superjson itself must serialize the value. */
const UNSUPPORTED = Symbol("unsupported");

/** superjson's escapeKey. */
function escapeKey(key: string): string {
  return key.includes("\\") || key.includes(".")
    ? key.replace(/\\/g, "\\\\").replace(/\./g, "\\.")
    : key;
}

/** Merges a child's annotations into its parent's under the child's key, as superjson's walker does. */
function addChild(
  inner: { [path: string]: ["Date"] } | undefined,
  key: string,
  child: Annotations,
): { [path: string]: ["Date"] } {
  const into = inner ?? {};
  if (Array.isArray(child)) {
    into[escapeKey(key)] = child;
  } else {
    const prefix = `${escapeKey(key)}.`;
    for (const path in child) into[prefix + path] = child[path] as ["Date"];
  }
  return into;
}

function walk(value: unknown, seen: Set<object>): Annotations | undefined | typeof UNSUPPORTED {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? undefined : UNSUPPORTED;
    case "object": {
      if (value === null) return undefined;
      if (seen.has(value)) return UNSUPPORTED;
      seen.add(value);
      const prototype = Object.getPrototypeOf(value);
      if (prototype === Date.prototype) {
        return Number.isNaN((value as Date).getTime()) ? UNSUPPORTED : ["Date"];
      }
      let inner: { [path: string]: ["Date"] } | undefined;
      if (Array.isArray(value)) {
        // superjson also walks an array's other own keys, which JSON.stringify leaves out.
        if (prototype !== Array.prototype || Object.keys(value).length !== value.length) {
          return UNSUPPORTED;
        }
        for (let index = 0; index < value.length; index++) {
          const child = walk(value[index], seen);
          if (child === UNSUPPORTED) return UNSUPPORTED;
          if (child !== undefined) inner = addChild(inner, String(index), child);
        }
        return inner;
      }
      if (prototype !== Object.prototype && prototype !== null) return UNSUPPORTED;
      for (const key of Object.keys(value)) {
        if (key === "__proto__" || key === "constructor" || key === "prototype") {
          return UNSUPPORTED;
        }
        const child = walk((value as Record<string, unknown>)[key], seen);
        if (child === UNSUPPORTED) return UNSUPPORTED;
        if (child !== undefined) inner = addChild(inner, key, child);
      }
      return inner;
    }
    default:
      return UNSUPPORTED;
  }
}

/** What superjson.serialize(value) gives, once through JSON.stringify. */
export function serializeAnswer(value: unknown): SuperjsonResult {
  const annotations = walk(value, new Set());
  if (annotations === UNSUPPORTED) return superjson.serialize(value);
  if (annotations === undefined) return { json: value as SuperjsonResult["json"] };
  return {
    json: value as SuperjsonResult["json"],
    meta: { values: annotations, v: 1 } as SuperjsonResult["meta"],
  };
}
