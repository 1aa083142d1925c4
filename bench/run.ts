/**
 * `pnpm bench`: the import, API and search benchmarks in one run on one PostgreSQL server,
 * each in scratch databases it creates and drops. Prints rows/s, latencies and the ratios
 * the targets are stated in; never part of `pnpm test`, and no wall-clock time gates anything.
 *
 * Sizes (flags win over the environment):
 *   --n=200000          BENCH_N          rows of the import file (the RSS run also imports 4N)
 *   --naive-n=20000     BENCH_NAIVE_N    rows the naive per-row path gets (rows/s extrapolates)
 *   --search-n=500000   BENCH_SEARCH_N   companies (and as many people) for search and API
 *   --api-seconds=10    BENCH_API_SECONDS  how long each API side (and raw pg) is measured, in
 *                                        3 rounds that alternate the sides
 *   --claim-rounds=100  BENCH_CLAIM_ROUNDS  claims per worker (10 workers) in the claim run
 *   --events-n=100000   BENCH_EVENTS_N   change-feed events the relay publishes to NATS JetStream
 *   --nats-url=…        BENCH_NATS_URL   NATS with JetStream (default nats://127.0.0.1:4222)
 *   --only=import,people,api,search,export,claim,events  run only these parts (export and claim
 *                                        use the search database of SEARCH_N companies; people
 *                                        imports N accounts, then N contacts naming them)
 *   --keep                               keep the scratch databases (to EXPLAIN or profile them)
 *   BENCH_DATABASE_URL (else PLE_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 */
import { spawn } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as connectNats } from "@nats-io/transport-node";
import { runEventRelay } from "@ple/api";
import { createPleClient } from "@ple/api/client";
import { normaliseEin } from "@ple/core";
import {
  claimSlots,
  getCompany,
  getPerson,
  migrateLatest,
  openDatabase,
  type PleDatabase,
  releaseSlotLeases,
  searchCompanies,
} from "@ple/db";
import { parse } from "csv-parse";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import {
  ADMIN_URL,
  API_SECONDS,
  CLAIM_ROUNDS,
  EVENTS_N,
  KEEP,
  N,
  NAIVE_N,
  NATS_URL,
  ONLY,
  SEARCH_N,
} from "./env.js";
import {
  company,
  contactKind,
  contactRow,
  newCompanies,
  writeContacts,
  writeExport,
} from "./generate.js";
import { createLeanClient } from "./lean-client.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const WORK = mkdtempSync(join(tmpdir(), "ple-bench-"));
const UID_DAY = "20260101";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const scratch = new Set<string>();

function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated scratch database; dropped at the end of the run. */
async function scratchDatabase(name: string): Promise<string> {
  const database = `ple_bench_${process.pid}_${name}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${database}"`);
  });
  scratch.add(database);
  const db = await openDatabase({ url: urlFor(database), poolMax: 2 });
  try {
    await migrateLatest(db);
  } finally {
    await db.close();
  }
  return urlFor(database);
}

async function dropScratch(url: string): Promise<void> {
  const database = new URL(url).pathname.slice(1);
  if (KEEP) {
    log(`kept ${database}`);
    return;
  }
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  scratch.delete(database);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "n/a";
const ms = (n: number) => `${fmt(n, 2)} ms`;
const verdict = (hit: boolean) => (hit ? "hit" : "MISS");

function log(line: string) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const report: string[] = [];
function out(line = "") {
  report.push(line);
  console.log(line);
}

/** COPY text format: tab-separated, \N for null, backslash escapes. */
function copyField(value: string | number | boolean | null): string {
  if (value === null) return "\\N";
  return String(value)
    .replace(/\\/g, "\\\\")
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

/** Streams rows into COPY … FROM STDIN, a 64 KiB chunk at a time. */
async function copyRows(
  client: pg.Client,
  sql: string,
  rows: Iterable<Array<string | number | boolean | null>>,
): Promise<void> {
  const stream = client.query(copyFrom(sql));
  async function* chunks() {
    let chunk = "";
    for (const row of rows) {
      chunk += `${row.map(copyField).join("\t")}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(chunks, stream as unknown as Writable);
}

const uidOf = (k: number) => `CO-${UID_DAY}-${String(k + 1).padStart(6, "0")}`;
const einValid = (ein: string) => {
  const r = normaliseEin(ein);
  return r.ok ? r.value.valid : null;
};

function* companyCopyRows(ks: Iterable<number>) {
  const now = new Date().toISOString();
  let counter = 0;
  for (const k of ks) {
    const c = company(k);
    const ein = k % 10 < 7 ? c.ein : null;
    yield [
      uidOf(counter++),
      c.name,
      c.domain,
      c.apolloId,
      ein,
      ein === null ? null : einValid(ein),
      now,
      now,
    ];
  }
}

function* slotCopyRows(companies: number) {
  const now = new Date().toISOString();
  for (let i = 0; i < companies; i++) {
    const uid = uidOf(i);
    for (const role of ["CEO", "CFO", "HR"])
      yield [`SL-${uid}-${role}`, uid, role, "open", null, now, now];
  }
}

/** Runs a bench script in a child node process; resolves to the JSON line it prints. */
interface ImportChildResult {
  rows: number;
  created: number;
  existing: number;
  rejected: number;
  ms: number;
  cpu_ms: number;
  baseline_rss_mb: number;
  max_rss_mb: number;
  quarter_rows_per_sec?: number[];
}

function runChild<T = ImportChildResult>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, script), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`${script} exited with ${code}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}"));
    });
  });
}

