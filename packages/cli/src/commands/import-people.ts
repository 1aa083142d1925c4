/**
 * Writing (or, in a dry run, looking up) a part of a people import batch in one transaction,
 * set-based: the rows the suppression list refuses found in one statement, the companies the
 * other rows name created through the company import's planner (importCompanyBatch), the people
 * in one INSERT … SELECT (importPersonBatch) with their Apollo "Email Status" results,
 * and their slot links decided as in file order and written in one UPDATE (linkImportedPeople).
 * A batch the set-based path cannot take goes row by row, a savepoint per row, so that exactly
 * the bad row is rejected.
 */
import {
  type CompanyUid,
  formatSlotUid,
  isPleError,
  type PersonCreateInput,
  type PersonId,
  PleError,
} from "@ple/core";
import type { OnExisting } from "@ple/db";
import { ALWAYS_WAITS, isRetryable, retrying } from "./import-pipeline.js";
import { ownCopy, type ParsedRow, type PersonRow, rejectFrom } from "./import-rows.js";
import type { ImportStore, ImportStoreFactory } from "./import-store.js";
import {
  countStatus,
  emptyOutcome,
  type PartResult,
  type RejectedRow,
  type RowOutcome,
} from "./import-summary.js";

/** A batch the set-based path hands to the row-by-row path (rolled back first). */
class RowByRow extends Error {
  constructor() {
    super("the batch goes row by row");
  }
}

/** A person a dry run would have created (company: a UID, or "w:website" of one to create). */
interface VirtualPerson {
  name: string;
  linkedin_url: string | null;
  company: string | null;
  title: string | null;
}

/** marketing.apply_person_policy's rule, on a person the dry run would have created. */
function applyToVirtual(
  record: VirtualPerson,
  row: VirtualPerson,
  policy: "fill" | "update",
): "updated" | "unchanged" {
  const next: VirtualPerson =
    policy === "update"
      ? {
          name: row.name,
          linkedin_url: row.linkedin_url ?? record.linkedin_url,
          company: row.company ?? record.company,
          title: row.title ?? record.title,
        }
      : {
          name: record.name,
          linkedin_url: record.linkedin_url ?? row.linkedin_url,
          company: record.company ?? row.company,
          title: record.title ?? row.title,
        };
  const changed = (Object.keys(next) as (keyof VirtualPerson)[]).some((k) => next[k] !== record[k]);
  Object.assign(record, next);
  return changed ? "updated" : "unchanged";
}

/**
 * The database's own SUPPRESSED error for a person the suppression list refuses (one statement,
 * in a savepoint: the error aborts it). Anything else sends the batch row by row.
 */
async function suppressionError(store: ImportStore, person: PersonRow): Promise<PleError> {
  try {
    await store.savepoint((sp) =>
      sp.findPerson(person.person.email, person.person.linkedin_url ?? null),
    );
  } catch (err) {
    if (isPleError(err) && err.code === "SUPPRESSED") return err;
    throw err;
  }
  throw new RowByRow();
}

/**
 * What a contact row shares with the rows of the batch before when two batches are written at
 * once (splitOnPrior): its email and LinkedIn URL (the person it finds or creates), the company
 * UID, website and Apollo id it names (the company it finds, creates or fills) and every stored
 * company those name now (`c:` keys, looked up by `resolve`), so that two rows naming one stored
 * company in different ways, and so perhaps competing for one of its slots, are kept in file
 * order. A row naming a company UID nobody has yet waits for the batch before, which may create
 * it. Null when the store cannot look companies up outside a batch: one batch at a time then.
 */
