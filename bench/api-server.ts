/**
 * The API server the benchmark's HTTP clients call, in a process of its own as in
 * production: @ple/api's createServer over a pg pool, with one read API key.
 *
 * Usage: node dist/api-server.js DATABASE_URL POOL_SIZE
 * Prints one JSON line {url, key} once listening; stops on SIGTERM.
 */
import { createServer } from "@ple/api";
import { createApiKey, openDatabase } from "@ple/db";

const [url, pool] = process.argv.slice(2);
if (url === undefined) {
  console.error("usage: api-server.js DATABASE_URL [POOL_SIZE]");
  process.exit(2);
}
const db = await openDatabase({ url, poolMax: Number(pool ?? 10) });
const { key } = await createApiKey(db.knex, { name: "bench reader", role: "read" });
const server = createServer({ db });
const base = await server.listen(0, "127.0.0.1");
console.log(JSON.stringify({ url: base, key }));
process.once("SIGTERM", () => {
  void server.close().then(() => db.close());
});