// ---------------------------------------------------------------------------
// Import: raw COPY, `ple import companies` (N and 4N), naive per-row
// ---------------------------------------------------------------------------

interface ImportFigures {
  copyRowsPerSec: number;
  importRowsPerSec: number;
  import4RowsPerSec: number;
  naiveRowsPerSec: number;
  rssN: number;
  rss4N: number;
}

async function rawCopy(): Promise<number> {
  const url = await scratchDatabase("copy");
  let companies = 0;
  for (const _ of newCompanies(N)) companies++;
  try {
    return await withClient(url, async (client) => {
      await client.query(`
        CREATE SCHEMA bare;
        CREATE TABLE bare.company (LIKE marketing.company INCLUDING DEFAULTS INCLUDING INDEXES);
        CREATE TABLE bare.company_slot (LIKE marketing.company_slot INCLUDING DEFAULTS INCLUDING INDEXES);`);
      const started = performance.now();
      await copyRows(
        client,
        "COPY bare.company (company_uid, company_name, website, apollo_company_id, ein_raw, ein_valid, created_at, updated_at) FROM STDIN",
        companyCopyRows(newCompanies(N)),
      );
      await copyRows(
        client,
        "COPY bare.company_slot (slot_uid, company_uid, role, status, person_id, created_at, updated_at) FROM STDIN",
        slotCopyRows(companies),
      );
      const elapsed = performance.now() - started;
      log(`raw COPY: ${fmt(companies)} companies + ${fmt(companies * 3)} slots in ${ms(elapsed)}`);
      return (N / elapsed) * 1000;
    });
  } finally {
    await dropScratch(url);
  }
}

/**
 * What the import left behind that could make it slower as the tables grow: index and table
 * sizes against shared_buffers, index blocks read from outside shared_buffers, checkpoints and
 * autovacuum runs during the import (pg_stat_* of this scratch database and the server).
 */
async function tableGrowth(c: pg.Client): Promise<string> {
  const r = await c.query(`SELECT
      current_setting('shared_buffers') AS shared_buffers,
      pg_size_pretty(sum(pg_relation_size(i.indexrelid))) AS index_size,
      pg_size_pretty((SELECT sum(pg_table_size(t.relid)) FROM pg_stat_user_tables AS t WHERE t.schemaname = 'marketing')) AS table_size,
      sum(s.idx_blks_read)::bigint AS idx_read, sum(s.idx_blks_hit)::bigint AS idx_hit,
      (SELECT string_agg(ix.indexrelname || ' ' || ix.idx_blks_read, ', ' ORDER BY ix.idx_blks_read DESC)
         FROM (SELECT * FROM pg_statio_user_indexes WHERE schemaname = 'marketing' ORDER BY idx_blks_read DESC LIMIT 4) AS ix) AS top_read,
      (SELECT sum(autovacuum_count + autoanalyze_count)::int FROM pg_stat_user_tables WHERE schemaname = 'marketing') AS autovacuums,
      (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)::int AS checkpoints_total
    FROM pg_stat_user_indexes AS i JOIN pg_statio_user_indexes AS s USING (indexrelid)
    WHERE i.schemaname = 'marketing'`);
  const g = r.rows[0] as Record<string, string | number>;
  return (
    `tables ${g.table_size}, indexes ${g.index_size} (shared_buffers ${g.shared_buffers}); ` +
    `index blocks read ${fmt(Number(g.idx_read))} / hit ${fmt(Number(g.idx_hit))} (most read: ${g.top_read}); ` +
    `autovacuum+analyze runs ${g.autovacuums}; server checkpoints so far ${g.checkpoints_total}`
  );
}

async function bulkImport(file: string, rows: number, label: string) {
  const url = await scratchDatabase(label);
  try {
    log(`ple import companies of ${fmt(rows)} rows (${label}) …`);
    const result = await runChild("import-child.js", [file, url]);
    const growth = await withClient(url, tableGrowth);
    const check = await withClient(url, async (c) => {
      const r = await c.query(`SELECT (SELECT count(*) FROM marketing.company)::int AS companies,
        (SELECT count(*) FROM marketing.company_slot)::int AS slots,
        (SELECT count(*) FROM marketing.audit_log)::int AS audit,
        (SELECT count(*) FROM marketing.import_reject)::int AS rejects`);
      return r.rows[0] as { companies: number; slots: number; audit: number; rejects: number };
    });
    log(
      `  ${fmt(result.rows)} rows: ${fmt(result.created)} created, ${fmt(result.existing)} existing, ` +
        `${fmt(result.rejected)} rejected in ${ms(result.ms)}; peak RSS ${fmt(result.max_rss_mb, 1)} MB ` +
        `(after start-up ${fmt(result.baseline_rss_mb, 1)} MB); DB: ${fmt(check.companies)} companies, ` +
        `${fmt(check.slots)} slots, ${fmt(check.audit)} audit rows, ${fmt(check.rejects)} rejects`,
    );
    const quarters = (result.quarter_rows_per_sec ?? []).map((r) => fmt(r)).join(" / ");
    log(`  rows/s by quarter of the file: ${quarters}`);
    log(`  ${growth}`);
    if (
      check.companies !== result.created ||
      check.slots !== 3 * check.companies ||
      check.rejects !== result.rejected
    ) {
      throw new Error(`${label}: the database does not hold what the import reported`);
    }
    return { ...result, rowsPerSec: (rows / result.ms) * 1000, check };
  } finally {
    await dropScratch(url);
  }
}

