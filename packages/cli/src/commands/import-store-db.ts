/**
 * The import store over @ple/db: one actor transaction per batch; set-based company and people
 * batches (importCompanyBatch, importPersonBatch), with the repositories and a savepoint per row
 * for the row-by-row fallback and dry runs.
 */
import { type CompanyUid, isPleError, type PersonId } from "@ple/core";
import {
  companiesNamed,
  getCompany,
  getPerson,
  importCompanyBatch,
  importPersonBatch,
  linkImportedPeople,
  linkPersonToSlot,
  listImportRejects,
  type PleDatabase,
  personIdByLinkedinUrl,
  previewCompanyBatch,
  previewPersonPolicy,
  type Queryable,
  recordImportRejects,
  refuseSuppressed,
  setImportedValidations,
  storedRejectText,
  suppressedImportRows,
  upsertCompany,
  upsertPerson,
} from "@ple/db";
import { asActor } from "./actor.js";
import type {
  ImportStore,
  ImportStoreFactory,
  LinkOutcome,
  RejectToRecord,
} from "./import-store.js";

async function orNull<T>(lookup: Promise<T>, notFound: string): Promise<T | null> {
  try {
    return await lookup;
  } catch (err) {
    if (isPleError(err) && err.code === notFound) return null;
    throw err;
  }
}

/**
 * A reject's identity within its file: row number and the row as stored (storedRejectText, a NUL
 * as ␀), so that rows read back from import_reject and rows of this run
 * compare equal.
 */
const rejectKey = (rowNumber: number, storedRawRow: string) => `${rowNumber}\n${storedRawRow}`;

