/** What an import needs from the registry, one transaction (batch) at a time. */
import type {
  CompanyCreateInput,
  CompanyUid,
  ErrorCode,
  PersonCreateInput,
  PersonId,
} from "@ple/core";
import type {
  CompanyImportOutcome,
  CompanyPreviewOutcome,
  CompanyReference,
  DryRunMemory,
  ImportedValidation,
  OnExisting,
  PersonImportOutcome,
} from "@ple/db";

/** What a row did to a record: created it, found it (skip), or filled / updated it (or not). */
export type WriteStatus = "created" | "exists" | "updated" | "unchanged";

export type LinkOutcome = "linked" | "already_linked" | "slot_taken" | "person_in_other_slot";

export interface RejectToRecord {
  row_number: number;
  error_code: ErrorCode;
  field: string | null;
  message: string;
  raw_row: string;
}

export interface ImportStore {
  /** The company_uid of the company with this canonical website or Apollo id, if any. */
  findCompany(website: string | null, apolloCompanyId: string | null): Promise<CompanyUid | null>;
  /** The uid back when the company exists. */
  companyExists(companyUid: CompanyUid): Promise<CompanyUid | null>;
  /**
   * The person with this (normalised) email (its id and LinkedIn URL), if any; when there is none,
   * SUPPRESSED if the email or LinkedIn URL is on the suppression list (as creating the person
   * would be). A person already stored is found, suppressed or not, as the real run finds them.
   */
  findPerson(
    email: string,
    linkedinUrl?: string | null,
  ): Promise<{ person_id: PersonId; linkedin_url: string | null } | null>;
  /** Creates a company or applies company.on_existing (default skip) to the one it names. */
  createCompany(
    company: CompanyCreateInput,
  ): Promise<{ status: WriteStatus; company_uid: CompanyUid }>;
  /** Creates a person or applies person.on_existing (default skip) to the one it names. */
  createPerson(person: PersonCreateInput): Promise<{ status: WriteStatus; person_id: PersonId }>;
  /**
   * What createPerson would do with a person already stored, with this onExisting (run and
   * rolled back; with skip, its identity check alone); null when nobody has the email. `earlier`:
   * rows of the file before this one that found the same person, run first in the same rolled-back
   * transaction, so that this row is judged as the real run judges it, after them.
   */
  previewPerson(
    person: PersonCreateInput,
    onExisting: OnExisting,
    earlier?: readonly PersonCreateInput[],
  ): Promise<Exclude<WriteStatus, "created"> | null>;
  /**
   * Imports a batch of companies set-based, one outcome per row: a row the database refuses
   * is rejected alone, the others go in.
   */
  importCompanies(
    companies: readonly CompanyCreateInput[],
    onExisting?: OnExisting,
  ): Promise<CompanyImportOutcome[]>;
  /**
   * What importCompanies would do with a batch (the same planner), given what the dry run's
   * earlier batches would have created (`memory`, updated); writes nothing.
   */
  previewCompanies(
    companies: readonly CompanyCreateInput[],
    memory: DryRunMemory,
    onExisting?: OnExisting,
  ): Promise<CompanyPreviewOutcome[]>;
  /**
   * Imports a batch of people set-based (idempotent by email), one outcome per row; a person
   * created gets the validation result given with them (recordValidations' rule).
   */
  importPeople(
    people: ReadonlyArray<
      PersonCreateInput & { validation?: Omit<ImportedValidation, "person_id"> | null }
    >,
    onExisting?: OnExisting,
  ): Promise<PersonImportOutcome[]>;
  /**
   * The people (indexes, in order) the suppression list refuses: those whose row would create a
   * person with a suppressed email or LinkedIn URL (SUPPRESSED).
   */
  suppressedPeople(
    people: ReadonlyArray<{ email: string; linkedin_url?: string | null | undefined }>,
  ): Promise<number[]>;
  /**
   * Links people into slots as linkPerson would one by one in this order, set-based (the slots
   * locked in slot_uid order, so that concurrent imports linking into the same slots queue);
   * null, having written nothing, when a link must go through linkPerson (a missing slot, a
   * person of another company, a write the database refused).
   */
  linkPeople(
    links: ReadonlyArray<{ person_id: PersonId; slot_uid: string }>,
  ): Promise<LinkOutcome[] | null>;
  /** The person holding this (normalised) LinkedIn URL (the lowest id of several), if any. */
  personWithLinkedin(linkedinUrl: string): Promise<PersonId | null>;
  /** Records the validation results the file brings for people this import created. */
  recordValidations(results: readonly ImportedValidation[]): Promise<void>;
  /** Links a person into a slot; a conflict is an outcome, not an error, and undoes nothing. */
  linkPerson(personId: PersonId, slotUid: string): Promise<LinkOutcome>;
  /** Keeps rejected rows; recording the same file and row again changes nothing. */
  recordRejects(file: string, rejects: readonly RejectToRecord[]): Promise<void>;
  /** Runs `fn` in a savepoint: if it throws, its writes are undone and the batch goes on. */
  savepoint<T>(fn: (store: ImportStore) => Promise<T>): Promise<T>;
}

export interface ImportStoreFactory {
  /** One transaction; read-only (and rolled back) for a dry run. */
  batch(dryRun: boolean, fn: (store: ImportStore) => Promise<void>): Promise<void>;
  /**
   * How many batch transactions may be open at once (default 1). A company import then writes
   * the next batch's independent rows while the batch before is still being written.
   */
  readonly parallelBatches?: number;
  /**
   * For each reference, the stored companies its UID, website and Apollo id name now (null: a
   * UID no company has); read only, outside any batch. A people import writes two batches at
   * once only where the store answers this (see peopleKeys).
   */
  companiesNamed?(refs: readonly CompanyReference[]): Promise<Array<CompanyUid[] | null>>;
}