async function naive(file: string): Promise<number> {
  const url = await scratchDatabase("naive");
  try {
    return await withClient(url, async (client) => {
      const parser = createReadStream(file).pipe(parse({ bom: true, columns: true, to: NAIVE_N }));
      let created = 0;
      let failed = 0;
      const started = performance.now();
      for await (const r of parser as AsyncIterable<Record<string, string>>) {
        const blank = (v: string | undefined) => (v === undefined || v.trim() === "" ? null : v);
        try {
          await client.query("SELECT marketing.insert_company_with_slots($1, $2, $3, $4)", [
            r.Company ?? "",
            r.Website ?? "",
            blank(r["Apollo Account Id"]),
            blank(r.EIN),
          ]);
          created++;
        } catch {
          failed++;
        }
      }
      const elapsed = performance.now() - started;
      log(`naive: ${fmt(created + failed)} rows (${fmt(failed)} refused) in ${ms(elapsed)}`);
      return ((created + failed) / elapsed) * 1000;
    });
  } finally {
    await dropScratch(url);
  }
}

async function importBench(): Promise<ImportFigures> {
  const fileN = join(WORK, `accounts-${N}.csv`);
  const file4N = join(WORK, `accounts-${4 * N}.csv`);
  log(`generating ${fmt(N)} and ${fmt(4 * N)} rows …`);
  await writeExport(fileN, N);
  await writeExport(file4N, 4 * N);
  // The limit is COPY's faster of two runs: the first COPY after the machine started ran 8.2 s
  // for 200,000 rows against 6.3 s for the next (bench/RESULTS.md, 2026-12-06), which made the
  // import look nearer to the limit than it was.
  const copyRowsPerSec = Math.max(await rawCopy(), await rawCopy());
  const atN = await bulkImport(fileN, N, "import_n");
  const at4N = await bulkImport(file4N, 4 * N, "import_4n");
  const naiveRowsPerSec = await naive(fileN);
  return {
    copyRowsPerSec,
    importRowsPerSec: atN.rowsPerSec,
    import4RowsPerSec: at4N.rowsPerSec,
    naiveRowsPerSec,
    rssN: atN.max_rss_mb,
    rss4N: at4N.max_rss_mb,
  };
}

// ---------------------------------------------------------------------------
// People import: N contacts into a database that holds the companies of N accounts
// ---------------------------------------------------------------------------

interface PeopleFigures {
  copyRowsPerSec: number;
  companyRowsPerSec: number;
  peopleRowsPerSec: number;
  people: ImportChildResult;
}

const personUidOf = (k: number) => `PE-${UID_DAY}-${String(k + 1).padStart(6, "0")}`;

/** The people a contact import of n rows creates, as COPY rows of bare.people. */
function* personCopyRows(n: number) {
  const now = new Date().toISOString();
  let counter = 0;
  for (let j = 0; j < n; j++) {
    const kind = contactKind(j);
    if (kind === "bad" || kind === "duplicate") continue;
    const [first, last, title, , email, , linkedin] = contactRow(j);
    yield [
      personUidOf(counter++),
      `${first} ${last}`,
      email ?? "",
      linkedin ? linkedin.toLowerCase() : null,
      uidOf(Math.floor(j / 2)),
      title ?? null,
      "apollo",
      "valid",
      "apollo",
      "Verified",
      now,
      now,
      now,
    ];
  }
}

/**
 * The limit: the created people's rows COPYed into a bare copy of marketing.people with the same
 * indexes (no triggers, no constraints but the indexes' own).
 */
async function rawPeopleCopy(n: number): Promise<number> {
  const url = await scratchDatabase("people_copy");
  try {
    return await withClient(url, async (client) => {
      await client.query(`
        CREATE SCHEMA bare;
        CREATE TABLE bare.people (LIKE marketing.people INCLUDING DEFAULTS INCLUDING INDEXES);`);
      const started = performance.now();
      await copyRows(
        client,
        "COPY bare.people (person_id, name, email, linkedin_url, company_uid, title, source, validation_status, validation_provider, validation_result_raw, validated_at, created_at, updated_at) FROM STDIN",
        personCopyRows(n),
      );
      const elapsed = performance.now() - started;
      const copied = Number(
        (await client.query("SELECT count(*) FROM bare.people")).rows[0]?.count,
      );
      log(`raw people COPY: ${fmt(copied)} people in ${ms(elapsed)}`);
      return (n / elapsed) * 1000;
    });
  } finally {
    await dropScratch(url);
  }
}

/**
 * `ple import companies` of N accounts, then `ple import people` of N contacts (two per company
 * of the first N/2 accounts: Apollo's columns, Email Status, titles for the three slots) into
 * the same database, each in its own process; the database is checked against both summaries.
 */
