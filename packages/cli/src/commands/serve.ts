/**
 * `ple serve` (the API on an already migrated database) and `ple start` (the README's main
 * command: migrate the embedded database, load the sample data when it is empty, make sure an
 * admin key exists, start the API and say how to call it).
 */
import { type ApiEnv, type PleServer, startApi, workersRefused } from "@ple/api";
import {
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  migrateLatest,
  type PleDatabase,
} from "@ple/db";
import type { CommandContext, CommandSpec } from "../command.js";
import { flag, intOption, stringOption } from "../command.js";
import { renderJson } from "../output.js";
import { UsageError } from "../usage-error.js";
import { companyCount } from "./lookups.js";
import { type SeedResult, seedSample } from "./seed.js";

export interface ServeOptions {
  /** The API's settings (PORT, HOST, LOG_LEVEL, …), with --port/--host applied. */
  env: ApiEnv;
  /** Where the request log goes (default: stderr); readable on a terminal, JSON otherwise. */
  logDestination?: { write(chunk: string): unknown; isTTY?: boolean };
}

export interface RunningServer {
  url: string;
  server: PleServer;
  /** Migrations the start-up applied. */
  migrated: string[];
}

/** Starts the API through @ple/api's startApi: the same start-up as the API's own main. */
export async function serve(db: PleDatabase, options: ServeOptions): Promise<RunningServer> {
  const started = await startApi({
    db,
    env: options.env,
    logDestination: options.logDestination ?? process.stderr,
  });
  return { url: started.url, server: started.server, migrated: started.migrated };
}

export interface StartResult {
  url: string;
  database: { kind: PleDatabase["kind"]; data_dir: string | null };
  migrated: string[];
  seeded: SeedResult | null;
  /** The admin key created now (shown once), or null when one already existed. */
  admin_key: CreatedApiKey | null;
  curl: string;
}

/** Everything `ple start` does before serving: migrate, seed when empty, ensure an admin key. */
export async function prepareStart(
  db: PleDatabase,
  options: { actor: string; sample?: boolean; newKey?: boolean },
): Promise<Omit<StartResult, "url" | "curl">> {
  const migrated = await migrateLatest(db);
  // Demo data goes into an empty embedded database by default; into a server only when asked.
  const wantSample = options.sample ?? db.kind === "embedded";
  const seeded =
    wantSample && (await companyCount(db)) === 0 ? await seedSample(db, options) : null;
  const admins = (await listApiKeys(db.knex)).filter((k) => k.role === "admin");
  const adminKey =
    admins.length === 0 || options.newKey === true
      ? await createApiKey(db.knex, { name: "ple start", role: "admin" })
      : null;
  return {
    database: { kind: db.kind, data_dir: db.dataDir ?? null },
    migrated: migrated.migrations,
    seeded,
    admin_key: adminKey,
  };
}

export function curlExample(url: string, key: string): string {
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 5 } }));
  return `curl -s -H 'Authorization: Bearer ${key}' '${url.replace(/\/$/, "")}/trpc/companies.list?input=${input}'`;
}

function listenOptions(ctx: CommandContext, args: Parameters<CommandSpec["run"]>[1]): ServeOptions {
  const port = intOption(args, "port", { min: 0, max: 65_535 });
  const host = stringOption(args, "host");
  const env = ctx.env.api;
  return {
    env: { ...env, PORT: port ?? env.PORT, HOST: host ?? env.HOST },
    logDestination: ctx.io.stderr,
  };
}

const listenFlags = {
  port: {
    type: "string",
    valueName: "PORT",
    description: "TCP port (default: PORT, else 3000; 0 picks a free one)",
  },
  host: {
    type: "string",
    valueName: "HOST",
    description: "interface to listen on (default: HOST, else 127.0.0.1)",
  },
} as const;

async function runUntilShutdown(ctx: CommandContext, running: RunningServer): Promise<void> {
  await ctx.waitForShutdown();
  ctx.io.stderr.write("Stopping: letting in-flight requests finish…\n");
  await running.server.close();
}

