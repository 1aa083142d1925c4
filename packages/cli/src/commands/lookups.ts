/**
 * Look-ups and slot moves: `ple company get|list|search`, `ple person get|list`,
 * `ple slot list|link|propose|confirm|reject|vacate|displace`, `ple history UID`. Every input
 * goes through the same zod schema as the API's, so the CLI accepts exactly what the API does.
 */
import {
  type AuditEntry,
  AuditTrailInput,
  type Company,
  CompanyGetInput,
  CompanyListInput,
  CompanySearchInput,
  HistoryAsOfInput,
  type HistoryEntry,
  type Page,
  type Person,
  PersonGetInput,
  PersonListInput,
  PleError,
  parseInput,
  type Slot,
  SlotConfirmInput,
  SlotDisplaceInput,
  type SlotEvent,
  SlotLinkInput,
  SlotListInput,
  SlotProposeInput,
  SlotRejectInput,
  SlotVacateInput,
  unwrap,
} from "@ple/core";
import {
  auditTrail,
  type CompanySearchHit,
  type CompanyWithSlots,
  confirmSlot,
  displaceSlotPerson,
  getCompanyWithSlots,
  getPerson,
  historyAsOf,
  linkPersonToSlot,
  listCompanies,
  listHistory,
  listMerges,
  listPeople,
  listSlots,
  type MergeRecord,
  type PleDatabase,
  proposePersonForSlot,
  rejectSlot,
  type SlotChange,
  searchCompanies,
  slotEvents,
  vacateSlot,
} from "@ple/db";
import {
  type Args,
  type CommandSpec,
  flag,
  intOption,
  positional,
  stringOption,
} from "../command.js";
import { formatValue, renderRecord, renderTable } from "../output.js";
import { UsageError } from "../usage-error.js";
import { asActor } from "./actor.js";
import { nextPageCommand, renderOpenSlots, roleOption, slotListOpen } from "./slot-work.js";

// ── plain functions ────────────────────────────────────────────────────────────────────────────

/** A company by uid (CO-…), canonical website, or Apollo id, with its slots. */
export interface CompanyDetails extends CompanyWithSlots {
  /** The people holding or proposed for the company's slots, by person_id. */
  people: Record<string, Pick<Person, "person_id" | "name" | "email" | "title">>;
}

export async function companyGet(
  db: PleDatabase,
  options: { key: string } | { apolloCompanyId: string },
): Promise<CompanyDetails> {
  const raw =
    "apolloCompanyId" in options
      ? { apollo_company_id: options.apolloCompanyId }
      : /^CO-/i.test(options.key)
        ? { company_uid: options.key.toUpperCase() }
        : { website: options.key };
  const found = await getCompanyWithSlots(db.knex, unwrap(parseInput(CompanyGetInput, raw)));
  const people: CompanyDetails["people"] = {};
  for (const slot of found.slots) {
    if (slot.person_id === null) continue;
    const p = await getPerson(db.knex, { person_id: slot.person_id });
    people[p.person_id] = { person_id: p.person_id, name: p.name, email: p.email, title: p.title };
  }
  return { ...found, people };
}

export function companyList(
  db: PleDatabase,
  options: {
    limit?: number;
    cursor?: string;
    createdSince?: string;
    hasOpenSlots?: boolean;
    namePrefix?: string;
    nameSimilar?: string;
    openRole?: string;
  } = {},
): Promise<Page<Company>> {
  const input = unwrap(
    parseInput(CompanyListInput, {
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.createdSince === undefined ? {} : { created_since: options.createdSince }),
      ...(options.hasOpenSlots === undefined ? {} : { has_open_slots: options.hasOpenSlots }),
      ...(options.namePrefix === undefined ? {} : { name_prefix: options.namePrefix }),
      ...(options.nameSimilar === undefined ? {} : { name_similar: options.nameSimilar }),
      ...(options.openRole === undefined ? {} : { open_role: options.openRole }),
    }),
  );
  return listCompanies(db.knex, input);
}

export function companySearch(
  db: PleDatabase,
  options: { query: string; limit?: number },
): Promise<CompanySearchHit[]> {
  const input = unwrap(
    parseInput(CompanySearchInput, {
      query: options.query,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    }),
  );
  return searchCompanies(db.knex, input);
}

/** How many companies there are, up to one: "is the registry empty?" */
export async function companyCount(db: PleDatabase): Promise<number> {
  const page = await listCompanies(db.knex, unwrap(parseInput(CompanyListInput, { limit: 1 })));
  return page.items.length;
}