export function databaseImportStores(db: PleDatabase, actor: string): ImportStoreFactory {
  // Rejects already kept for a file (from an earlier or killed run), so a re-run adds none.
  // (Loaded once per file; batches written at the same time share the one load.)
  const knownRejects = new Map<string, Promise<Set<string>>>();
  const loadRejects = async (q: Queryable, file: string): Promise<Set<string>> => {
    const known = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await listImportRejects(q, {
        source_file: file,
        limit: 10_000,
        ...(after === undefined ? {} : { after_id: after }),
      });
      for (const r of page) known.add(rejectKey(r.row_number, r.raw_row));
      const last = page.at(-1);
      if (!last || page.length < 10_000) break;
      after = last.id;
    }
    return known;
  };
  const rejectsOf = async (q: Queryable, file: string): Promise<Set<string>> => {
    const loading = knownRejects.get(file);
    if (loading !== undefined) {
      try {
        return await loading;
      } catch {
        // Another batch's load failed with its transaction: load it again here.
      }
    }
    const load = loadRejects(q, file);
    knownRejects.set(file, load);
    load.catch(() => {
      if (knownRejects.get(file) === load) knownRejects.delete(file);
    });
    return load;
  };

  /** A store on q; `recorded` collects the rejects its transaction wrote (file → keys). */
  const storeOn = (q: Queryable, recorded: Map<string, Set<string>>): ImportStore => ({
    async findCompany(website, apolloCompanyId) {
      if (website !== null) {
        const byWebsite = await orNull(getCompany(q, { website }), "COMPANY_NOT_FOUND");
        if (byWebsite) return byWebsite.company_uid;
      }
      if (apolloCompanyId !== null) {
        const byApollo = await orNull(
          getCompany(q, { apollo_company_id: apolloCompanyId }),
          "COMPANY_NOT_FOUND",
        );
        if (byApollo) return byApollo.company_uid;
      }
      return null;
    },
    async companyExists(companyUid: CompanyUid) {
      const found = await orNull(getCompany(q, { company_uid: companyUid }), "COMPANY_NOT_FOUND");
      return found?.company_uid ?? null;
    },
    async findPerson(email: string, linkedinUrl?: string | null) {
      const found = await orNull(getPerson(q, { email }), "PERSON_NOT_FOUND");
      // Only a row that would create a person is refused, as suppressedImportRows decides.
      if (found === null) await refuseSuppressed(q, { email, linkedin_url: linkedinUrl });
      return found === null
        ? null
        : { person_id: found.person_id, linkedin_url: found.linkedin_url };
    },
    personWithLinkedin(linkedinUrl) {
      return personIdByLinkedinUrl(q, linkedinUrl);
    },
    async recordValidations(results) {
      await setImportedValidations(q, results);
    },
    async createCompany(company) {
      const result = await upsertCompany(q, company);
      return { status: result.status, company_uid: result.company.company_uid };
    },
    async createPerson(person) {
      const result = await upsertPerson(q, person);
      return { status: result.status, person_id: result.person.person_id };
    },
    async previewPerson(person, onExisting, earlier = []) {
      const out = (await previewPersonPolicy(q, [...earlier, person], onExisting)).at(-1);
      if (out === undefined || out.status === "created") return null;
      if (out.status === "rejected") throw out.error;
      return out.status === "existing" ? "exists" : out.status;
    },
    importCompanies(companies, onExisting) {
      return importCompanyBatch(q, companies, onExisting === undefined ? {} : { onExisting });
    },
    previewCompanies(companies, memory, onExisting) {
      return previewCompanyBatch(
        q,
        companies,
        memory,
        onExisting === undefined ? {} : { onExisting },
      );
    },
    importPeople(people, onExisting) {
      return importPersonBatch(q, people, onExisting === undefined ? {} : { onExisting });
    },
    suppressedPeople(people) {
      return suppressedImportRows(q, people);
    },
    linkPeople(links) {
      return linkImportedPeople(q, links);
    },
    async linkPerson(personId: PersonId, slotUid: string): Promise<LinkOutcome> {
      try {
        const change = await linkPersonToSlot(q, {
          person_id: personId,
          slot_uid: slotUid as Parameters<typeof linkPersonToSlot>[1]["slot_uid"],
        });
        return change.changed ? "linked" : "already_linked";
      } catch (err) {
        if (isPleError(err)) {
          if (err.code === "PERSON_ALREADY_LINKED") return "person_in_other_slot";
          if (err.code === "SLOT_CONFLICT" || err.code === "INVALID_TRANSITION")
            return "slot_taken";
        }
        throw err;
      }
    },
    async recordRejects(file: string, rejects: readonly RejectToRecord[]) {
      if (rejects.length === 0) return;
      const known = await rejectsOf(q, file);
      let mine = recorded.get(file);
      if (!mine) {
        mine = new Set();
        recorded.set(file, mine);
      }
      const fresh: RejectToRecord[] = [];
      for (const reject of rejects) {
        // A suppressed person's row is stored as "[suppressed]" (migration 012), never the row.
        const stored =
          reject.error_code === "SUPPRESSED" ? "[suppressed]" : storedRejectText(reject.raw_row);
        const key = rejectKey(reject.row_number, stored);
        if (known.has(key) || mine.has(key)) continue;
        fresh.push(reject);
        mine.add(key);
      }
      if (fresh.length === 0) return;
      await recordImportRejects(
        q,
        fresh.map((reject) => ({ source_file: file, ...reject })),
      );
    },
    savepoint(fn) {
      if (!("isTransaction" in q) || q.isTransaction !== true) return fn(storeOn(q, recorded));
      return q.transaction((sp) => fn(storeOn(sp, recorded)));
    },
  });

  return {
    // Two batches at once on a server (a pool of connections); one on the embedded database,
    // whose single connection would only queue them.
    parallelBatches: db.kind === "server" ? 2 : 1,
    companiesNamed: (refs) => companiesNamed(db.knex, refs),
    async batch(dryRun, fn) {
      // Rejects recorded by this batch, known only once it commits.
      const recorded = new Map<string, Set<string>>();
      if (dryRun) {
        // Reads only: no transaction to hold open, nothing to roll back.
        await fn(storeOn(db.knex, recorded));
        return;
      }
      await asActor(db, actor, (trx) => fn(storeOn(trx, recorded)));
      // Committed: these rejects are now known (a rolled-back batch's are not).
      for (const [file, keys] of recorded) {
        const known = await knownRejects.get(file)?.catch(() => undefined);
        if (known) for (const key of keys) known.add(key);
      }
    },
  };
}
