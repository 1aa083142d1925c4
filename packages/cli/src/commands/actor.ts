/** Writes made by the CLI reach the audit log as the CLI's actor, application "ple-cli". */
import { type PleDatabase, withActor } from "@ple/db";

export const APPLICATION = "ple-cli";

/** The transaction withActor hands to its callback (a knex transaction). */
export type ActorTransaction = Parameters<Parameters<typeof withActor>[2]>[0];

export function asActor<T>(
  db: PleDatabase,
  actor: string,
  fn: (trx: ActorTransaction) => Promise<T>,
): Promise<T> {
  return withActor(db, { actor, application: APPLICATION }, fn);
}
