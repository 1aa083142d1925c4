/**
 * Unicode Normalization Form C from the data in nfc-data.ts (Unicode 17.0, the version of the
 * IDNA tables), not from the runtime's `String.prototype.normalize`, whose ICU moves with the
 * Node.js version. `marketing.nfc` in @ple/db runs the same algorithm on the same data.
 */
import { NFC_COMBINING_CLASSES, NFC_COMPOSITIONS, NFC_DECOMPOSITIONS } from "./nfc-data.js";

const S_BASE = 0xac00;
const L_BASE = 0x1100;
const V_BASE = 0x1161;
const T_BASE = 0x11a7;
const L_COUNT = 19;
const V_COUNT = 21;
const T_COUNT = 28;
const N_COUNT = V_COUNT * T_COUNT;
const S_COUNT = L_COUNT * N_COUNT;

function rows(data: string): number[][] {
  return data.split(";").map((row) => row.split(",").map(Number));
}

let tables:
  | {
      decompositions: Map<number, number[]>;
      classes: Map<number, number>;
      compositions: Map<number, number>;
    }
  | undefined;

/** The tables, parsed on first use (most hosts are ASCII and never need them). */
function load() {
  if (tables === undefined) {
    const decompositions = new Map<number, number[]>();
    for (const [cp = 0, ...mapping] of rows(NFC_DECOMPOSITIONS)) decompositions.set(cp, mapping);
    const classes = new Map<number, number>();
    for (const [cp = 0, rank = 0] of rows(NFC_COMBINING_CLASSES)) classes.set(cp, rank);
    const compositions = new Map<number, number>();
    for (const [first = 0, second = 0, composite = 0] of rows(NFC_COMPOSITIONS)) {
      compositions.set(first * 0x110000 + second, composite);
    }
    tables = { decompositions, classes, compositions };
  }
  return tables;
}

/** The rank of a code point's canonical combining class; 0 for starters. */
export function combiningClass(cp: number): number {
  return load().classes.get(cp) ?? 0;
}

function decompose(cp: number, out: number[]): void {
  const s = cp - S_BASE;
  if (s >= 0 && s < S_COUNT) {
    out.push(L_BASE + Math.floor(s / N_COUNT), V_BASE + Math.floor((s % N_COUNT) / T_COUNT));
    if (s % T_COUNT !== 0) out.push(T_BASE + (s % T_COUNT));
    return;
  }
  const mapping = load().decompositions.get(cp);
  if (mapping === undefined) out.push(cp);
  else out.push(...mapping);
}

function compose(first: number, second: number): number | undefined {
  const l = first - L_BASE;
  const v = second - V_BASE;
  if (l >= 0 && l < L_COUNT && v >= 0 && v < V_COUNT) return S_BASE + (l * V_COUNT + v) * T_COUNT;
  const s = first - S_BASE;
  const t = second - T_BASE;
  if (s >= 0 && s < S_COUNT && s % T_COUNT === 0 && t > 0 && t < T_COUNT) return first + t;
  return load().compositions.get(first * 0x110000 + second);
}

/** NFC of a sequence of code points. */
export function nfcCodePoints(input: readonly number[]): number[] {
  const decomposed: number[] = [];
  for (const cp of input) decompose(cp, decomposed);
  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  const ccc = decomposed.map(combiningClass);
  for (let i = 1; i < decomposed.length; i++) {
    const c = ccc[i] ?? 0;
    if (c === 0) continue;
    const cp = decomposed[i] ?? 0;
    let j = i;
    while (j > 0 && (ccc[j - 1] ?? 0) > c) {
      decomposed[j] = decomposed[j - 1] ?? 0;
      ccc[j] = ccc[j - 1] ?? 0;
      j--;
    }
    decomposed[j] = cp;
    ccc[j] = c;
  }
  // Canonical composition: each code point joins the last starter unless something between blocks it.
  const out: number[] = [];
  let starter = -1;
  let lastClass = -1; // -1: nothing between the starter and the current code point
  for (let i = 0; i < decomposed.length; i++) {
    const cp = decomposed[i] ?? 0;
    const c = ccc[i] ?? 0;
    if (starter >= 0 && (lastClass === -1 || lastClass < c)) {
      const composite = compose(out[starter] ?? 0, cp);
      if (composite !== undefined) {
        out[starter] = composite;
        continue;
      }
    }
    if (c === 0) {
      starter = out.length;
      lastClass = -1;
    } else {
      lastClass = c;
    }
    out.push(cp);
  }
  return out;
}

/** NFC of a string (which must hold no lone surrogates). */
export function nfc(value: string): string {
  // Below U+0300 nothing decomposes, reorders or composes.
  if (!/[\u0300-\u{10ffff}]/u.test(value)) return value;
  return String.fromCodePoint(...nfcCodePoints(Array.from(value, (c) => c.codePointAt(0) ?? 0)));
}