export function peopleKeys(stores: ImportStoreFactory): {
  keysOf: (row: ParsedRow<PersonRow>) => string[];
  resolve: (rows: readonly ParsedRow<PersonRow>[]) => Promise<void>;
} | null {
  const companiesNamed = stores.companiesNamed?.bind(stores);
  if (companiesNamed === undefined) return null;
  const named = new WeakMap<ParsedRow<PersonRow>, readonly CompanyUid[] | null>();
  const reference = ({ parsed: p }: ParsedRow<PersonRow>) => ({
    company_uid: p.companyUid,
    website: p.company?.website ?? p.companyRef?.website ?? null,
    apollo_company_id: p.company?.apollo_company_id ?? p.companyRef?.apolloCompanyId ?? null,
  });
  return {
    keysOf(row) {
      const { person } = row.parsed;
      const ref = reference(row);
      const keys = [`e:${person.email}`];
      if (person.linkedin_url) keys.push(`l:${person.linkedin_url}`);
      if (ref.company_uid) keys.push(`c:${ref.company_uid}`);
      if (ref.website) keys.push(`w:${ref.website}`);
      if (ref.apollo_company_id) keys.push(`a:${ref.apollo_company_id}`);
      const companies = named.get(row);
      if (companies === null) keys.push(ALWAYS_WAITS);
      for (const uid of companies ?? []) keys.push(`c:${uid}`);
      return keys;
    },
    async resolve(rows) {
      const naming = rows.filter(
        (r) => r.parsed.companyUid !== null || r.parsed.company || r.parsed.companyRef,
      );
      const found = await companiesNamed(naming.map(reference));
      for (const [index, row] of naming.entries()) named.set(row, found[index] ?? []);
    },
  };
}