async function peopleBench(): Promise<PeopleFigures> {
  const accounts = join(WORK, `people-accounts-${N}.csv`);
  const contacts = join(WORK, `contacts-${N}.csv`);
  log(`generating ${fmt(N)} accounts and ${fmt(N)} contacts …`);
  await writeExport(accounts, N);
  await writeContacts(contacts, N);
  const copyRowsPerSec = await rawPeopleCopy(N);
  const url = await scratchDatabase("people");
  try {
    log(`ple import companies of ${fmt(N)} rows (people database) …`);
    const companies = await runChild("import-child.js", [accounts, url, "-", "companies"]);
    log(`ple import people of ${fmt(N)} rows (load average ${load1()}) …`);
    const people = await runChild("import-child.js", [contacts, url, "-", "people"]);
    const check = await withClient(url, async (c) => {
      const r = await c.query(`SELECT (SELECT count(*) FROM marketing.people)::int AS people,
        (SELECT count(*) FROM marketing.company_slot WHERE person_id IS NOT NULL)::int AS linked,
        (SELECT count(*) FROM marketing.people WHERE validation_provider = 'apollo')::int AS validated,
        (SELECT count(*) FROM marketing.import_reject)::int AS rejects`);
      return r.rows[0] as { people: number; linked: number; validated: number; rejects: number };
    });
    log(
      `  ${fmt(people.rows)} contacts: ${fmt(people.created)} created, ${fmt(people.existing)} existing, ` +
        `${fmt(people.rejected)} rejected in ${ms(people.ms)} (CPU of the import process ${ms(people.cpu_ms)}); ` +
        `peak RSS ${fmt(people.max_rss_mb, 1)} MB; DB: ${fmt(check.people)} people, ${fmt(check.linked)} linked slots, ` +
        `${fmt(check.validated)} Apollo validations, ${fmt(check.rejects)} rejects (both imports)`,
    );
    const quarters = (people.quarter_rows_per_sec ?? []).map((r) => fmt(r)).join(" / ");
    log(`  rows/s by quarter of the file: ${quarters}`);
    if (check.people !== people.created || check.rejects !== people.rejected + companies.rejected) {
      throw new Error("people: the database does not hold what the import reported");
    }
    return {
      copyRowsPerSec,
      companyRowsPerSec: (companies.rows / companies.ms) * 1000,
      peopleRowsPerSec: (people.rows / people.ms) * 1000,
      people,
    };
  } finally {
    await dropScratch(url);
  }
}

// ---------------------------------------------------------------------------
// Search and API (one database of SEARCH_N companies and people)
// ---------------------------------------------------------------------------

/** Fills marketing.* straight through COPY, triggers off: the search data, not the import, is measured here. */
async function fillSearchDatabase(url: string): Promise<void> {
  log(
    `filling ${fmt(SEARCH_N)} companies, ${fmt(3 * SEARCH_N)} slots and ${fmt(SEARCH_N)} people …`,
  );
  await withClient(url, async (client) => {
    await client.query("SET session_replication_role = replica");
    const ks = function* () {
      for (let k = 0; k < SEARCH_N; k++) yield k;
    };
    await copyRows(
      client,
      "COPY marketing.company (company_uid, company_name, website, apollo_company_id, ein_raw, ein_valid, created_at, updated_at) FROM STDIN",
      companyCopyRows(ks()),
    );
    await copyRows(
      client,
      "COPY marketing.company_slot (slot_uid, company_uid, role, status, person_id, created_at, updated_at) FROM STDIN",
      slotCopyRows(SEARCH_N),
    );
    const people = function* () {
      const now = new Date().toISOString();
      for (let k = 0; k < SEARCH_N; k++) {
        const c = company(k);
        yield [
          `PE-${UID_DAY}-${String(k + 1).padStart(6, "0")}`,
          `${c.name.split(" ")[0]} Person ${k}`,
          personEmail(k),
          uidOf(k),
          "apollo",
          now,
          now,
        ];
      }
    };
    await copyRows(
      client,
      "COPY marketing.people (person_id, name, email, company_uid, source, created_at, updated_at) FROM STDIN",
      people(),
    );
    await client.query("SET session_replication_role = origin");
    await client.query(
      "VACUUM ANALYZE marketing.company, marketing.company_slot, marketing.people",
    );
  });
}

const personEmail = (k: number) => `person${k}@${company(k).domain}`;