/** A person by id (PE-…) or email. */
export function personGet(db: PleDatabase, options: { key: string }): Promise<Person> {
  const raw = /^PE-/i.test(options.key)
    ? { person_id: options.key.toUpperCase() }
    : { email: options.key };
  return getPerson(db.knex, unwrap(parseInput(PersonGetInput, raw)));
}

/** The slots of the person's company that the person holds or is proposed for. */
export async function personSlots(db: PleDatabase, person: Person): Promise<Slot[]> {
  if (person.company_uid === null) return [];
  const slots = await listSlots(db.knex, { company_uid: person.company_uid });
  return slots.filter((slot) => slot.person_id === person.person_id);
}

export function personList(
  db: PleDatabase,
  options: {
    limit?: number;
    cursor?: string;
    companyUid?: string;
    validationStatus?: string;
    createdSince?: string;
    withoutSlot?: boolean;
  } = {},
): Promise<Page<Person>> {
  const input = unwrap(
    parseInput(PersonListInput, {
      ...(options.createdSince === undefined ? {} : { created_since: options.createdSince }),
      ...(options.withoutSlot === undefined ? {} : { without_slot: options.withoutSlot }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.companyUid === undefined ? {} : { company_uid: options.companyUid }),
      ...(options.validationStatus === undefined
        ? {}
        : { validation_status: options.validationStatus }),
    }),
  );
  return listPeople(db.knex, input);
}

export function slotList(db: PleDatabase, options: { companyUid: string }): Promise<Slot[]> {
  return listSlots(db.knex, unwrap(parseInput(SlotListInput, { company_uid: options.companyUid })));
}

export type SlotMove = "link" | "propose" | "confirm" | "reject" | "vacate" | "displace";

/** One slot move, attributed to the actor in the audit log. */
export function slotMove(
  db: PleDatabase,
  options: {
    move: SlotMove;
    slotUid: string;
    personId?: string;
    /** displace only: the occupant the caller expects (SLOT_CONFLICT if someone else holds it). */
    expectedPersonId?: string;
    /** link, propose, displace: let the person change company to the slot's (audited). */
    movePerson?: boolean;
    actor: string;
  },
): Promise<SlotChange> {
  const slot_uid = options.slotUid;
  const person_id = options.personId;
  const expected =
    options.expectedPersonId === undefined ? {} : { expected_person_id: options.expectedPersonId };
  const move = options.movePerson === true ? { move: true } : {};
  return asActor(db, options.actor, (trx) => {
    switch (options.move) {
      case "link":
        return linkPersonToSlot(
          trx,
          unwrap(parseInput(SlotLinkInput, { slot_uid, person_id, ...move })),
        );
      case "propose":
        return proposePersonForSlot(
          trx,
          unwrap(parseInput(SlotProposeInput, { slot_uid, person_id, ...move })),
        );
      case "confirm":
        return confirmSlot(trx, unwrap(parseInput(SlotConfirmInput, { slot_uid })));
      case "reject":
        return rejectSlot(trx, unwrap(parseInput(SlotRejectInput, { slot_uid })));
      case "vacate":
        return vacateSlot(trx, unwrap(parseInput(SlotVacateInput, { slot_uid })));
      case "displace":
        return displaceSlotPerson(
          trx,
          unwrap(parseInput(SlotDisplaceInput, { slot_uid, person_id, ...expected, ...move })),
        );
      default: {
        const never: never = options.move;
        throw new Error(`unknown slot move ${String(never)}`);
      }
    }
  });
}

export interface HistoryReport {
  uid: string;
  as_of: Date | null;
  /** Every version (no --as-of), or the one current at as_of (empty: it did not exist then). */
  versions: HistoryEntry[];
  audit: AuditEntry[];
  slot_events: SlotEvent[];
  /** Merges the company or person took part in, kept or dropped. */
  merges: MergeRecord[];
}

