import { isPleError, type PleError } from "@ple/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withActor } from "../src/actor.js";
import { openDatabase } from "../src/database.js";
import { fieldOfConstraint, mapErrors, messageWithoutSql, toPleError } from "../src/errors.js";
import { createTestDatabase, type TestDatabase } from "../src/testing.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function mapped(
  sql: string,
  bindings: Array<string | number | null> = [],
): Promise<PleError> {
  try {
    await mapErrors(() => t.db.knex.raw(sql, bindings));
  } catch (err) {
    if (isPleError(err)) return err;
    throw err;
  }
  throw new Error("expected the statement to fail");
}

describe("toPleError", () => {
  it("maps a PL001 raised by a SQL function to VALIDATION_FAILED with its field and reason", async () => {
    const err = await mapped("SELECT marketing.insert_company_with_slots(?, ?, NULL, NULL)", [
      "Acme",
      "not a website",
    ]);
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.field).toBe("website");
    expect(typeof err.details?.reason).toBe("string");
    expect(err.message).not.toContain("SELECT");
  });

  it("maps custom SQLSTATEs with JSON details (PL004 COMPANY_NOT_FOUND)", async () => {
    const err = await mapped("SELECT marketing.delete_company(?, false)", ["CO-20200101-000001"]);
    expect(err).toMatchObject({
      code: "COMPANY_NOT_FOUND",
      field: "company_uid",
      details: { company_uid: "CO-20200101-000001" },
    });
  });

  it("maps unique, foreign key and check violations to codes naming the field", async () => {
    await t.db.knex.raw(
      "SELECT marketing.insert_company_with_slots('Dup', 'dup.example', 'ap-1', NULL)",
    );
    const unique = await mapped(
      "INSERT INTO marketing.company (company_uid, company_name, website) VALUES ('CO-20200101-000123', 'Other', 'dup.example')",
    );
    expect(unique).toMatchObject({ code: "ALREADY_EXISTS", field: "website" });
    expect(unique.message).toContain("dup.example");
    const apollo = await mapped(
      "INSERT INTO marketing.company (company_uid, company_name, website, apollo_company_id) VALUES ('CO-20200101-000124', 'Other', 'other.example', 'ap-1')",
    );
    expect(apollo).toMatchObject({ code: "ALREADY_EXISTS", field: "apollo_company_id" });

    const fk = await mapped(
      "INSERT INTO marketing.company_slot (slot_uid, company_uid, role) VALUES ('SL-CO-20200101-000999-CEO', 'CO-20200101-000999', 'CEO')",
    );
    expect(fk).toMatchObject({ code: "COMPANY_NOT_FOUND", field: "company_uid" });

    const check = await mapped(
      "INSERT INTO marketing.import_reject (source_file, row_number, raw_row, error_code, message) VALUES ('f', -1, '', 'X', 'm')",
    );
    expect(check).toMatchObject({ code: "VALIDATION_FAILED", field: "row_number" });
    for (const err of [unique, apollo, fk, check]) expect(err.message).not.toMatch(/INSERT|VALUES/);
  });

  it("hides the text of an unexpected error", async () => {
    const err = await mapped("SELECT no_such_column FROM marketing.company");
    expect(err.code).toBe("INTERNAL");
    expect(err.message).toBe("Internal database error");
    expect(err.details).toEqual({ sqlstate: "42703" });
  });

  it("maps an unreachable server to DATABASE_UNAVAILABLE", async () => {
    const db = await openDatabase({ url: "postgres://postgres@127.0.0.1:1/postgres" });
    try {
      const err = await mapErrors(() => db.knex.raw("SELECT 1")).catch((e: unknown) =>
        toPleError(e),
      );
      expect(isPleError(err) && err.code).toBe("DATABASE_UNAVAILABLE");
    } finally {
      await db.close();
    }
  });

  it("maps node-postgres connection losses without a SQLSTATE to DATABASE_UNAVAILABLE", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    const lost = [
      new Error("Connection terminated unexpectedly"),
      new Error("Client has encountered a connection error and is not queryable"),
      new Error("select 1 - Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new AggregateError([refused], ""),
      new Error("wrapped", { cause: new Error("read ECONNRESET") }),
      Object.assign(new Error("Knex: Timeout acquiring a connection."), {
        name: "KnexTimeoutError",
      }),
    ];
    for (const err of lost) {
      expect({ message: err.message, code: toPleError(err).code }).toEqual({
        message: err.message,
        code: "DATABASE_UNAVAILABLE",
      });
    }
    expect(toPleError(new Error("Connection to the moon lost")).code).toBe("INTERNAL");
  });

  it("withActor reports a database it cannot reach as DATABASE_UNAVAILABLE", async () => {
    const db = await openDatabase({ url: "postgres://postgres@127.0.0.1:1/postgres" });
    try {
      const err = await withActor(db, { actor: "test" }, async () => "never").catch(
        (e: unknown) => e,
      );
      expect(isPleError(err) && err.code).toBe("DATABASE_UNAVAILABLE");
    } finally {
      await db.close();
    }
  });

  it("messageWithoutSql keeps the driver's message and drops knex's SQL text", async () => {
    const err = await t.db.knex
      .raw("SELECT no_such_column FROM marketing.company")
      .catch((e: unknown) => e);
    expect(messageWithoutSql(err)).toBe('column "no_such_column" does not exist');
  });

  it("passes a PleError through and wraps anything else as INTERNAL", () => {
    const original = toPleError(new Error("plain"));
    expect(original).toMatchObject({ code: "INTERNAL", message: "Internal database error" });
    expect(toPleError(original)).toBe(original);
  });
});

describe("fieldOfConstraint", () => {
  it("names the column a constraint is about", () => {
    expect(fieldOfConstraint("company_website_key", "company")).toBe("website");
    expect(fieldOfConstraint("company_name_not_blank", "company")).toBe("company_name");
    expect(fieldOfConstraint("company_slot_person_id_fkey", "company_slot")).toBe("person_id");
    expect(fieldOfConstraint("people_email_lower", "people")).toBe("email");
    expect(fieldOfConstraint("import_reject_row_number_check", "import_reject")).toBe("row_number");
  });
});
