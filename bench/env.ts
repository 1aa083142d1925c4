/**
 * The benchmark's settings: the only module of bench/ that reads the command line and
 * process.env (flags win over the environment; see run.ts for the list).
 */
function setting(flag: string, env: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${flag}=`));
  return arg?.slice(flag.length + 3) ?? process.env[env] ?? fallback;
}

function count(flag: string, env: string, fallback: number): number {
  const raw = setting(flag, env, String(fallback));
  const value = Number(raw.replace(/_/g, ""));
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${flag} / ${env} must be a whole number ≥ 1, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

export const N = count("n", "BENCH_N", 200_000);
export const NAIVE_N = Math.min(N, count("naive-n", "BENCH_NAIVE_N", 20_000));
export const SEARCH_N = count("search-n", "BENCH_SEARCH_N", 500_000);
export const API_SECONDS = count("api-seconds", "BENCH_API_SECONDS", 10);
export const CLAIM_ROUNDS = count("claim-rounds", "BENCH_CLAIM_ROUNDS", 100);
export const EVENTS_N = count("events-n", "BENCH_EVENTS_N", 100_000);
export const ONLY = new Set(
  setting("only", "BENCH_ONLY", "import,people,api,search,export,claim,events").split(","),
);
/** The NATS server (JetStream on) the change-feed relay publishes to. */
export const NATS_URL = setting("nats-url", "BENCH_NATS_URL", "nats://127.0.0.1:4222");
export const ADMIN_URL = setting(
  "database-url",
  "BENCH_DATABASE_URL",
  process.env.PLE_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
);
/** csv-read.ts: the file to read (else it writes an export of N rows). */
export const CSV_FILE = setting("file", "BENCH_CSV_FILE", "");
export const KEEP = process.argv.includes("--keep");
