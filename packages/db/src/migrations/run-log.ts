/**
 * The run log (`ple_migrations.migration_run_log`): one row per migration run
 * in either direction, with its outcome, error and duration.
 */
import type { PleDatabase } from "../database.js";
import { appliedNames, bookkeepingExists, RUN_LOG_TABLE } from "./bookkeeping.js";

export interface RunLogEntry {
  migration: string;
  direction: "up" | "down";
  started_at: Date;
  /** Null while running — and forever for a run that crashed. */
  finished_at: Date | null;
  /** "running" left behind means the runner died during this migration. */
  outcome: "running" | "success" | "failed" | "rolled_back";
  error: string | null;
  duration_ms: number | null;
}

interface RunEvent {
  id: string | null;
  migration: string;
  direction: "up" | "down";
  started_at: Date;
  finished_at: Date | null;
  outcome: RunLogEntry["outcome"];
  error: string | null;
}

/**
 * The run log. On a server each migration's row is written when it starts
 * (on its own connection, outside the migration's transaction) and completed
 * when it ends, so a crashed runner leaves a "running" row. The embedded
 * database has one connection, held by the migration's transaction, so its
 * rows are written when the run ends.
 */
export class RunLog {
  readonly events: RunEvent[] = [];

  constructor(
    private readonly db: PleDatabase,
    private readonly live: boolean,
  ) {}

  async start(migration: string, direction: "up" | "down"): Promise<RunEvent> {
    const event: RunEvent = {
      id: null,
      migration,
      direction,
      started_at: new Date(),
      finished_at: null,
      outcome: "running",
      error: null,
    };
    if (this.live) {
      const [row] = await this.db
        .knex(RUN_LOG_TABLE)
        .insert({ migration, direction, started_at: event.started_at, outcome: "running" })
        .returning("id");
      event.id = String((row as { id: unknown } | undefined)?.id ?? "");
    }
    this.events.push(event);
    return event;
  }

  async finish(event: RunEvent, outcome: "success" | "failed", error: string | null) {
    event.finished_at = new Date();
    event.outcome = outcome;
    event.error = error;
    if (this.live && event.id !== null)
      await this.db.knex(RUN_LOG_TABLE).where({ id: event.id }).update(row(event));
  }

  /** After the run: marks successes undone by a rolled-back batch; writes buffered rows. */
  async settle() {
    if (this.events.length === 0) return;
    const applied = new Set(await appliedNames(this.db.knex));
    for (const event of this.events) {
      const undone =
        event.direction === "up" ? !applied.has(event.migration) : applied.has(event.migration);
      if (event.outcome === "success" && undone) {
        event.outcome = "rolled_back";
        if (this.live && event.id !== null) {
          await this.db
            .knex(RUN_LOG_TABLE)
            .where({ id: event.id })
            .update({ outcome: "rolled_back" });
        }
      }
    }
    if (!this.live) await this.db.knex(RUN_LOG_TABLE).insert(this.events.map(row));
  }
}

function row(event: RunEvent) {
  return {
    migration: event.migration,
    direction: event.direction,
    started_at: event.started_at,
    finished_at: event.finished_at,
    outcome: event.outcome,
    error: event.error,
    duration_ms:
      event.finished_at === null ? null : event.finished_at.getTime() - event.started_at.getTime(),
  };
}

/** The run log, newest first. */
export async function migrationRunLog(db: PleDatabase, limit = 100): Promise<RunLogEntry[]> {
  if (!(await bookkeepingExists(db.knex))) return [];
  return db
    .knex(RUN_LOG_TABLE)
    .select(
      "migration",
      "direction",
      "started_at",
      "finished_at",
      "outcome",
      "error",
      "duration_ms",
    )
    .orderBy("id", "desc")
    .limit(limit);
}