async function timed(count: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

interface SearchFigures {
  name: number[];
  /** The same queries with one letter dropped: no name contains them, so the fuzzy phase answers. */
  misspelt: number[];
  website: number[];
  apollo: number[];
  email: number[];
}

async function searchBench(url: string): Promise<SearchFigures> {
  const db: PleDatabase = await openDatabase({ url, poolMax: 2 });
  try {
    const pickK = (i: number) =>
      Math.floor((((i * 2654435761) % 4294967296) / 4294967296) * SEARCH_N);
    const Q = 400;
    // Warm-up: the first queries load the indexes' pages.
    await timed(50, (i) =>
      searchCompanies(db.knex, {
        query: company(pickK(i + Q)).name.split(" ")[0] ?? "",
        limit: 20,
      }),
    );
    const nameQuery = (i: number) => {
      const words = company(pickK(i)).name.split(" ");
      // Half the queries a full name, half one of its words.
      return i % 2 === 0 ? words.slice(0, 2).join(" ") : (words[1] ?? words[0] ?? "");
    };
    const name = await timed(Q, (i) =>
      searchCompanies(db.knex, { query: nameQuery(i), limit: 20 }),
    );
    const misspelt = await timed(Q, (i) => {
      const query = nameQuery(i);
      return searchCompanies(db.knex, { query: query.slice(0, 2) + query.slice(3), limit: 20 });
    });
    const website = await timed(Q, (i) =>
      getCompany(db.knex, { website: company(pickK(i)).domain }),
    );
    const apollo = await timed(Q, (i) =>
      getCompany(db.knex, { apollo_company_id: company(pickK(i)).apolloId }),
    );
    const email = await timed(Q, (i) => getPerson(db.knex, { email: personEmail(pickK(i)) }));
    return { name, misspelt, website, apollo, email };
  } finally {
    await db.close();
  }
}

interface LoadFigures {
  requests: number;
  /** Wall time of the run(s), ms. */
  elapsedMs: number;
  /** Every successful call's latency, ms, sorted. */
  times: number[];
  /** CPU time (user + system) of the load generator and of the server over the run(s), ms. */
  clientCpuTotalMs: number;
  serverCpuTotalMs: number;
  /** Calls that failed (an HTTP status other than 200, a wrong body, a pg error); not counted in requests. */
  errors: number;
  perSec: number;
  p50: number;
  p99: number;
  /** CPU time (user + system) of this load-generating process per request, in ms. */
  clientCpuMs: number;
  /** CPU time of the API server process per request, in ms (NaN where not measured). */
  serverCpuMs: number;
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc (Linux; USER_HZ = 100);
 * NaN elsewhere. On a shared machine, CPU per request is steadier than requests/s.
 */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const CLIENTS = 32;

async function load(
  seconds: number,
  call: (worker: number, i: number) => Promise<unknown>,
  serverPid?: number,
): Promise<LoadFigures> {
  const serverCpu = processCpuMs(serverPid);
  const clientCpu = process.cpuUsage();
  const times: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, worker) => {
      for (let i = 0; performance.now() < until; i++) {
        const t = performance.now();
        try {
          await call(worker, i);
          times.push(performance.now() - t);
        } catch (error) {
          errors += 1;
          firstError ??= error;
        }
      }
    }),
  );
  const elapsed = performance.now() - started;
  const client = process.cpuUsage(clientCpu);
  const clientCpuMs = (client.user + client.system) / 1000 / times.length;
  const serverCpuMs = (processCpuMs(serverPid) - serverCpu) / times.length;
  if (firstError !== undefined) log(`${errors} failed calls; the first: ${String(firstError)}`);
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    elapsedMs: elapsed,
    times,
    clientCpuTotalMs: (client.user + client.system) / 1000,
    serverCpuTotalMs: processCpuMs(serverPid) - serverCpu,
    errors,
    perSec: (times.length / elapsed) * 1000,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    clientCpuMs,
    serverCpuMs,
  };
}

/** Several runs of one side as one: requests over their summed wall time, merged latencies. */
function combine(runs: LoadFigures[]): LoadFigures {
  const times = runs.flatMap((r) => r.times).sort((a, b) => a - b);
  const elapsedMs = runs.reduce((sum, r) => sum + r.elapsedMs, 0);
  const clientCpuTotalMs = runs.reduce((sum, r) => sum + r.clientCpuTotalMs, 0);
  const serverCpuTotalMs = runs.reduce((sum, r) => sum + r.serverCpuTotalMs, 0);
  return {
    requests: times.length,
    elapsedMs,
    times,
    clientCpuTotalMs,
    serverCpuTotalMs,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    perSec: (times.length / elapsedMs) * 1000,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    clientCpuMs: clientCpuTotalMs / times.length,
    serverCpuMs: serverCpuTotalMs / times.length,
  };
}

/**
 * The API sides and raw pg take turns: ROUNDS rounds of API_SECONDS / ROUNDS seconds each, so a
 * change in the machine's load (it is shared) falls on every side alike rather than on whichever
 * ran last.
 */
const ROUNDS = 3;

interface ApiFigures {
  /** 32 callers on a lean node:http client speaking tRPC's HTTP protocol (lean-client.ts). */
  lean: LoadFigures;
  /** 32 typed clients (createPleClient: httpBatchLink, superjson, undici fetch). */
  typed: LoadFigures;
  /** The lean client on REST: GET /v1/companies/{uid}, plain JSON. */
  rest: LoadFigures;
  raw: LoadFigures;
}

async function apiBench(url: string): Promise<ApiFigures> {
  const uid = (worker: number, i: number) => uidOf((worker * 7919 + i * 104729) % SEARCH_N);
  // Raw pg: 32 connections, SELECT by primary key.
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const select = async (w: number, i: number) => {
    const result = await clients[w]?.query(
      "SELECT * FROM marketing.company WHERE company_uid = $1",
      [uid(w, i)],
    );
    if (result?.rows[0]?.company_uid !== uid(w, i)) throw new Error(`no company ${uid(w, i)}`);
  };
  // The API in its own process, called by the lean HTTP client (tRPC and REST) and the typed clients.
  const child = spawn(process.execPath, [join(HERE, "api-server.js"), url, "16"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const { url: base, key } = await new Promise<{ url: string; key: string }>(
      (resolve, reject) => {
        let buf = "";
        child.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          const line = buf.split("\n")[0];
          if (buf.includes("\n") && line) resolve(JSON.parse(line));
        });
        child.on("exit", (code) => reject(new Error(`api-server exited with ${code}`)));
      },
    );
    const leanClient = createLeanClient(base, key, CLIENTS);
    const ples = Array.from({ length: CLIENTS }, () => createPleClient({ url: base, apiKey: key }));
    const leanGet = (w: number, i: number) => leanClient.get(uid(w, i));
    const restGet = (w: number, i: number) => leanClient.getRest(uid(w, i));
    const typedGet = async (w: number, i: number) => {
      const got = await ples[w]?.companies.get.query({ company_uid: uid(w, i) });
      if (got?.company.company_uid !== uid(w, i) || got.slots.length !== 3) {
        throw new Error(`companies.get answered ${JSON.stringify(got).slice(0, 200)}`);
      }
    };
    const runs: Record<"raw" | "lean" | "rest" | "typed", LoadFigures[]> = {
      raw: [],
      lean: [],
      rest: [],
      typed: [],
    };
    try {
      // Warm-up; the server's first calls run cold code, so it gets longer than raw pg.
      await load(2, select);
      await load(5, leanGet);
      await load(2, restGet);
      await load(2, typedGet);
      const seconds = API_SECONDS / ROUNDS;
      for (let round = 0; round < ROUNDS; round++) {
        runs.raw.push(await load(seconds, select));
        runs.lean.push(await load(seconds, leanGet, child.pid));
        runs.rest.push(await load(seconds, restGet, child.pid));
        runs.typed.push(await load(seconds, typedGet, child.pid));
      }
    } finally {
      leanClient.close();
    }
    return {
      lean: combine(runs.lean),
      typed: combine(runs.typed),
      rest: combine(runs.rest),
      raw: combine(runs.raw),
    };
  } finally {
    child.kill("SIGTERM");
    await Promise.all(clients.map((c) => c.end()));
  }
}