export const serveCommands: CommandSpec[] = [
  {
    path: ["serve"],
    summary: "run the tRPC API over HTTP (applies pending migrations first)",
    description: [
      "Serves /trpc/<procedure> and /health. Requests authenticate with an API key",
      "(`ple apikey create`): 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
      "The same start-up as `pnpm --filter @ple/api start`: pending migrations are applied",
      "(under the runner's lock); a database whose applied migration files changed is refused.",
      "Settings: PORT, HOST, LOG_LEVEL, PLE_API_BODY_LIMIT_BYTES, PLE_API_SHUTDOWN_TIMEOUT_MS,",
      "PLE_API_KEY_CACHE_MS. One process: for several (PLE_API_WORKERS) start the API's own main.",
      "Logs go to stderr: readable on a terminal, JSON otherwise.",
      "Stops gracefully on Ctrl-C / SIGTERM.",
    ].join("\n"),
    positionals: [],
    options: listenFlags,
    examples: ["ple serve", "PORT=8080 HOST=0.0.0.0 ple serve", "ple serve --port 0 --json"],
    async run(ctx, args) {
      const running = await serve(await ctx.db(), listenOptions(ctx, args));
      const ready = { url: running.url, health: `${running.url}/health` };
      ctx.io.stdout.write(
        ctx.json
          ? `${renderJson(ready)}\n`
          : `PLE API listening on ${running.url} (Ctrl-C to stop)\n`,
      );
      await runUntilShutdown(ctx, running);
      return { data: { ...ready, stopped: true }, human: "Stopped.", printed: true };
    },
  },
  {
    path: ["start"],
    summary:
      "the main job: migrate, load sample data when empty, ensure an admin key, serve the API",
    description: [
      "Without DATABASE_URL it uses the embedded database in PLE_DATA_DIR (./.ple-data), so it",
      "works on a fresh machine; an empty embedded database gets the sample data (a server",
      "database only with --sample). Prints the API's URL, the admin key (only when it",
      "creates one: keys are shown once) and a curl example.",
    ].join("\n"),
    positionals: [],
    options: {
      ...listenFlags,
      sample: {
        type: "boolean",
        description:
          "load the sample data into an empty server database too (embedded: always when empty)",
      },
      "no-sample": { type: "boolean", description: "never load the sample data" },
      "new-key": {
        type: "boolean",
        description: "create (and show) another admin key even though one exists",
      },
    },
    examples: [
      "ple start",
      "PORT=8080 ple start",
      "PLE_DATA_DIR=/tmp/ple-demo ple start --port 0 --json",
      "DATABASE_URL=postgres://app@db:5432/ple ple start --no-sample",
    ],
    async run(ctx, args) {
      if (flag(args, "sample") && flag(args, "no-sample")) {
        throw new UsageError("--sample and --no-sample contradict each other");
      }
      const db = await ctx.db();
      // Refused before anything is migrated or seeded (startApi would refuse it after).
      if (ctx.env.api.PLE_API_WORKERS > 1) throw workersRefused(ctx.env.api, db.kind);
      const prepared = await prepareStart(db, {
        actor: ctx.env.actor,
        ...(flag(args, "sample") ? { sample: true } : {}),
        ...(flag(args, "no-sample") ? { sample: false } : {}),
        ...(flag(args, "new-key") ? { newKey: true } : {}),
      });
      const running = await serve(db, listenOptions(ctx, args));
      const key = prepared.admin_key?.key ?? "<your admin key>";
      const result: StartResult = {
        ...prepared,
        url: running.url,
        curl: curlExample(running.url, key),
      };
      ctx.io.stdout.write(ctx.json ? `${renderJson(result)}\n` : `${renderStart(result)}\n`);
      await runUntilShutdown(ctx, running);
      return { data: { url: running.url, stopped: true }, human: "Stopped.", printed: true };
    },
  },
];

export function renderStart(r: StartResult): string {
  const where =
    r.database.kind === "embedded"
      ? `embedded database in ${r.database.data_dir ?? "memory"}`
      : "PostgreSQL server (DATABASE_URL)";
  const lines = [`PLE is running at ${r.url}`, "", `  database     ${where}`];
  lines.push(
    `  migrations   ${r.migrated.length > 0 ? `applied ${r.migrated.join(", ")}` : "up to date"}`,
  );
  if (r.seeded) {
    lines.push(
      `  sample data  ${r.seeded.companies.created} companies, ${r.seeded.people.created} people, ${r.seeded.people.linked ?? 0} linked into slots`,
    );
  }
  if (r.admin_key) {
    lines.push(
      `  admin key    ${r.admin_key.key}`,
      "               (shown only this once: keep it)",
    );
  } else {
    lines.push(
      "  admin key    one exists already (keys are shown once); `ple start --new-key` or",
      "               `ple apikey create --role admin` make another",
    );
  }
  lines.push(
    "",
    "Try it:",
    `  ${r.curl}`,
    `  curl -s ${r.url}/health`,
    "",
    "Or from TypeScript: createPleClient({ url, apiKey }) from @ple/api/client.",
    "Ctrl-C stops the server.",
  );
  return lines.join("\n");
}
