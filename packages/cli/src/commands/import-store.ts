/** What an import needs from the registry, one transaction (batch) at a time. */
import type {
  CompanyCreateInput,
  CompanyUid,
  ErrorCode,
  PersonCreateInput,
  PersonId,
} from "@ple/core";

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
  /** The person_id of the person with this (normalised) email, if any. */
  findPerson(email: string): Promise<PersonId | null>;
  createCompany(
    company: CompanyCreateInput,
  ): Promise<{ status: "created" | "exists"; company_uid: CompanyUid }>;
  createPerson(
    person: PersonCreateInput,
  ): Promise<{ status: "created" | "exists"; person_id: PersonId }>;
  linkPerson(personId: PersonId, slotUid: string): Promise<LinkOutcome>;
  /** Keeps a rejected row; recording the same file and row again changes nothing. */
  recordReject(file: string, reject: RejectToRecord): Promise<void>;
  /** Runs `fn` in a savepoint: if it throws, its writes are undone and the batch goes on. */
  savepoint<T>(fn: (store: ImportStore) => Promise<T>): Promise<T>;
}

export interface ImportStoreFactory {
  /** One transaction; read-only (and rolled back) for a dry run. */
  batch(dryRun: boolean, fn: (store: ImportStore) => Promise<void>): Promise<void>;
}
