/**
 * The embedded database (PGlite) belongs to one process at a time: two processes writing one
 * data folder corrupt it. So the CLI holds `<data folder>.lock` (holding its pid) while it has
 * the folder open, and a second `ple` (say `ple apikey create` while `ple start` serves) is
 * told to wait or use a server instead. A lock whose process is gone is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { PleError } from "@ple/core";
import { openDatabase, type PleDatabase, readDbEnv } from "@ple/db";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err instanceof Error && "code" in err && err.code === "EPERM";
  }
}

/** Takes the lock file or throws naming the process that holds it. */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener("exit", release);
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.on("exit", release);
      return release;
    } catch (err) {
      if (!(err instanceof Error && "code" in err && err.code === "EEXIST")) throw err;
      const holder = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
      if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
        throw new PleError(
          "DATABASE_UNAVAILABLE",
          `the embedded database in ${dataDir} is in use by another ple process (pid ${holder}, e.g. \`ple start\`): make the change through that server's API (e.g. people.erase with an admin key for an erasure), or stop it first, or use a PostgreSQL server (DATABASE_URL) for shared access`,
          { details: { lock_file: path, pid: holder } },
        );
      }
      // The holder is gone (killed or crashed): take the lock over.
      unlinkSync(path);
    }
  }
  throw new PleError("DATABASE_UNAVAILABLE", `could not lock ${path}`);
}

/** Opens the configured database; an embedded one under its lock, released on close. */
export async function openCliDatabase(env: NodeJS.ProcessEnv): Promise<PleDatabase> {
  const dbEnv = readDbEnv(env);
  if (dbEnv.databaseUrl !== undefined) {
    return openDatabase({
      url: dbEnv.databaseUrl,
      ...(dbEnv.databaseDirectUrl === undefined ? {} : { directUrl: dbEnv.databaseDirectUrl }),
    });
  }
  const release = lockDataDir(dbEnv.dataDir);
  try {
    const db = await openDatabase({ dataDir: dbEnv.dataDir });
    return {
      ...db,
      close: async () => {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
