/**
 * Coalesces companies.get look-ups by company_uid that arrive together: the
 * calls made in one turn of the event loop (many concurrent clients) share one
 * statement instead of one round trip each. A call waits at most until the
 * end of the current turn (setImmediate), so a lone request is not delayed.
 */
import type { CompanyUid } from "@ple/core";
import type { CompanyWithSlots, PleDatabase } from "@ple/db";
import { getCompaniesWithSlots, getCompanyWithSlots } from "@ple/db";

/** Most uids per statement; a larger burst is split. */
export const MAX_COMPANY_BATCH = 200;

interface Waiter {
  uid: CompanyUid;
  resolve: (value: CompanyWithSlots) => void;
  reject: (error: unknown) => void;
}

export class CompanyBatcher {
  private queue: Waiter[] = [];
  private scheduled = false;

  constructor(private readonly db: PleDatabase) {}

  /** The company and its slots; COMPANY_NOT_FOUND (field company_uid) as getCompanyWithSlots. */
  get(companyUid: CompanyUid): Promise<CompanyWithSlots> {
    return new Promise((resolve, reject) => {
      this.queue.push({ uid: companyUid, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const waiting = this.queue;
    this.queue = [];
    for (let start = 0; start < waiting.length; start += MAX_COMPANY_BATCH) {
      void this.run(waiting.slice(start, start + MAX_COMPANY_BATCH));
    }
  }

  private async run(batch: Waiter[]): Promise<void> {
    if (batch.length === 1 && batch[0] !== undefined) {
      const only = batch[0];
      getCompanyWithSlots(this.db.knex, { company_uid: only.uid }).then(only.resolve, only.reject);
      return;
    }
    try {
      const found = await getCompaniesWithSlots(
        this.db.knex,
        batch.map((w) => w.uid),
      );
      const handedOut = new Set<CompanyUid>();
      for (const waiter of batch) {
        const hit = found.get(waiter.uid);
        if (hit !== undefined) {
          // Each caller gets its own objects: the first the parsed ones, a caller asking
          // for the same company in the same batch a copy, so no result is shared.
          if (handedOut.has(waiter.uid)) {
            waiter.resolve({
              company: { ...hit.company },
              slots: hit.slots.map((s) => ({ ...s })),
            });
          } else {
            handedOut.add(waiter.uid);
            waiter.resolve(hit);
          }
        } else {
          // Unknown: the single look-up raises the exact COMPANY_NOT_FOUND error.
          getCompanyWithSlots(this.db.knex, { company_uid: waiter.uid }).then(
            waiter.resolve,
            waiter.reject,
          );
        }
      }
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  }
}

const batchers = new WeakMap<PleDatabase, CompanyBatcher>();

/** The batcher of a database (one per PleDatabase). */
export function companyBatcherFor(db: PleDatabase): CompanyBatcher {
  let batcher = batchers.get(db);
  if (batcher === undefined) {
    batcher = new CompanyBatcher(db);
    batchers.set(db, batcher);
  }
  return batcher;
}
