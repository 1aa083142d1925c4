/**
 * Progress for long work: a redrawn bar with rows/s and ETA on a TTY, nothing at all when
 * the stream is piped (so output stays parseable). ETA comes from bytes read of a file of
 * known size, so it needs no first pass to count rows.
 */
import { formatCount, formatDuration } from "./output.js";

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface ProgressUpdate {
  rows: number;
  bytes: number;
}

export interface Progress {
  update(state: ProgressUpdate): void;
  done(): void;
}

export const silentProgress: Progress = { update() {}, done() {} };

export interface ProgressOptions {
  label: string;
  totalBytes: number;
  /** Injected clock for tests. */
  now?: () => number;
  /** Redraws at most this often (ms). */
  intervalMs?: number;
}

/** The bar's text for one state; exported so it can be tested without a terminal. */
export function renderProgressLine(
  label: string,
  state: ProgressUpdate,
  totalBytes: number,
  elapsedMs: number,
  width = 20,
): string {
  const fraction = totalBytes > 0 ? Math.min(1, state.bytes / totalBytes) : 0;
  const filled = Math.round(fraction * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? state.rows / seconds : 0;
  const bytesRate = seconds > 0 ? state.bytes / seconds : 0;
  const eta = bytesRate > 0 ? (totalBytes - state.bytes) / bytesRate : Number.NaN;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${label} [${bar}] ${pct} ${formatCount(state.rows)} rows ${formatCount(Math.round(rate))} rows/s ETA ${formatDuration(eta)}`;
}

export function createProgress(stream: ProgressStream, options: ProgressOptions): Progress {
  if (!stream.isTTY) return silentProgress;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  const started = now();
  let lastDraw = 0;
  let last: ProgressUpdate = { rows: 0, bytes: 0 };
  const draw = () => {
    const line = renderProgressLine(options.label, last, options.totalBytes, now() - started);
    // A terminal that reports no width (0 or unknown columns) gets the whole line.
    const columns = stream.columns ?? 0;
    const shown = columns > 1 ? line.slice(0, columns - 1) : line;
    stream.write(`\r${shown}\x1b[K`);
  };
  return {
    update(state) {
      last = state;
      const t = now();
      if (t - lastDraw >= interval) {
        lastDraw = t;
        draw();
      }
    },
    done() {
      draw();
      stream.write("\n");
    },
  };
}