export function peoplePartWriter(
  stores: ImportStoreFactory,
  file: string,
  dryRun: boolean,
  source: "apollo" | "csv",
  onExisting: OnExisting = "skip",
) {
  // In a dry run, a later row naming an earlier row's company or email counts as "existing",
  // exactly as in a real run: the dry run remembers what it would have created.
  const seen = new Set<string>();
  // The people the dry run would have created, as later rows of the file would find them.
  const virtual = new Map<string, VirtualPerson>();
  // With --on-existing fill / update, the dry run's earlier rows that found a stored person, by
  // email: a later row of the same person is previewed after them, as the real run writes it.
  const previewed = new Map<string, PersonCreateInput[]>();
  // The LinkedIn URLs of the people the dry run would create (URL → the first one's email key),
  // and those of the stored people its rows found, as the rows before leave them: match_person
  // refuses a row that finds a person with another person's URL, as the real run does.
  const createdLinkedin = new Map<string, string>();
  const storedFound = new Map<string, { person_id: PersonId; linkedin_url: string | null }>();

  /** One row, in its own savepoint (row by row, and every row of a dry run). */
  const handleRow = async (store: ImportStore, row: ParsedRow<PersonRow>): Promise<RowOutcome> => {
    const out = emptyOutcome();
    const person = row.parsed;
    // The company: named by uid, found by Apollo id / website, or created from name + website.
    let companyUid: CompanyUid | null = null;
    let companyWillExist = false;
    if (person.companyUid !== null) {
      companyUid = await store.companyExists(person.companyUid);
      if (companyUid === null) {
        throw new PleError("COMPANY_NOT_FOUND", `no company ${person.companyUid}`, {
          field: "company_uid",
        });
      }
    } else if (person.company) {
      const c = person.company;
      if (dryRun) {
        companyUid = await store.findCompany(c.website, c.apollo_company_id ?? null);
        const key = `w:${c.website}`;
        if (companyUid === null && !seen.has(key)) out.companiesCreated++;
        if (!seen.has(key)) seen.add(ownCopy(key));
        companyWillExist = true;
      } else {
        const result = await store.createCompany(c);
        if (result.status === "created") out.companiesCreated++;
        companyUid = result.company_uid;
      }
    } else if (person.companyRef) {
      companyUid = await store.findCompany(
        person.companyRef.website,
        person.companyRef.apolloCompanyId,
      );
    }
    if (companyUid === null && !companyWillExist) out.withoutCompany++;
    const title = person.person.title ?? null;
    if (title !== null && person.role === null) out.unmappedTitle = title;
    if (dryRun) {
      const key = `e:${person.person.email}`;
      const earlier = seen.has(key);
      // A suppressed email or LinkedIn URL is refused (SUPPRESSED) as the real run's insert is.
      const stored = earlier
        ? null
        : await store.findPerson(person.person.email, person.person.linkedin_url);
      if (!earlier) seen.add(ownCopy(key));
      const values: VirtualPerson = {
        name: person.person.name,
        linkedin_url: person.person.linkedin_url ?? null,
        company: companyUid ?? (person.company ? `w:${person.company.website}` : null),
        title: person.person.title ?? null,
      };
      const created = earlier ? virtual.get(key) : undefined;
      const linkedin = values.linkedin_url;
      if (!earlier && stored === null) {
        out.created++;
        virtual.set(ownCopy(key), values);
        if (linkedin !== null && !createdLinkedin.has(linkedin)) {
          createdLinkedin.set(ownCopy(linkedin), ownCopy(key));
        }
        return out;
      }
      // A row finding a person (stored, or created earlier in the file) with the LinkedIn URL of
      // another person: IDENTITY_CONFLICT, as match_person answers the real run. The preview
      // below checks a stored person against stored ones; this checks the people the file
      // creates, and a person it creates against stored ones.
      const found = stored ?? storedFound.get(key) ?? null;
      const own = found !== null ? found.linkedin_url : (created?.linkedin_url ?? null);
      if (linkedin !== null && linkedin !== own) {
        const holder = createdLinkedin.get(linkedin);
        const other =
          holder !== undefined && holder !== key
            ? `a person this file creates (${holder.slice(2)})`
            : stored === null
              ? await store
                  .personWithLinkedin(linkedin)
                  .then((id) => (id !== null && id !== found?.person_id ? `person ${id}` : null))
              : null;
        if (other) {
          throw new PleError(
            "IDENTITY_CONFLICT",
            `linkedin_url: the email ${person.person.email} belongs to ${found !== null ? `person ${found.person_id}` : "a person this file creates"} but the LinkedIn URL ${linkedin} to ${other}; merge them or correct the input`,
            { field: "linkedin_url", details: { reason: "identity_conflict" } },
          );
        }
      }
      if (stored !== null) storedFound.set(ownCopy(key), { ...stored });
      if (onExisting === "skip") {
        // The real run refuses a LinkedIn URL of another person (IDENTITY_CONFLICT) for a
        // stored person found by email: the same check, run and rolled back.
        if (stored !== null && person.person.linkedin_url) {
          await store.previewPerson({ ...person.person, company_uid: companyUid, source }, "skip");
        }
        out.existing++;
      } else if (created !== undefined) {
        countStatus(out, applyToVirtual(created, values, onExisting));
      } else {
        const input = { ...person.person, company_uid: companyUid, source };
        const before = previewed.get(key) ?? [];
        const status = await store.previewPerson(input, onExisting, before);
        if (before.length === 0) previewed.set(ownCopy(key), before);
        before.push(input);
        // apply_person_policy's LinkedIn URL: fill keeps one the person has, update takes the row's.
        const after = storedFound.get(key);
        if (after)
          after.linkedin_url = onExisting === "update" ? (linkedin ?? own) : (own ?? linkedin);
        countStatus(out, status ?? "created");
      }
      return out;
    }
    const created = await store.createPerson({
      ...person.person,
      company_uid: companyUid,
      source,
      on_existing: onExisting,
    });
    countStatus(out, created.status);
    // Apollo's "Email Status" is recorded for people this import created, never over an
    // existing person's results.
    if (created.status === "created" && person.validation !== null) {
      await store.recordValidations([{ person_id: created.person_id, ...person.validation }]);
    }
    if (companyUid === null || person.role === null) return out;
    const slotUid = formatSlotUid(companyUid, person.role);
    const link = await store.linkPerson(created.person_id, slotUid);
    out.link =
      link === "linked" || link === "already_linked"
        ? link
        : {
            row_number: row.row.rowNumber,
            person_id: created.person_id,
            slot_uid: slotUid,
            reason: link,
          };
    return out;
  };

  /**
   * A batch of people: the companies they name created in one set-based call, then the people
   * in one, then each person linked into their slot in file order. Ends as the row-by-row path
   * would; a person the database refuses sends the batch down that path instead, so that its
   * company is not kept either.
   */
  const bulkPeople = async (
    store: ImportStore,
    planned: readonly ParsedRow<PersonRow>[],
    part: PartResult,
  ) => {
    const rows = planned.map(({ row, parsed }) => ({ row, person: parsed, out: emptyOutcome() }));
    // 0. The people the suppression list refuses (one statement for the batch). Their rows
    //    create no company (the row-by-row path rolls such a row's company back with it).
    const suppressed = new Set(
      (await store.suppressedPeople(rows.map((r) => r.person.person))).map(
        (index) => rows[index]?.row.rowNumber,
      ),
    );
    // 1. The companies named with name and website.
    const naming = rows.filter(
      (r) => r.person.company !== null && !suppressed.has(r.row.rowNumber),
    );
    const companyResults = await store.importCompanies(
      naming.flatMap((r) => (r.person.company === null ? [] : [r.person.company])),
    );
    const refused = new Set<number>();
    const companyOf = new Map<number, CompanyUid>();
    // Which row of this batch created a company: a row before it cannot have found it.
    const createdBy = new Map<CompanyUid, number>();
    for (const [index, result] of companyResults.entries()) {
      const r = naming[index];
      if (r === undefined) throw new PleError("INTERNAL", "an import outcome without its row");
      if (result.status === "rejected") {
        part.rejects.push(rejectFrom(r.row, result.error));
        refused.add(r.row.rowNumber);
        continue;
      }
      if (result.status === "created") {
        r.out.companiesCreated++;
        createdBy.set(result.company_uid, r.row.rowNumber);
      }
      companyOf.set(r.row.rowNumber, result.company_uid);
    }
    // 2. The companies named by uid, Apollo id or website (looked up once per batch).
    const lookups = new Map<string, CompanyUid | null>();
    const lookUp = async (key: string, find: () => Promise<CompanyUid | null>) => {
      if (lookups.has(key)) return lookups.get(key) ?? null;
      const found = await find();
      lookups.set(key, found);
      return found;
    };
    const people: Array<(typeof rows)[number] & { companyUid: CompanyUid | null }> = [];
    for (const r of rows) {
      if (refused.has(r.row.rowNumber)) continue;
      let companyUid = companyOf.get(r.row.rowNumber) ?? null;
      const { person } = r;
      if (person.companyUid !== null) {
        const uid = person.companyUid;
        companyUid = await lookUp(`u:${uid}`, () => store.companyExists(uid));
        if (companyUid === null) {
          part.rejects.push(
            rejectFrom(
              r.row,
              new PleError("COMPANY_NOT_FOUND", `no company ${uid}`, { field: "company_uid" }),
            ),
          );
          continue;
        }
      } else if (person.companyRef) {
        const { website, apolloCompanyId } = person.companyRef;
        companyUid = await lookUp(`r:${website}\u0000${apolloCompanyId}`, () =>
          store.findCompany(website, apolloCompanyId),
        );
        const creator = companyUid === null ? undefined : createdBy.get(companyUid);
        if (creator !== undefined && creator > r.row.rowNumber) companyUid = null;
      }
      if (suppressed.has(r.row.rowNumber)) {
        part.rejects.push(rejectFrom(r.row, await suppressionError(store, person)));
        continue;
      }
      if (companyUid === null) r.out.withoutCompany++;
      const title = person.person.title ?? null;
      if (title !== null && person.role === null) r.out.unmappedTitle = title;
      people.push({ ...r, companyUid });
    }
    // 3. The people.
    const personResults = await store.importPeople(
      people.map((p) => ({
        ...p.person.person,
        company_uid: p.companyUid,
        source,
        validation: p.person.validation,
      })),
      onExisting,
    );
    if (personResults.some((result) => result.status === "rejected")) throw new RowByRow();
    // Recorded with the insert; this writes only where the set-based insert was bypassed (its
    // per-row fallback), since it changes people still pending alone.
    await store.recordValidations(
      personResults.flatMap((result, index) => {
        const validation = people[index]?.person.validation ?? null;
        return result.status === "created" && validation !== null
          ? [{ person_id: result.person_id, ...validation }]
          : [];
      }),
    );
    // 4. The slots, linked as in file order in one statement (their rows locked first in
    //    slot_uid order, so that two imports linking into the same slots, from files in
    //    different orders, queue up instead of deadlocking). A link only the per-row path can
    //    answer (a person of another company: COMPANY_MISMATCH) sends the batch down that path.
    const links: Array<{
      out: RowOutcome;
      rowNumber: number;
      person_id: PersonId;
      slot_uid: string;
    }> = [];
    for (const [index, result] of personResults.entries()) {
      const p = people[index];
      if (p === undefined || result.status === "rejected") {
        throw new PleError("INTERNAL", "an import outcome without its row");
      }
      countStatus(p.out, result.status);
      part.outcomes.push(p.out);
      if (p.companyUid === null || p.person.role === null) continue;
      links.push({
        out: p.out,
        rowNumber: p.row.rowNumber,
        person_id: result.person_id,
        slot_uid: formatSlotUid(p.companyUid, p.person.role),
      });
    }
    const linked = await store.linkPeople(
      links.map(({ person_id, slot_uid }) => ({ person_id, slot_uid })),
    );
    if (linked === null) throw new RowByRow();
    for (const [index, link] of links.entries()) {
      const outcome = linked[index];
      if (outcome === undefined) throw new PleError("INTERNAL", "a link without its outcome");
      link.out.link =
        outcome === "linked" || outcome === "already_linked"
          ? outcome
          : {
              row_number: link.rowNumber,
              person_id: link.person_id,
              slot_uid: link.slot_uid,
              reason: outcome,
            };
    }
  };

  const fresh = (invalid: readonly RejectedRow[]): PartResult => ({
    outcomes: [],
    rejects: [...invalid],
  });

  return async (
    planned: readonly ParsedRow<PersonRow>[],
    invalid: readonly RejectedRow[],
  ): Promise<PartResult> => {
    let part = fresh(invalid);
    const finish = async (store: ImportStore) => {
      part.rejects.sort((a, b) => a.row_number - b.row_number);
      if (!dryRun) await store.recordRejects(file, part.rejects);
    };
    const bulk = () =>
      stores.batch(false, async (store) => {
        // A retried transaction starts its bookkeeping afresh.
        part = fresh(invalid);
        await bulkPeople(store, planned, part);
        await finish(store);
      });
    const rowByRow = () =>
      stores.batch(dryRun, async (store) => {
        part = fresh(invalid);
        for (const row of planned) {
          try {
            part.outcomes.push(await store.savepoint((sp) => handleRow(sp, row)));
          } catch (err) {
            // A row that lost a race with another writer is not a bad row: retrying it in
            // this transaction would keep the locks that caused the deadlock, so the whole
            // batch is rolled back and retried.
            if (isRetryable(err)) throw err;
            part.rejects.push(rejectFrom(row.row, err));
          }
        }
        await finish(store);
      });
    if (dryRun) {
      await rowByRow();
      return part;
    }
    try {
      await retrying(bulk);
    } catch (err) {
      // The set-based path answers rows the database refuses itself; anything else it could
      // not take (a refused person, a failed link) rolls the batch back and redoes it row by
      // row, so that only the bad row is rejected.
      if (!(err instanceof RowByRow) && !isPleError(err)) throw err;
      await retrying(rowByRow);
    }
    return part;
  };
}