/** A record's versions (or its version as of a time), audit trail and slot events. */
export async function history(
  db: PleDatabase,
  options: { uid: string; asOf?: string; auditLimit?: number },
): Promise<HistoryReport> {
  const uid = options.uid.trim().toUpperCase();
  const trail = unwrap(
    parseInput(AuditTrailInput, {
      uid,
      ...(options.auditLimit === undefined ? {} : { limit: options.auditLimit }),
    }),
  );
  let versions: HistoryEntry[];
  let asOf: Date | null = null;
  if (options.asOf !== undefined) {
    const input = unwrap(parseInput(HistoryAsOfInput, { uid, as_of: options.asOf }));
    asOf = input.as_of;
    const version = await historyAsOf(db.knex, input);
    versions = version === null ? [] : [version];
  } else {
    versions = await listHistory(db.knex, uid);
  }
  const audit = await auditTrail(db.knex, trail);
  if (audit.length === 0 && (await listHistory(db.knex, uid)).length === 0) {
    // Never existed (a deleted record keeps its closed versions and audit entries).
    const code = uid.startsWith("CO-")
      ? "COMPANY_NOT_FOUND"
      : uid.startsWith("SL-")
        ? "SLOT_NOT_FOUND"
        : "PERSON_NOT_FOUND";
    throw new PleError(code, `${uid} has no history: no such record was ever stored`, {
      field: "uid",
    });
  }
  const events = uid.startsWith("SL-")
    ? await slotEvents(db.knex, { slot_uid: uid as SlotListKey })
    : uid.startsWith("PE-")
      ? await slotEvents(db.knex, { person_id: uid as PersonKey })
      : [];
  return {
    uid,
    as_of: asOf,
    versions,
    audit,
    slot_events: events,
    merges: uid.startsWith("SL-") ? [] : await listMerges(db.knex, uid),
  };
}

type SlotListKey = Extract<Parameters<typeof slotEvents>[1], { slot_uid: unknown }>["slot_uid"];
type PersonKey = Extract<Parameters<typeof slotEvents>[1], { person_id: unknown }>["person_id"];

// ── rendering ──────────────────────────────────────────────────────────────────────────────────

function renderCompany(c: CompanyDetails): string {
  return `${renderRecord({ ...c.company })}\n\n${renderTable(
    c.slots.map((s) => {
      const holder = s.person_id === null ? undefined : c.people[s.person_id];
      return { ...s, name: holder?.name, title: holder?.title };
    }),
    ["slot_uid", "role", "status", "person_id", "name", "title", "updated_at"],
  )}`;
}

const companyColumns = [
  "company_uid",
  "company_name",
  "website",
  "apollo_company_id",
  "ein_raw",
  "ein_valid",
  "created_at",
];
const personColumns = [
  "person_id",
  "name",
  "email",
  "title",
  "company_uid",
  "validation_status",
  "source",
];

/** A page as a table; "More:" prints the command of the next page, with every flag of this one. */
function renderPage<T extends object>(
  page: Page<T>,
  columns: string[],
  command: string,
  flags: ReadonlyArray<readonly [string, string | number | boolean | undefined]>,
): string {
  const table = renderTable(
    page.items.map((i) => ({ ...i }) as Record<string, unknown>),
    columns,
  );
  return page.next_cursor === null
    ? table
    : `${table}\n\nMore: ${nextPageCommand(command, flags, page.next_cursor)}`;
}

function renderChange(move: SlotMove, change: SlotChange): string {
  const s = change.slot;
  const state = `${s.slot_uid} is ${s.status}${s.person_id ? ` with ${s.person_id}` : ""}`;
  const released = change.released_person_id ? ` (${change.released_person_id} left the slot)` : "";
  return change.changed ? `${move}: ${state}${released}.` : `Nothing to do: ${state}.`;
}

function renderHistory(r: HistoryReport): string {
  const lines: string[] = [];
  if (r.as_of !== null) {
    const v = r.versions[0];
    lines.push(
      v === undefined
        ? `${r.uid} did not exist at ${r.as_of.toISOString()}.`
        : `${r.uid} as of ${r.as_of.toISOString()} (version valid ${v.valid_from.toISOString()} → ${v.valid_to === null ? "now" : formatValue(v.valid_to)}, by ${v.actor}):\n\n${renderRecord(v.row_data)}`,
    );
  } else {
    lines.push(
      `Versions of ${r.uid}:`,
      renderTable(
        r.versions.map((v) => ({
          valid_from: v.valid_from,
          valid_to: v.valid_to ?? "now",
          operation: v.operation,
          actor: v.actor,
          request_id: v.request_id,
        })),
      ),
    );
  }
  if (r.slot_events.length > 0) {
    lines.push(
      "",
      "Slot events:",
      renderTable(
        r.slot_events.map((e) => ({ ...e }) as Record<string, unknown>),
        ["at", "event", "slot_uid", "person_id", "previous_person_id", "actor"],
      ),
    );
  }
  if (r.merges.length > 0) {
    lines.push(
      "",
      "Merges:",
      renderTable(
        r.merges.map((m) => ({
          at: m.at,
          kept: m.kept_uid,
          dropped: m.dropped_uid,
          filled: m.filled_columns.join(","),
          released: m.released.map((p) => p.person_id).join(","),
          actor: m.actor,
        })),
      ),
    );
  }
  lines.push(
    "",
    `Audit trail (newest first, ${r.audit.length}):`,
    renderTable(
      r.audit.map((a) => ({
        at: a.at,
        operation: a.operation,
        table: a.table_name,
        changed: a.changed_columns?.join(",") ?? "",
        actor: a.actor,
        application: a.application,
      })),
    ),
  );
  return lines.join("\n");
}

