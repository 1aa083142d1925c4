import { describe, expect, it } from "vitest";
import { splitSqlStatements } from "../src/migrations/sql-script.js";

describe("splitSqlStatements", () => {
  it("splits at top-level semicolons only, keeping each statement's line", () => {
    const script = [
      "-- header; not a statement",
      "CREATE TABLE t (a text DEFAULT 'x;y');",
      "",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$",
      "BEGIN PERFORM 1; END;",
      "$body$;",
      "/* block; comment */ SELECT E'it\\'s;' AS s; SELECT \"odd;name\" FROM t",
    ].join("\n");
    const statements = splitSqlStatements(script);
    expect(statements.map((s) => s.line)).toEqual([2, 4, 7, 7]);
    expect(statements[0]?.text).toBe("CREATE TABLE t (a text DEFAULT 'x;y')");
    expect(statements[1]?.text).toContain("BEGIN PERFORM 1; END;");
    expect(statements[2]?.text).toContain("E'it\\'s;'");
    expect(statements[3]?.text).toBe('SELECT "odd;name" FROM t');
    // Comments, strings and bodies are blanked in `code`, lengths kept.
    expect(statements[1]?.code).not.toContain("PERFORM");
    expect(statements[1]?.code.length).toBe(statements[1]?.text.length);
  });

  it("drops empty statements and comment-only trailers", () => {
    expect(splitSqlStatements(";;\n-- only a comment\n")).toEqual([]);
  });
});
