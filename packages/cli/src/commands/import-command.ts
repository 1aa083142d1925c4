/** CLI specs of `ple import companies|people`: options, help, the summary's human form. */
import { stat } from "node:fs/promises";
import { PleError } from "@ple/core";
import { BULK_IMPORT_BATCH_SIZE, ON_EXISTING_POLICIES, type OnExisting } from "@ple/db";
import { type CommandSpec, flag, intOption, positional, stringOption } from "../command.js";
import { formatCount, renderTable } from "../output.js";
import { createProgress } from "../progress.js";
import { type ImportKind, type ImportSummary, runImport } from "./import.js";
import { databaseImportStores } from "./import-store-db.js";

export function renderImportSummary(s: ImportSummary): string {
  const verb = s.dry_run ? "Dry run" : "Imported";
  const lines = [`${verb}: ${s.kind} from ${s.file} in ${(s.duration_ms / 1000).toFixed(1)}s`];
  const pad = (label: string, n: number, note = "") =>
    `  ${label.padEnd(18)}${formatCount(n).padStart(9)}${note ? `  ${note}` : ""}`;
  lines.push(pad("rows", s.rows));
  lines.push(pad(s.dry_run ? "would create" : "created", s.created));
  lines.push(pad("already existing", s.existing));
  lines.push(pad(s.dry_run ? "would update" : "updated", s.updated));
  lines.push(pad("unchanged", s.unchanged));
  lines.push(pad("rejected", s.rejected, s.rejects_file ? `report: ${s.rejects_file}` : ""));
  if (s.kind === "people") {
    lines.push(
      pad(s.dry_run ? "companies to create" : "companies created", s.companies_created ?? 0),
    );
    if (!s.dry_run) {
      lines.push(pad("linked to a slot", s.linked ?? 0));
      lines.push(pad("already linked", s.already_linked ?? 0));
      lines.push(pad("slot conflicts", s.slot_conflicts?.length ?? 0));
    }
    lines.push(pad("without company", s.without_company ?? 0));
    lines.push(pad("fields dropped", s.warnings?.length ?? 0, "malformed optional fields"));
    const suppressed = s.rejects.filter((r) => r.error_code === "SUPPRESSED").length;
    if (suppressed > 0) lines.push(pad("suppressed", suppressed, "erased people (rejected)"));
    if (s.email_status) {
      lines.push(pad("email status", s.email_status.mapped, "mapped from Apollo"));
      lines.push(pad("  unknown status", s.email_status.unknown, "left pending"));
    }
    const titles = s.unmapped_titles ?? [];
    if (titles.length > 0) {
      const shown = titles.slice(0, 15).map((t) => `"${t.title}" ×${t.count}`);
      const more = titles.length > 15 ? `, and ${titles.length - 15} more` : "";
      lines.push(
        "",
        `Titles not mapped to CEO/CFO/HR (${titles.length}): ${shown.join(", ")}${more}`,
      );
    }
    const unknown = s.email_status?.unknown_values ?? [];
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 15).map((u) => `"${u.status}" ×${u.count}`);
      lines.push("", `Email Status values not known (people left pending): ${shown.join(", ")}`);
    }
    const warnings = s.warnings ?? [];
    if (warnings.length > 0) {
      lines.push("", `Fields dropped${warnings.length > 20 ? " (first 20)" : ""}:`);
      lines.push(
        renderTable(
          warnings
            .slice(0, 20)
            .map((w) => ({ row: w.row_number, field: w.field, message: w.message })),
        ),
      );
    }
    const conflicts = s.slot_conflicts ?? [];
    if (conflicts.length > 0) {
      lines.push("", "Not linked (the slot is taken or the person holds another slot):");
      lines.push(renderTable(conflicts.slice(0, 20).map((c) => ({ ...c }))));
    }
  }
  if (s.rejects.length > 0) {
    lines.push("", `Rejected rows${s.rejects.length > 20 ? " (first 20)" : ""}:`);
    lines.push(
      renderTable(
        s.rejects.slice(0, 20).map((r) => ({
          row: r.row_number,
          code: r.error_code,
          field: r.field,
          message: r.message,
        })),
      ),
    );
  }
  return lines.join("\n");
}

