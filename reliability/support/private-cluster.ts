/**
 * A private PostgreSQL 15 cluster in a temporary folder, on a free loopback port, that a
 * test may stop and start at will (the machine's shared server on 5432 is never touched).
 * initdb refuses to run as root, so the cluster belongs to the `postgres` OS user.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

export interface PrivateCluster {
  port: number;
  url(database: string): string;
  start(): void;
  /** "immediate" stops like a crash (recovery from WAL on the next start). */
  stop(mode?: "fast" | "immediate"): void;
  remove(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function asPostgres(command: string, args: string[]): void {
  const run =
    userInfo().uid === 0
      ? ["runuser", ["-u", "postgres", "--", command, ...args]]
      : [command, args];
  execFileSync(run[0] as string, run[1] as string[], { stdio: "pipe", timeout: 60_000 });
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const root = mkdtempSync(join(tmpdir(), "ple-pg-"));
  chmodSync(root, 0o755);
  const owner =
    userInfo().uid === 0 ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : null;
  const group =
    userInfo().uid === 0 ? Number(execFileSync("id", ["-g", "postgres"]).toString().trim()) : null;
  if (owner !== null && group !== null) chownSync(root, owner, group);
  const data = join(root, "data");
  const port = await freePort();
  asPostgres(`${BIN}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const cluster: PrivateCluster = {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: () =>
      asPostgres(`${BIN}/pg_ctl`, [
        "-D",
        data,
        "-o",
        options,
        "-l",
        join(root, "log"),
        "-w",
        "-t",
        "60",
        "start",
      ]),
    stop: (mode = "fast") =>
      asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]),
    remove: () => {
      try {
        cluster.stop("immediate");
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