// ---------------------------------------------------------------------------
// Export and claim (on the search database)
// ---------------------------------------------------------------------------

interface ExportFigures {
  copyRows: number;
  copyRowsPerSec: number;
  exportRows: number;
  exportRowsPerSec: number;
  exportRssMb: number;
  exportBaselineRssMb: number;
}

interface ExportChildResult {
  rows: number;
  bytes: number;
  ms: number;
  baseline_rss_mb: number;
  max_rss_mb: number;
}

/** Raw `COPY marketing.company TO STDOUT (csv)` into a sink that discards, vs `ple export companies`. */
async function exportBench(url: string): Promise<ExportFigures> {
  const rawCopyTo = () =>
    withClient(url, async (client) => {
      const started = performance.now();
      const stream = client.query(
        copyTo("COPY marketing.company TO STDOUT WITH (FORMAT csv, HEADER true)"),
      );
      for await (const _chunk of stream as AsyncIterable<Buffer>) {
        // discarded, as the export's sink does
      }
      return { rows: Number(stream.rowCount ?? 0), ms: performance.now() - started };
    });
  await rawCopyTo(); // warm-up: the table's pages into the cache
  const raw = await rawCopyTo();
  log(`raw COPY TO: ${fmt(raw.rows)} rows in ${ms(raw.ms)}`);
  const child = await runChild<ExportChildResult>("export-child.js", [url, "csv"]);
  log(
    `ple export companies: ${fmt(child.rows)} rows, ${fmt(child.bytes)} bytes in ${ms(child.ms)}; peak RSS ${fmt(child.max_rss_mb, 1)} MB`,
  );
  return {
    copyRows: raw.rows,
    copyRowsPerSec: (raw.rows / raw.ms) * 1000,
    exportRows: child.rows,
    exportRowsPerSec: (child.rows / child.ms) * 1000,
    exportRssMb: child.max_rss_mb,
    exportBaselineRssMb: child.baseline_rss_mb,
  };
}

const CLAIM_WORKERS = 10;

interface ClaimFigures {
  claims: number;
  slots: number;
  times: number[];
}

/**
 * 10 workers at once, each CLAIM_ROUNDS times: claim 10 open slots (slots.claim's
 * repository call), then release them — the steady state of workers that research and
 * give back, where every claim meets the others' locks and live leases at the front.
 */