// ── CLI specs ──────────────────────────────────────────────────────────────────────────────────

const pageOptions = {
  limit: { type: "string", valueName: "N", description: "rows per page, 1–500 (default 50)" },
  cursor: {
    type: "string",
    valueName: "CURSOR",
    description: "the next page, from the previous page's output",
  },
} as const;

function pageArgs(args: Args) {
  const limit = intOption(args, "limit", { min: 1, max: 500 });
  const cursor = stringOption(args, "cursor");
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

function slotSpec(move: SlotMove, summary: string, withPerson: boolean): CommandSpec {
  const example = "SL-CO-20261126-000001-CEO";
  return {
    path: ["slot", move],
    summary,
    positionals: [
      { name: "SLOT_UID", required: true, description: "the slot (SL-<company_uid>-<CEO|CFO|HR>)" },
      ...(withPerson
        ? [{ name: "PERSON_ID", required: true, description: "the person (PE-YYYYMMDD-NNNNNN)" }]
        : []),
    ],
    options: {
      ...(move === "displace"
        ? {
            expected: {
              type: "string",
              valueName: "PERSON_ID",
              description:
                "displace only if this person still holds the slot (else SLOT_CONFLICT naming who does)",
            },
          }
        : {}),
      ...(withPerson
        ? {
            move: {
              type: "boolean",
              description:
                "the person works for another company: move them to the slot's company (audited; without it COMPANY_MISMATCH)",
            },
          }
        : {}),
    },
    examples: [
      `ple slot ${move} ${example}${withPerson ? " PE-20261126-000007" : ""}`,
      ...(move === "displace"
        ? [`ple slot displace ${example} PE-20261126-000007 --expected PE-20261126-000003`]
        : []),
      ...(move === "link" ? [`ple slot link ${example} PE-20261126-000007 --move`] : []),
    ],
    async run(ctx, args) {
      const expected = move === "displace" ? stringOption(args, "expected") : undefined;
      const change = await slotMove(await ctx.db(), {
        move,
        slotUid: positional(args, 0, "SLOT_UID"),
        ...(withPerson ? { personId: positional(args, 1, "PERSON_ID") } : {}),
        ...(expected === undefined ? {} : { expectedPersonId: expected }),
        ...(withPerson && flag(args, "move") ? { movePerson: true } : {}),
        actor: ctx.env.actor,
      });
      return { data: change, human: renderChange(move, change) };
    },
  };
}

export const lookupCommands: CommandSpec[] = [
  {
    path: ["company", "get"],
    summary: "a company and its three slots, by uid or website (or --apollo-id)",
    positionals: [
      {
        name: "KEY",
        required: false,
        description: "CO-YYYYMMDD-NNNNNN or a website (any form: https://www.x.com/ → x.com)",
      },
    ],
    options: {
      "apollo-id": {
        type: "string",
        field: "apollo_company_id",
        valueName: "ID",
        description: "find by Apollo account id instead",
      },
    },
    examples: [
      "ple company get CO-20261126-000001",
      "ple company get https://www.northwind.example/",
      "ple company get --apollo-id 5f0000a1b2c3d4e5f6a7b800 --json",
    ],
    async run(ctx, args) {
      const apollo = stringOption(args, "apollo-id");
      const result = await companyGet(
        await ctx.db(),
        apollo !== undefined
          ? { apolloCompanyId: apollo }
          : { key: positional(args, 0, "KEY (or --apollo-id)") },
      );
      return { data: result, human: renderCompany(result) };
    },
  },
  {
    path: ["company", "list"],
    summary: "companies, oldest first, a page at a time",
    positionals: [],
    options: {
      ...pageOptions,
      "open-slots": { type: "boolean", description: "only companies with an open slot" },
      "open-role": {
        type: "string",
        valueName: "ROLE",
        description: "only companies whose CEO, CFO or HR slot is open",
      },
      "name-prefix": {
        type: "string",
        valueName: "TEXT",
        description: "only names starting with TEXT (any case)",
      },
      "name-like": {
        type: "string",
        valueName: "TEXT",
        description: "only names containing TEXT or with a word close to it (trigram similarity)",
      },
      since: {
        type: "string",
        field: "created_since",
        valueName: "TIME",
        description: "only companies created at or after (ISO date or time)",
      },
    },
    examples: [
      "ple company list",
      "ple company list --open-slots --limit 100 --json",
      "ple company list --open-role CFO --name-prefix north",
      'ple company list --name-like "harbr pine"',
      "ple company list --since 2026-11-01",
    ],
    async run(ctx, args) {
      const since = stringOption(args, "since");
      const openRole = stringOption(args, "open-role")?.trim().toUpperCase();
      const namePrefix = stringOption(args, "name-prefix");
      const nameSimilar = stringOption(args, "name-like");
      const openSlots = flag(args, "open-slots");
      const paging = pageArgs(args);
      const page = await companyList(await ctx.db(), {
        ...paging,
        ...(openSlots ? { hasOpenSlots: true } : {}),
        ...(since === undefined ? {} : { createdSince: since }),
        ...(openRole === undefined ? {} : { openRole }),
        ...(namePrefix === undefined ? {} : { namePrefix }),
        ...(nameSimilar === undefined ? {} : { nameSimilar }),
      });
      return {
        data: page,
        human: renderPage(page, companyColumns, "ple company list", [
          ["open-slots", openSlots],
          ["open-role", openRole],
          ["name-prefix", namePrefix],
          ["name-like", nameSimilar],
          ["since", since],
          ["limit", paging.limit],
        ]),
      };
    },
  },
  {
    path: ["company", "search"],
    summary: "companies whose name resembles the query (trigram similarity)",
    positionals: [{ name: "QUERY", required: true, description: "part of a company name" }],
    options: {
      limit: {
        type: "string",
        valueName: "N",
        description: "at most this many, 1–100 (default 20)",
      },
    },
    examples: ["ple company search northwind", 'ple company search "harbor pine" --json'],
    async run(ctx, args) {
      const limit = intOption(args, "limit", { min: 1, max: 100 });
      const hits = await companySearch(await ctx.db(), {
        query: positional(args, 0, "QUERY"),
        ...(limit === undefined ? {} : { limit }),
      });
      return {
        data: hits,
        human: renderTable(
          hits.map((h) => ({
            score: h.score.toFixed(2),
            company_uid: h.company.company_uid,
            company_name: h.company.company_name,
            website: h.company.website,
          })),
        ),
      };
    },
  },
  {
    path: ["person", "get"],
    summary: "a person by id or email",
    positionals: [
      { name: "KEY", required: true, description: "PE-YYYYMMDD-NNNNNN or an email address" },
    ],
    options: {},
    examples: [
      "ple person get PE-20261126-000001",
      "ple person get naomi.bergstrom@northwind.example --json",
    ],
    async run(ctx, args) {
      const db = await ctx.db();
      const person = await personGet(db, { key: positional(args, 0, "KEY") });
      const slots = await personSlots(db, person);
      const held = slots.map((slot) => `${slot.slot_uid} (${slot.status})`).join(", ");
      return {
        data: { ...person, slots },
        human: renderRecord({ ...person, slot: held || "none" }),
      };
    },
  },
  {
    path: ["person", "list"],
    summary: "people, oldest first, a page at a time",
    positionals: [],
    options: {
      ...pageOptions,
      company: {
        type: "string",
        field: "company_uid",
        valueName: "COMPANY_UID",
        description: "only people of this company",
      },
      status: {
        type: "string",
        field: "validation_status",
        valueName: "STATUS",
        description:
          "only this validation status (pending, valid, invalid, risky, throttled, error)",
      },
      "without-slot": {
        type: "boolean",
        description: "only people who hold no slot and are proposed for none",
      },
      since: {
        type: "string",
        valueName: "TIME",
        description: "only people created at or after (ISO date or time)",
      },
    },
    examples: [
      "ple person list",
      "ple person list --company CO-20261126-000001",
      "ple person list --status valid --without-slot --json",
    ],
    async run(ctx, args) {
      const company = stringOption(args, "company");
      const status = stringOption(args, "status");
      const since = stringOption(args, "since");
      const withoutSlot = flag(args, "without-slot");
      const paging = pageArgs(args);
      const page = await personList(await ctx.db(), {
        ...paging,
        ...(company === undefined ? {} : { companyUid: company }),
        ...(status === undefined ? {} : { validationStatus: status }),
        ...(since === undefined ? {} : { createdSince: since }),
        ...(withoutSlot ? { withoutSlot: true } : {}),
      });
      return {
        data: page,
        human: renderPage(page, personColumns, "ple person list", [
          ["company", company],
          ["status", status],
          ["without-slot", withoutSlot],
          ["since", since],
          ["limit", paging.limit],
        ]),
      };
    },
  },
  {
    path: ["slot", "list"],
    summary: "the three slots of a company, or with --open the open slots and their companies",
    positionals: [
      {
        name: "COMPANY_UID",
        required: false,
        description: "the company (CO-YYYYMMDD-NNNNNN); not with --open",
      },
    ],
    options: {
      open: { type: "boolean", description: "open slots of every company, oldest company first" },
      role: { type: "string", valueName: "ROLE", description: "with --open: only CEO, CFO or HR" },
      since: {
        type: "string",
        valueName: "TIME",
        description: "with --open: only slots created at or after (ISO date or time)",
      },
      ...pageOptions,
    },
    examples: [
      "ple slot list CO-20261126-000001",
      "ple slot list --open --role CFO",
      "ple slot list --open --since 2026-11-01 --limit 500 --json",
    ],
    async run(ctx, args) {
      if (flag(args, "open")) {
        if (args.positionals.length > 0) {
          throw new UsageError("give either COMPANY_UID or --open, not both");
        }
        const role = roleOption(args);
        const since = stringOption(args, "since");
        const paging = pageArgs(args);
        const page = await slotListOpen(await ctx.db(), {
          ...paging,
          ...(role === undefined ? {} : { role }),
          ...(since === undefined ? {} : { since }),
        });
        return {
          data: page,
          human: renderOpenSlots(page, {
            ...(role === undefined ? {} : { role }),
            ...(since === undefined ? {} : { since }),
            ...(paging.limit === undefined ? {} : { limit: paging.limit }),
          }),
        };
      }
      for (const name of ["role", "since", "limit", "cursor"]) {
        if (args.values[name] !== undefined) throw new UsageError(`--${name} needs --open`);
      }
      const slots = await slotList(await ctx.db(), {
        companyUid: positional(args, 0, "COMPANY_UID (or --open)"),
      });
      return { data: slots, human: renderTable(slots.map((s) => ({ ...s }))) };
    },
  },
  slotSpec("link", "link a person into an open slot (open → filled)", true),
  slotSpec(
    "propose",
    "propose a person for an open slot, pending validation (open → pending)",
    true,
  ),
  slotSpec("confirm", "confirm the proposed person (pending → filled)", false),
  slotSpec("reject", "reject the proposed person (pending → open)", false),
  slotSpec("vacate", "unlink the person of a filled slot (filled → open)", false),
  slotSpec("displace", "replace the person of a filled slot with another (audited)", true),
  {
    path: ["history"],
    summary: "a company's, slot's or person's versions, audit trail and slot events",
    positionals: [{ name: "UID", required: true, description: "CO-…, SL-… or PE-…" }],
    options: {
      "as-of": {
        type: "string",
        valueName: "TIME",
        description: "the version current at this time (ISO, e.g. 2026-11-26T12:00:00Z)",
      },
      "audit-limit": {
        type: "string",
        valueName: "N",
        description: "newest audit entries to show, 1–1000 (default 100)",
      },
    },
    examples: [
      "ple history CO-20261126-000001",
      "ple history SL-CO-20261126-000001-CEO --as-of 2026-11-26T09:00:00Z",
      "ple history PE-20261126-000007 --json",
    ],
    async run(ctx, args) {
      const asOf = stringOption(args, "as-of");
      const auditLimit = intOption(args, "audit-limit", { min: 1, max: 1000 });
      const report = await history(await ctx.db(), {
        uid: positional(args, 0, "UID"),
        ...(asOf === undefined ? {} : { asOf }),
        ...(auditLimit === undefined ? {} : { auditLimit }),
      });
      return { data: report, human: renderHistory(report) };
    },
  },
];
