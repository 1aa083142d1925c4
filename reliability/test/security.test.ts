/**
 * Security: every procedure × every kind of caller (no key, read, write, admin, revoked,
 * unknown key) over real HTTP against the intended matrix; API keys only hashed at rest
 * and never in logs; e-mail addresses masked in logs; and after `ple pii erase` neither a
 * full pg_dump nor a backup taken afterwards holds the person's name, email or LinkedIn URL.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { appRouter } from "@ple/api";
import { createTestDatabase, type TestDatabase } from "@ple/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi, unique } from "../support/api.js";
import { rowCounts } from "../support/database.js";
import { tempDir, writeCsv } from "../support/files.js";
import { recordCheck } from "../support/metrics.js";
import { jsonOf, runPle } from "../support/ple-binary.js";

const dir = tempDir();
let test: TestDatabase;
let api: RunningApi;

beforeAll(async () => {
  test = await createTestDatabase();
  api = await startApi(test.db);
});
afterAll(async () => {
  await api?.close();
  await test?.drop();
  dir.remove();
});

type Required = "public" | "read" | "write" | "admin";

/** The intended matrix: the least role each procedure needs. */
const REQUIRED: Record<string, Required> = {
  "health.check": "public",
  "apiKeys.whoami": "read",
  "companies.get": "read",
  "companies.list": "read",
  "companies.search": "read",
  "slots.list": "read",
  "people.get": "read",
  "people.list": "read",
  "people.slot": "read",
  "history.asOf": "read",
  "history.versions": "read",
  "history.auditTrail": "read",
  "history.slotEvents": "read",
  "history.merges": "read",
  "slots.listOpen": "read",
  "events.list": "read",
  "companies.create": "write",
  "companies.update": "write",
  "companies.delete": "write",
  "companies.merge": "write",
  "slots.link": "write",
  "slots.propose": "write",
  "slots.confirm": "write",
  "slots.reject": "write",
  "slots.vacate": "write",
  "slots.displace": "write",
  "slots.claim": "write",
  "slots.renew": "write",
  "slots.release": "write",
  "people.create": "write",
  "people.update": "write",
  "people.setValidation": "write",
  "people.merge": "write",
  "people.erase": "admin",
  "apiKeys.list": "admin",
  "apiKeys.create": "admin",
  "apiKeys.revoke": "admin",
};
const RANK: Record<Required, number> = { public: 0, read: 1, write: 2, admin: 3 };

interface HttpOutcome {
  status: number;
  code: string | null;
}

