/**
 * The migration linter: flags DDL that locks or rewrites a busy table, or that
 * cannot be undone. Objects created in the same file are new and empty, so DDL
 * on them is exempt. CONCURRENTLY in a transactional file is flagged: it would
 * fail. A `-- ple:lint-allow <rule>` (or `ple:lint-ignore`) line in the comment
 * block directly above a statement accepts that finding deliberately.
 */
import { existsSync } from "node:fs";
import { basename, relative } from "node:path";
import { DEFAULT_MIGRATIONS_DIR, NON_TRANSACTIONAL, readMigrationFiles } from "./files.js";
import { lineAt, type SqlStatement, splitSqlStatements } from "./sql-script.js";

export const LINT_RULES = [
  "index-without-concurrently",
  "not-null-without-default",
  "drop-column",
  "alter-column-type",
  "concurrently-in-transaction",
  "missing-rollback",
] as const;
export type LintRule = (typeof LINT_RULES)[number];

export interface LintFinding {
  /** The file, relative to the migrations folder. */
  file: string;
  line: number;
  rule: LintRule;
  message: string;
}

const IDENT = String.raw`(?:"[^"]+"|[\w$]+)`;
const QUALIFIED = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

function normaliseName(name: string): string {
  return name
    .split(".")
    .map((part) => part.trim())
    .map((part) => (part.startsWith('"') ? part.slice(1, -1) : part.toLowerCase()))
    .join(".");
}

/** True when `name` (maybe unqualified) is one of the tables created in the file. */
function isNewTable(created: Set<string>, name: string): boolean {
  const n = normaliseName(name);
  if (created.has(n)) return true;
  const bare = n.split(".").pop() ?? n;
  for (const c of created) if ((c.split(".").pop() ?? c) === bare) return true;
  return false;
}

/** Splits an ALTER TABLE's action list at top-level commas, keeping each action's offset. */
function alterActions(code: string, from: number): Array<{ text: string; offset: number }> {
  const actions: Array<{ text: string; offset: number }> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i <= code.length; i++) {
    const ch = code[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if ((ch === "," && depth === 0) || i === code.length) {
      actions.push({ text: code.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  return actions;
}

/**
 * Rules accepted by a `-- ple:lint-ignore <rule>` (or `ple:lint-allow`) line in
 * the comment block directly above the statement or on its first line.
 */
function ignoredRules(script: string, stmt: SqlStatement): Set<string> {
  const lines = script.split("\n");
  const block: string[] = [lines[stmt.line - 1] ?? ""];
  for (let index = stmt.line - 2; index >= 0; index--) {
    const text = (lines[index] ?? "").trim();
    if (!text.startsWith("--")) break;
    block.push(text);
  }
  const ignored = new Set<string>();
  for (const text of block) {
    for (const m of text.matchAll(/--\s*ple:lint-(?:ignore|allow)\s+([\w-]+(?:\s*,\s*[\w-]+)*)/g)) {
      for (const rule of (m[1] ?? "").split(",")) ignored.add(rule.trim());
    }
  }
  return ignored;
}

/** Lints one forward migration script. */
export function lintMigrationScript(file: string, script: string): LintFinding[] {
  const findings: LintFinding[] = [];
  const transactional = !NON_TRANSACTIONAL.test((script.split("\n", 1)[0] ?? "").trim());
  const statements = splitSqlStatements(script);
  const created = new Set<string>();
  for (const stmt of statements) {
    const table = new RegExp(
      String.raw`^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`,
      "i",
    ).exec(stmt.code);
    if (table?.[1]) created.add(normaliseName(table[1]));
  }
  for (const stmt of statements) {
    const ignored = ignoredRules(script, stmt);
    const report = (rule: LintRule, offset: number, message: string) => {
      if (ignored.has(rule)) return;
      findings.push({
        file,
        line: stmt.line + lineAt(stmt.code.trimStart(), offset) - 1,
        rule,
        message,
      });
    };
    const code = stmt.code.trimStart();

    const index = new RegExp(
      String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:${QUALIFIED}\s+)?ON\s+(?:ONLY\s+)?${QUALIFIED}`,
      "i",
    ).exec(code);
    if (index && !index[1] && index[3] && !isNewTable(created, index[3])) {
      report(
        "index-without-concurrently",
        0,
        `CREATE INDEX on existing table ${normaliseName(index[3])} without CONCURRENTLY blocks writes while it builds; use CREATE INDEX CONCURRENTLY in a non-transactional migration (first line: -- ple:transaction=false)`,
      );
    }

    if (transactional && /^(?:CREATE|DROP|REINDEX)\b[^;]*?\bCONCURRENTLY\b/i.test(code)) {
      report(
        "concurrently-in-transaction",
        0,
        "CONCURRENTLY cannot run inside a transaction; make the file non-transactional (first line: -- ple:transaction=false)",
      );
    }

    const alter = new RegExp(
      String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${QUALIFIED}\s*\*?`,
      "i",
    ).exec(code);
    if (!alter?.[1]) continue;
    const tableName = normaliseName(alter[1]);
    const isNew = isNewTable(created, alter[1]);
    for (const action of alterActions(code, alter[0].length)) {
      const text = action.text;
      const lead = text.length - text.trimStart().length;
      const at = action.offset + lead;
      if (/^\s*DROP\s+(?:COLUMN\s+)?(?!CONSTRAINT\b)(?:IF\s+EXISTS\s+)?[\w"]/i.test(text)) {
        if (!/^\s*DROP\s+(?:CONSTRAINT|NOT\s+NULL|DEFAULT|IDENTITY|EXPRESSION)\b/i.test(text)) {
          report(
            "drop-column",
            at,
            `DROP COLUMN on ${tableName} loses its data and cannot be rolled back; stop using the column first and drop it in a later release`,
          );
        }
      }
      if (/^\s*ALTER\s+(?:COLUMN\s+)?[\w"]+\s+(?:SET\s+DATA\s+)?TYPE\b/i.test(text) && !isNew) {
        report(
          "alter-column-type",
          at,
          `ALTER COLUMN ... TYPE on ${tableName} rewrites the table under an exclusive lock; add a new column, backfill, then switch`,
        );
      }
      if (
        /^\s*ADD\s+(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b|EXCLUDE\b)/i.test(text) &&
        /\bNOT\s+NULL\b/i.test(text) &&
        !/\bDEFAULT\b/i.test(text) &&
        !/\bGENERATED\b/i.test(text) &&
        !isNew
      ) {
        report(
          "not-null-without-default",
          at,
          `ADD COLUMN ... NOT NULL without DEFAULT on ${tableName} fails on a table with rows; add a DEFAULT, or add it nullable, backfill, then SET NOT NULL`,
        );
      }
    }
  }
  return findings;
}

/** Lints every forward migration in the folder and checks each has its rollback file. */
export function lintMigrations(opts: { migrationsDir?: string } = {}): LintFinding[] {
  const dir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const findings: LintFinding[] = [];
  for (const file of readMigrationFiles(dir)) {
    const name = relative(dir, file.upPath) || basename(file.upPath);
    findings.push(...lintMigrationScript(name, file.up));
    if (!existsSync(file.downPath)) {
      findings.push({
        file: name,
        line: 1,
        rule: "missing-rollback",
        message: `No rollback file: expected ${relative(dir, file.downPath)}`,
      });
    }
  }
  return findings;
}