async function claimBench(url: string): Promise<ClaimFigures> {
  const db: PleDatabase = await openDatabase({ url, poolMax: CLAIM_WORKERS });
  try {
    const times: number[] = [];
    let slots = 0;
    const round = async (worker: string, record: boolean) => {
      const t = performance.now();
      const claimed = await claimSlots(db.knex, {
        worker,
        limit: 10,
        lease_seconds: 300,
      });
      if (record) times.push(performance.now() - t);
      const uids = claimed.map((c) => c.slot.slot_uid);
      slots += uids.length;
      if (uids.length > 0) await releaseSlotLeases(db.knex, { worker, slot_uids: uids });
    };
    const run = (rounds: number, record: boolean) =>
      Promise.all(
        Array.from({ length: CLAIM_WORKERS }, async (_, w) => {
          for (let i = 0; i < rounds; i++) await round(`bench-${w}`, record);
        }),
      );
    await run(5, false);
    await run(CLAIM_ROUNDS, true);
    return { claims: times.length, slots, times: times.sort((a, b) => a - b) };
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------
// Change feed: EVENTS_N events written in one transaction, then relayed to JetStream
// ---------------------------------------------------------------------------

interface EventFigures {
  writtenPerSec: number;
  relayedPerSec: number;
  published: number;
}

async function eventsBench(): Promise<EventFigures> {
  const url = await scratchDatabase("events");
  const db = await openDatabase({ url, poolMax: 2 });
  const nc = await connectNats({ servers: NATS_URL });
  const stream = `PLE_BENCH_${process.pid}`;
  try {
    log(`events: writing ${fmt(EVENTS_N)} …`);
    const writeStart = performance.now();
    await db.knex.raw(
      `SELECT marketing.emit_event('company.updated',
                jsonb_build_object('company_uid', 'CO-${UID_DAY}-' || lpad(g::text, 6, '0')),
                jsonb_build_object('company_name', jsonb_build_object('from', 'Old ' || g, 'to', 'New ' || g)))
         FROM generate_series(1, ?::integer) AS g`,
      [EVENTS_N],
    );
    const writeSeconds = (performance.now() - writeStart) / 1000;
    log("events: relaying …");
    const relayStart = performance.now();
    const summary = await runEventRelay({
      db,
      natsUrl: NATS_URL,
      stream,
      subject: `ple.bench.${process.pid}`,
      untilCaughtUp: true,
    });
    const relaySeconds = (performance.now() - relayStart) / 1000;
    return {
      writtenPerSec: EVENTS_N / writeSeconds,
      relayedPerSec: summary.published / relaySeconds,
      published: summary.published,
    };
  } finally {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
    await db.close();
    await dropScratch(url);
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
  const version = await admin(async (c) =>
    String((await c.query("SHOW server_version")).rows[0]?.server_version),
  );
  out(`# PLE benchmark — ${new Date().toISOString()}`);
  out();
  out(
    `machine: ${availableParallelism()} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.versions.node}, PostgreSQL ${version}`,
  );
  out(
    `sizes: N=${fmt(N)} (and 4N=${fmt(4 * N)}), naive sample ${fmt(NAIVE_N)} rows, search ${fmt(SEARCH_N)} companies, API ${API_SECONDS} s per side`,
  );
  out();

  if (ONLY.has("import")) {
    const f = await importBench();
    out("## Import (rows of the file per second)");
    out();
    out("| path | rows/s |");
    out("| --- | ---: |");
    out(`| raw COPY into bare tables (limit) | ${fmt(f.copyRowsPerSec)} |`);
    out(`| \`ple import companies\` (runImport), N=${fmt(N)} | ${fmt(f.importRowsPerSec)} |`);
    out(`| \`ple import companies\` (runImport), 4N=${fmt(4 * N)} | ${fmt(f.import4RowsPerSec)} |`);
    out(
      `| naive insert_company_with_slots per row (${fmt(NAIVE_N)} rows) | ${fmt(f.naiveRowsPerSec)} |`,
    );
    out();
    const vsCopy = f.importRowsPerSec / f.copyRowsPerSec;
    const vsNaive = f.importRowsPerSec / f.naiveRowsPerSec;
    const rss = f.rss4N / f.rssN;
    out("| ratio | value | target | |");
    out("| --- | ---: | ---: | --- |");
    out(`| import / COPY | ${fmt(vsCopy * 100, 1)} % | ≥ 50 % | ${verdict(vsCopy >= 0.5)} |`);
    out(`| import / naive | ${fmt(vsNaive, 1)}× | ≥ 5× | ${verdict(vsNaive >= 5)} |`);
    out(
      `| peak RSS at N / 4N | ${fmt(f.rssN, 1)} / ${fmt(f.rss4N, 1)} MB | < 300 MB | ${verdict(Math.max(f.rssN, f.rss4N) < 300)} |`,
    );
    out(`| RSS(4N) / RSS(N) | ${fmt(rss, 2)} | < 1.3 | ${verdict(rss < 1.3)} |`);
    out();
    // The two import targets, each on a line of its own for scripts to pick up.
    const rate4N = f.import4RowsPerSec / f.importRowsPerSec;
    out(`import / COPY: ${(vsCopy * 100).toFixed(1)} %`);
    out(`import rate 4N / N: ${(rate4N * 100).toFixed(1)} %`);
    out();
  }

  if (ONLY.has("people")) {
    const f = await peopleBench();
    out(`## People import (${fmt(N)} contacts into a database holding the companies)`);
    out();
    out("| path | rows/s |");
    out("| --- | ---: |");
    out(
      `| raw COPY of the created people into a bare people table (limit) | ${fmt(f.copyRowsPerSec)} |`,
    );
    out(
      `| \`ple import companies\` (runImport), the N=${fmt(N)} accounts first | ${fmt(f.companyRowsPerSec)} |`,
    );
    out(`| \`ple import people\` (runImport), N=${fmt(N)} contacts | ${fmt(f.peopleRowsPerSec)} |`);
    out();
    const vsCopy = f.peopleRowsPerSec / f.copyRowsPerSec;
    const vsCompanies = f.peopleRowsPerSec / f.companyRowsPerSec;
    out("| ratio | value | target | |");
    out("| --- | ---: | ---: | --- |");
    out(`| people import / COPY | ${fmt(vsCopy * 100, 1)} % | | |`);
    out(
      `| people import / company import | ${fmt(vsCompanies * 100, 1)} % | ≥ 100 % | ${verdict(vsCompanies >= 1)} |`,
    );
    out();
    out(`people import / COPY: ${(vsCopy * 100).toFixed(1)} %`);
    out(`people import / company import: ${(vsCompanies * 100).toFixed(1)} %`);
    out();
  }

  if (ONLY.has("events")) {
    const e = await eventsBench();
    out(`## Change feed: ${fmt(EVENTS_N)} events relayed to NATS JetStream`);
    out();
    out("| path | events/s | target | |");
    out("| --- | ---: | ---: | --- |");
    out(`| events written (marketing.emit_event, one transaction) | ${fmt(e.writtenPerSec)} | | |`);
    out(
      `| \`ple events relay\` (runEventRelay, default batches of 5000, every ack awaited) | ${fmt(e.relayedPerSec)} | ≥ 10,000 | ${verdict(e.published === EVENTS_N && e.relayedPerSec >= 10_000)} |`,
    );
    out();
  }

  if (["api", "search", "export", "claim"].some((part) => ONLY.has(part))) {
    const url = await scratchDatabase("search");
    try {
      await fillSearchDatabase(url);
      if (ONLY.has("search")) {
        log("search …");
        const s = await searchBench(url);
        out(`## Search at ${fmt(SEARCH_N)} companies (one client, 400 queries each)`);
        out();
        out("| query | p50 | p99 |");
        out("| --- | ---: | ---: |");
        out(
          `| name search (pg_trgm) | ${ms(percentile(s.name, 50))} | ${ms(percentile(s.name, 99))} |`,
        );
        out(
          `| name search, one letter dropped | ${ms(percentile(s.misspelt, 50))} | ${ms(percentile(s.misspelt, 99))} |`,
        );
        out(
          `| company by website | ${ms(percentile(s.website, 50))} | ${ms(percentile(s.website, 99))} |`,
        );
        out(
          `| company by Apollo id | ${ms(percentile(s.apollo, 50))} | ${ms(percentile(s.apollo, 99))} |`,
        );
        out(
          `| person by email | ${ms(percentile(s.email, 50))} | ${ms(percentile(s.email, 99))} |`,
        );
        out();
        out(`name search p99 < 20 ms: ${verdict(percentile(s.name, 99) < 20)}`);
        out();
      }
      if (ONLY.has("api")) {
        log("API …");
        const { lean, typed, rest, raw } = await apiBench(url);
        out(
          `## API: ${CLIENTS} concurrent callers, ${API_SECONDS} s each, in ${ROUNDS} alternating rounds`,
        );
        out();
        out(
          `The ratio uses the lean HTTP client (node:http keep-alive, tRPC's GET protocol, every response checked); the typed tRPC client and REST (the lean client on GET /v1/companies/{uid}) are shown too. Raw pg and the three API sides take turns in ${ROUNDS} rounds, so a change in the machine's load falls on all of them. CPU per request is user + system time from /proc of the API server and of this process, steadier than requests/s on a shared machine.`,
        );
        out();
        out(
          "| path | requests/s | p50 | p99 | errors | server CPU per request | load generator CPU per request |",
        );
        out("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        const cpu = (n: number) => (Number.isFinite(n) ? `${fmt(n, 3)} ms` : "–");
        const row = (label: string, f: LoadFigures) =>
          out(
            `| ${label} | ${fmt(f.perSec)} | ${ms(f.p50)} | ${ms(f.p99)} | ${fmt(f.errors)} | ${cpu(f.serverCpuMs)} | ${cpu(f.clientCpuMs)} |`,
          );
        row("companies.get over HTTP (lean node:http client)", lean);
        row("companies.get over HTTP (typed tRPC client, createPleClient)", typed);
        row("GET /v1/companies/{uid} over REST (lean node:http client)", rest);
        row("raw pg SELECT by primary key", raw);
        out();
        const ratio = lean.perSec / raw.perSec;
        const clean = lean.errors === 0 && raw.errors === 0;
        out(
          `API (lean client) / raw pg: ${fmt(ratio * 100, 1)} % (target ≥ 40 %): ${clean ? verdict(ratio >= 0.4) : "MISS (failed calls)"}`,
        );
        out(`API (typed client) / raw pg: ${fmt((typed.perSec / raw.perSec) * 100, 1)} %`);
        out(`REST (lean client) / raw pg: ${fmt((rest.perSec / raw.perSec) * 100, 1)} %`);
        out();
      }
      if (ONLY.has("export")) {
        log("export …");
        const e = await exportBench(url);
        out(`## Export at ${fmt(SEARCH_N)} companies (CSV, into a sink that discards)`);
        out();
        out("| path | rows | rows/s |");
        out("| --- | ---: | ---: |");
        out(
          `| raw \`COPY marketing.company TO STDOUT (csv)\` | ${fmt(e.copyRows)} | ${fmt(e.copyRowsPerSec)} |`,
        );
        out(
          `| \`ple export companies\` (exportRecords, own process) | ${fmt(e.exportRows)} | ${fmt(e.exportRowsPerSec)} |`,
        );
        out();
        const ratio = e.exportRowsPerSec / e.copyRowsPerSec;
        out("| ratio | value | target | |");
        out("| --- | ---: | ---: | --- |");
        out(
          `| export / raw COPY TO | ${fmt(ratio * 100, 1)} % | ≥ 50 % | ${verdict(ratio >= 0.5)} |`,
        );
        out(
          `| peak RSS of the export process | ${fmt(e.exportRssMb, 1)} MB (after start-up ${fmt(e.exportBaselineRssMb, 1)} MB) | < 200 MB | ${verdict(e.exportRssMb < 200)} |`,
        );
        out();
      }
      if (ONLY.has("claim")) {
        log("claim …");
        const c = await claimBench(url);
        out(
          `## slots.claim at ${fmt(SEARCH_N)} companies (${CLAIM_WORKERS} concurrent workers, 10 slots per claim, then release)`,
        );
        out();
        out("| claims | slots handed out | p50 | p99 |");
        out("| ---: | ---: | ---: | ---: |");
        out(
          `| ${fmt(c.claims)} | ${fmt(c.slots)} | ${ms(percentile(c.times, 50))} | ${ms(percentile(c.times, 99))} |`,
        );
        out();
        out(`slots.claim p99 < 20 ms: ${verdict(percentile(c.times, 99) < 20)}`);
        out();
      }
    } finally {
      await dropScratch(url);
    }
  }
}

async function cleanUp() {
  for (const database of KEEP ? [] : [...scratch]) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).catch(
      () => {},
    );
  }
  rmSync(WORK, { recursive: true, force: true });
}

process.once("SIGINT", () => {
  void cleanUp().then(() => process.exit(130));
});

const load1 = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const startedAt = performance.now();
out(`load average at start: ${load1()}`);
try {
  await main();
} finally {
  await cleanUp();
}
out(`load average at end: ${load1()}; run took ${fmt((performance.now() - startedAt) / 1000)} s`);