async function callHttp(
  path: string,
  input: unknown,
  headers: Record<string, string>,
): Promise<HttpOutcome> {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: string } }
  >;
  const type = procedures[path]?._def.type;
  const payload = JSON.stringify({ json: input ?? null });
  const response =
    type === "query"
      ? await fetch(`${api.url}/trpc/${path}?input=${encodeURIComponent(payload)}`, { headers })
      : await fetch(`${api.url}/trpc/${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...headers },
          body: payload,
        });
  const body = (await response.json()) as { error?: { json?: { data?: { code?: string } } } };
  return { status: response.status, code: body.error?.json?.data?.code ?? null };
}

/** Valid inputs for every procedure, on fresh rows, so an authorised call really runs. */
async function inputsFor(): Promise<Record<string, unknown>> {
  const admin = await api.caller("admin");
  const name = unique("matrix");
  const c = await admin.companies.create({
    company_name: `${name} Co`,
    website: `${name}.example`,
  });
  const people = [];
  for (let i = 0; i < 4; i++) {
    people.push(
      (await admin.people.create({ name: `M ${i}`, email: `m${i}@${name}.example` })).person,
    );
  }
  const slot = (role: string) => c.slots.find((s) => s.role === role)?.slot_uid ?? "";
  await admin.slots.link({
    slot_uid: slot("CFO") as never,
    person_id: people[1]?.person_id as never,
  });
  await admin.slots.propose({
    slot_uid: slot("HR") as never,
    person_id: people[2]?.person_id as never,
  });
  const spare = await admin.apiKeys.create({ name: `spare ${name}`, role: "read" });
  const company_uid = c.company.company_uid;
  const person_id = people[0]?.person_id;
  return {
    "health.check": undefined,
    "apiKeys.whoami": undefined,
    "companies.get": { company_uid },
    "companies.list": { limit: 5 },
    "companies.search": { query: "matrix" },
    "slots.list": { company_uid },
    "people.get": { person_id },
    "people.list": { limit: 5 },
    "people.slot": { person_id },
    "history.asOf": { uid: company_uid, as_of: new Date().toISOString() },
    "history.versions": { uid: company_uid },
    "history.auditTrail": { uid: company_uid },
    "history.slotEvents": { slot_uid: slot("CFO") },
    "companies.create": { company_name: `${name} Two`, website: `two-${name}.example` },
    "companies.update": { company_uid, patch: { company_name: `${name} Renamed` } },
    "companies.delete": {
      company_uid: (
        await admin.companies.create({ company_name: "Gone", website: `gone-${name}.example` })
      ).company.company_uid,
    },
    "slots.link": { slot_uid: slot("CEO"), person_id },
    "slots.propose": { slot_uid: slot("CEO"), person_id },
    "slots.confirm": { slot_uid: slot("HR") },
    "slots.reject": { slot_uid: slot("HR") },
    "slots.vacate": { slot_uid: slot("CFO") },
    "slots.displace": { slot_uid: slot("CFO"), person_id },
    "people.create": { name: "New Person", email: `new@${name}.example` },
    "people.update": { person_id, patch: { title: "CEO" } },
    "people.setValidation": { person_id, result: "ok", provider: "millionverifier" },
    "people.merge": { keep: person_id, drop: people[2]?.person_id, dry_run: true },
    "companies.merge": {
      keep: company_uid,
      drop: (
        await admin.companies.create({ company_name: "Twin", website: `twin-${name}.example` })
      ).company.company_uid,
      dry_run: true,
    },
    "history.merges": { uid: company_uid },
    "slots.listOpen": { limit: 5 },
    "events.list": { after: 0, limit: 5 },
    "slots.claim": { worker: `matrix-${name}`, limit: 1, lease_seconds: 60 },
    "slots.renew": { worker: `matrix-${name}`, slot_uids: [slot("CFO")], lease_seconds: 60 },
    "slots.release": { worker: `matrix-${name}`, slot_uids: [slot("CFO")] },
    "people.erase": { person_id: people[3]?.person_id, reason: "role matrix" },
    "apiKeys.list": {},
    "apiKeys.create": { name: `made ${name}`, role: "read" },
    "apiKeys.revoke": { id: spare.id },
  };
}

describe("the role matrix", () => {
  it("every procedure × no key, unknown key, revoked key, read, write, admin", async () => {
    await recordCheck(
      "security",
      "procedure × role matrix over HTTP (incl. revoked and unknown keys)",
      async (check) => {
        // Subscriptions (events.onChange) are not plain HTTP calls: the API's role-matrix test
        // covers them over SSE.
        expect(Object.keys(REQUIRED).sort()).toEqual(
          Object.entries(appRouter._def.procedures)
            .filter(
              ([, p]) => (p as unknown as { _def: { type: string } })._def.type !== "subscription",
            )
            .map(([path]) => path)
            .sort(),
        );
        const admin = await api.caller("admin");
        const revoked = await admin.apiKeys.create({ name: "to revoke", role: "admin" });
        await admin.apiKeys.revoke({ id: revoked.id });
        const callers: Array<{ who: string; rank: number; headers: Record<string, string> }> = [
          { who: "none", rank: 0, headers: {} },
          {
            who: "unknown",
            rank: 0,
            headers: { Authorization: "Bearer ple_0000000000000000000000000000" },
          },
          { who: "revoked", rank: 0, headers: { Authorization: `Bearer ${revoked.key}` } },
          { who: "read", rank: 1, headers: { Authorization: `Bearer ${api.keys.read.key}` } },
          { who: "write", rank: 2, headers: { "X-API-Key": api.keys.write.key } },
          { who: "admin", rank: 3, headers: { Authorization: `Bearer ${api.keys.admin.key}` } },
        ];
        const mismatches: string[] = [];
        for (const caller of callers) {
          const inputs = await inputsFor();
          const before = await rowCounts(test.db);
          let deniedWrites = 0;
          for (const [path, required] of Object.entries(REQUIRED)) {
            const outcome = await callHttp(path, inputs[path], caller.headers);
            check.add("cases");
            if (outcome.status >= 500) check.add("unhandledErrors");
            const allowed = caller.rank >= RANK[required];
            const expected = allowed
              ? "allowed"
              : caller.rank === 0
                ? "UNAUTHORIZED 401"
                : "FORBIDDEN 403";
            const got =
              outcome.status === 401 || outcome.status === 403
                ? `${outcome.code} ${outcome.status}`
                : outcome.status < 500
                  ? "allowed"
                  : `${outcome.code} ${outcome.status}`;
            if (got !== expected)
              mismatches.push(`${path} as ${caller.who}: expected ${expected}, got ${got}`);
            if (!allowed && required !== "read") deniedWrites++;
          }
          // A caller refused every write changed nothing (its reads write nothing either).
          if (caller.rank < RANK.write) {
            expect(await rowCounts(test.db)).toEqual(before);
            check.add("rowsCompared", Object.keys(before).length);
          }
          expect(deniedWrites).toBeGreaterThanOrEqual(caller.rank === 3 ? 0 : 1);
        }
        // Deleting with force is an admin's call even inside companies.delete.
        const name = unique("force");
        const writer = await api.caller("write");
        const c = await writer.companies.create({
          company_name: "Forced",
          website: `${name}.example`,
        });
        const forced = await callHttp(
          "companies.delete",
          { company_uid: c.company.company_uid, force: true },
          { Authorization: `Bearer ${api.keys.write.key}` },
        );
        check.add("cases");
        expect(forced).toEqual({ status: 403, code: "FORBIDDEN" });
        expect(mismatches).toEqual([]);
        // Every change the API made is attributed to the key that made it.
        const keyIds = new Set(
          (await test.db.knex("marketing.api_key").select("id")).map((k: { id: string }) => k.id),
        );
        const apiAudit: Array<{ actor: string; request_id: string | null }> = await test.db
          .knex("marketing.audit_log")
          .where({ application: "ple-api" })
          .select("actor", "request_id");
        expect(apiAudit.length).toBeGreaterThan(20);
        expect(apiAudit.filter((a) => !keyIds.has(a.actor) || !a.request_id)).toEqual([]);
        check.add("rowsCompared", apiAudit.length);
      },
    );
  });
});

describe("secrets and personal data in logs and at rest", () => {
  it("API keys are stored only hashed and never logged; e-mail addresses are masked in logs", async () => {
    await recordCheck(
      "security",
      "keys hashed at rest and absent from logs; emails masked in logs",
      async (check) => {
        const admin = api.client(api.keys.admin.key);
        const made = await admin.apiKeys.create.mutate({ name: "secret check", role: "write" });
        const keys = [api.keys.read.key, api.keys.write.key, api.keys.admin.key, made.key];
        const emails = [
          `Jane.Secret@${unique("mask")}.example`,
          `bob+tag@${unique("mask")}.example`,
        ];
        const writer = api.client(made.key);
        await writer.people.create.mutate({ name: "Jane Secret", email: emails[0] as string });
        await writer.people.get.query({ email: emails[1] as string }).catch(() => null);
        await writer.people.create.mutate({ name: "Dup", email: emails[0] as string });
        await writer.people.create
          .mutate({ name: "", email: emails[1] as string })
          .catch(() => null);
        await fetch(
          `${api.url}/trpc/people.get?input=${encodeURIComponent(JSON.stringify({ json: { email: emails[1] } }))}`,
          {
            headers: { "X-API-Key": made.key },
          },
        );
        await fetch(`${api.url}/trpc/apiKeys.whoami`, {
          headers: { Authorization: `Basic ${made.key}` },
        });
        await fetch(`${api.url}/trpc/apiKeys.whoami`, {
          headers: { Authorization: `Bearer ${made.key}x` },
        });
        check.add("cases", 7);
        await new Promise((r) => setTimeout(r, 100));

        const logs = api.logs.join("\n");
        expect(api.logs.length).toBeGreaterThan(5);
        for (const key of keys) {
          expect(logs).not.toContain(key);
          expect(logs).not.toContain(key.slice(4));
        }
        for (const email of emails) {
          expect(logs.toLowerCase()).not.toContain(email.toLowerCase());
          expect(logs.toLowerCase()).not.toContain(email.split("@")[0]?.toLowerCase());
        }
        check.add("rowsCompared", api.logs.length);

        // At rest: a full dump of the database holds no key in clear, only hashes.
        const dump = execFileSync("pg_dump", ["--no-owner", test.url], {
          maxBuffer: 256 * 1024 * 1024,
        }).toString();
        for (const key of keys) expect(dump).not.toContain(key);
        const stored = await test.db.knex("marketing.api_key").select("key_hash");
        expect(stored.length).toBeGreaterThanOrEqual(4);
        for (const row of stored as Array<{ key_hash: string }>)
          expect(row.key_hash).toMatch(/^[0-9a-f]{64}$|^\$|^[A-Za-z0-9+/=:$.-]{40,}$/);
        check.add("rowsCompared", stored.length);
      },
    );
  });

  it("after `ple pii erase`, neither a full pg_dump nor a later backup holds the person's name, email or LinkedIn URL", async () => {
    await recordCheck(
      "security",
      "`ple pii erase` vs a full pg_dump and a later backup",
      async (check) => {
        const tag = unique("pii").replace(/[^a-z0-9]/g, "");
        const person = {
          name: `Zelda Quintessa Moonfire${tag}`,
          email: `zelda.moonfire.${tag}@pii-test.example`,
          linkedin: `https://www.linkedin.com/in/zelda-moonfire-${tag}`,
        };
        const client = api.client(api.keys.write.key);
        const c = await client.companies.create.mutate({
          company_name: `Pii ${tag}`,
          website: `${tag}.example`,
        });
        // Created through an Idempotency-Key, so a stored API response holds it too.
        const created = await client.people.create.mutate(
          {
            name: person.name,
            email: person.email,
            linkedin_url: person.linkedin,
            company_uid: c.company.company_uid,
          },
          { context: { idempotencyKey: `pii-${tag}` } },
        );
        const personId = created.person.person_id;
        await client.slots.link.mutate({
          slot_uid: `SL-${c.company.company_uid}-CEO` as never,
          person_id: personId,
        });
        await client.people.update.mutate({
          person_id: personId,
          patch: { title: "Chief Executive Officer" },
        });
        await client.people.setValidation.mutate({
          person_id: personId,
          result: `ok for ${person.email}`,
          provider: "neverbounce",
        });
        // An import row naming the person that is rejected, so import_reject holds them too.
        const file = writeCsv(
          join(dir.path, "pii.csv"),
          ["name", "email", "linkedin_url", "company_uid"],
          [[person.name, person.email, person.linkedin, "CO-not-a-uid"]],
        );
        const imported = await runPle(["import", "people", file, "--json"], {
          DATABASE_URL: test.url,
        });
        expect(imported.code).toBe(3);

        const needles = [
          person.name,
          person.email,
          `zelda-moonfire-${tag}`,
          "Quintessa",
          `moonfire${tag}`,
        ];
        const tracesIn = (text: string) =>
          needles.filter((n) => text.toLowerCase().includes(n.toLowerCase()));
        const dump = () =>
          execFileSync("pg_dump", ["--no-owner", test.url], {
            maxBuffer: 256 * 1024 * 1024,
          }).toString();
        // The needles are really there before the erasure, so their absence afterwards means something.
        expect(tracesIn(dump()).length).toBe(needles.length);

        const erased = await runPle(["pii", "erase", personId, "--json"], {
          DATABASE_URL: test.url,
        });
        expect([erased.code, erased.stderr]).toEqual([0, ""]);
        expect(jsonOf<{ status: string }>(erased).status).toBe("erased");
        check.add("cases", 2);

        const after = dump();
        check.add("rowsCompared", after.split("\n").length);
        const left = tracesIn(after);
        check.add("rowsLost", 0);
        expect(left).toEqual([]);

        const archive = join(dir.path, "after-erase.backup.gz");
        const backup = await runPle(["backup", archive, "--json"], { DATABASE_URL: test.url });
        expect(backup.code).toBe(0);
        const archived = gunzipSync(readFileSync(archive)).toString("utf8");
        check.add("rowsCompared", archived.split("\n").length);
        expect(tracesIn(archived)).toEqual([]);
        // The tombstone is still there: the person id survives, the slot is vacated.
        expect(archived).toContain(personId);
        const slot = await test.db.knex("marketing.company_slot").where({ person_id: personId });
        expect(slot).toEqual([]);
      },
    );
  });
});