function onExistingOption(value: string | undefined): OnExisting {
  if (value === undefined) return "fill";
  const policy = ON_EXISTING_POLICIES.find((p) => p === value.trim().toLowerCase());
  if (policy === undefined) {
    throw new PleError(
      "VALIDATION_FAILED",
      `--on-existing must be one of ${ON_EXISTING_POLICIES.join(", ")}, got "${value}"`,
      { field: "on-existing" },
    );
  }
  return policy;
}

function importSpec(kind: ImportKind): CommandSpec {
  const example = kind === "companies" ? "accounts.csv" : "contacts.csv";
  return {
    path: ["import", kind],
    summary:
      kind === "companies"
        ? "import companies from an Apollo.io account export or a name,website,apollo_company_id,ein_raw CSV"
        : "import people from an Apollo.io contact export or a name,email,... CSV, linking each into their company's slot",
    description:
      kind === "companies"
        ? [
            "Columns (matched loosely, others ignored): Company / name, Website / website,",
            "Apollo Account Id / apollo_company_id, ein_raw. A company already known by its",
            "website or Apollo id (or by one of a company merged into another) is not created",
            "again: --on-existing fill (default) sets its empty fields from the row, update",
            "overwrites them with the row's non-empty values, skip leaves it as it is. A row",
            "whose website and Apollo id name two companies is rejected (IDENTITY_CONFLICT).",
            "Rejected rows go to the database (marketing.import_reject) and a CSV report.",
            "Exit code 3 when some rows were rejected.",
          ].join("\n")
        : [
            "Columns (matched loosely, others ignored): First Name + Last Name or name, Email,",
            "Person Linkedin Url, Title, Company, Website, Apollo Account Id, company_uid.",
            "A person's company is found by company_uid, Apollo Account Id or website, and",
            "created from Company + Website when unknown. A title that maps to CEO, CFO or HR",
            "links the person into that slot; titles that map to none are listed at the end.",
            "People are found by email (or the email of a person merged into another), so",
            "re-running a file creates nothing new; --on-existing fill (default), update or",
            "skip says what a row does to the person it finds (name, LinkedIn URL, company,",
            "title).",
            "Exit code 3 when some rows were rejected.",
          ].join("\n"),
    positionals: [
      {
        name: "FILE",
        required: true,
        description: "the CSV file (UTF-8, or UTF-16 with its BOM; CRLF fine)",
      },
    ],
    options: {
      "dry-run": {
        type: "boolean",
        description: "validate every row and report what would happen; write nothing",
      },
      "on-existing": {
        type: "string",
        valueName: "skip|fill|update",
        description:
          "a row that finds a record: fill its empty fields (default), update them with the row's non-empty values, or skip",
      },
      rejects: {
        type: "string",
        valueName: "FILE",
        description: "where to write the CSV report of rejected rows (default: FILE.rejects.csv)",
      },
      "batch-size": {
        type: "string",
        valueName: "N",
        description: `rows per transaction (default ${BULK_IMPORT_BATCH_SIZE})`,
      },
    },
    examples: [
      `ple import ${kind} ${example}`,
      `ple import ${kind} ${example} --dry-run`,
      `ple import ${kind} ${example} --on-existing update --dry-run`,
      `ple import ${kind} ${example} --rejects /tmp/rejects.csv --json`,
    ],
    async run(ctx, args) {
      const file = positional(args, 0, "FILE");
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      const progress = createProgress(ctx.io.stderr, {
        label: kind,
        totalBytes: size,
      });
      const rejectsFile = stringOption(args, "rejects");
      const batchSize = intOption(args, "batch-size", { min: 1, max: 10_000 });
      const onExisting = onExistingOption(stringOption(args, "on-existing"));
      const db = await ctx.db();
      let summary: ImportSummary;
      try {
        summary = await runImport(kind, databaseImportStores(db, ctx.env.actor), {
          file,
          dryRun: flag(args, "dry-run"),
          onExisting,
          ...(rejectsFile === undefined ? {} : { rejectsFile }),
          ...(batchSize === undefined ? {} : { batchSize }),
          onProgress: (state) => progress.update(state),
        });
      } finally {
        progress.done();
      }
      return {
        data: summary,
        human: renderImportSummary(summary),
        exitCode: summary.rejected > 0 ? 3 : 0,
      };
    },
  };
}

export const importCommands: CommandSpec[] = [importSpec("companies"), importSpec("people")];
