/**
 * A PgBouncer of the test's own (Debian's `pgbouncer`) in transaction pooling mode, as hosted
 * poolers run it, on a free loopback port in front of the machine's PostgreSQL. Its ini goes
 * to a temporary folder; it runs in the foreground as a child of the test. PgBouncer refuses
 * to run as root: as root it runs as `nobody` (-u).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { collectOutput, sleep, tempDir } from "./files.js";
import { freePort } from "./private-cluster.js";

/** The pgbouncer binary, or null when it is not installed (Debian puts it in /usr/sbin). */
export function pgbouncerBinary(): string | null {
  for (const candidate of ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync("sh", ["-c", "command -v pgbouncer"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found !== "" ? found : null;
}

export interface RunningPgBouncer {
  port: number;
  /** The pooled URL of a database (same user as `upstreamUrl`). */
  url(database: string): string;
  /** What it printed (its log goes to stderr). */
  log(): string;
  stop(): Promise<void>;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts PgBouncer (pool_mode = transaction) in front of `upstreamUrl`'s server. */
export async function startPgBouncer(
  binary: string,
  upstreamUrl: string,
  opts: { poolSize?: number } = {},
): Promise<RunningPgBouncer> {
  const upstream = new URL(upstreamUrl);
  const user = decodeURIComponent(upstream.username || "postgres");
  const dir = tempDir("ple-pgbouncer-");
  const port = await freePort();
  const ini = join(dir.path, "pgbouncer.ini");
  const users = join(dir.path, "userlist.txt");
  writeFileSync(users, `"${user}" ""\n`);
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${upstream.hostname} port=${upstream.port || "5432"}`,
      "",
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${users}`,
      "pool_mode = transaction",
      "max_client_conn = 500",
      // Fewer server connections than the API processes' pools hold together: client
      // connections share them transaction by transaction, as behind a hosted pooler.
      `default_pool_size = ${opts.poolSize ?? 8}`,
      "ignore_startup_parameters = extra_float_digits",
      "",
    ].join("\n"),
  );
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    chmodSync(dir.path, 0o755);
    chmodSync(ini, 0o644);
    chmodSync(users, 0o644);
  }
  const child: ChildProcess = spawn(binary, [...(asRoot ? ["-u", "nobody"] : []), ini], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const started = Date.now();
  while (!(await reachable(port))) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      child.kill("SIGKILL");
      dir.remove();
      throw new Error(`pgbouncer did not start on port ${port}:\n${output()}`);
    }
    await sleep(50);
  }
  return {
    port,
    url: (database) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    log: output,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        await Promise.race([exited, sleep(5_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      dir.remove();
    },
  };
}
