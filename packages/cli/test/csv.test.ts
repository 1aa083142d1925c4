import { describe, expect, it } from "vitest";
import { csvField, findColumn, headerKey, openCsv, spreadsheetSafe } from "../src/csv-source.js";
import { companyColumns, personColumns, personName } from "../src/import-columns.js";
import { tempDir, writeTemp } from "./helpers.js";

async function readAll(content: string) {
  const file = writeTemp(tempDir(), "in.csv", content);
  const csv = await openCsv(file);
  const rows = [];
  for await (const row of csv.rows) rows.push(row);
  return { header: csv.header, rows };
}

describe("openCsv", () => {
  it("reads a BOM, CRLF line ends and quoted fields holding commas, quotes and newlines", async () => {
    const { header, rows } = await readAll(
      '\ufeffname,website\r\n"Acme, Inc.","acme.com"\r\n"Multi\r\nline ""Co""",b.example.com\r\n',
    );
    expect(header).toEqual(["name", "website"]);
    expect(rows.map((r) => r.record)).toEqual([
      { name: "Acme, Inc.", website: "acme.com" },
      { name: 'Multi\r\nline "Co"', website: "b.example.com" },
    ]);
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2]);
    expect(rows[0]?.raw).toBe('"Acme, Inc.","acme.com"');
    expect(rows[1]?.raw).toBe('"Multi\r\nline ""Co""",b.example.com');
  });

  it("skips empty lines and flags rows whose field count differs from the header's", async () => {
    const { rows } = await readAll("name,website\n\na,a.com\nb,b.com,extra\nc\n");
    expect(rows.map((r) => r.record.name)).toEqual(["a", "b", "c"]);
    expect(rows[0]?.fieldCountProblem).toBeUndefined();
    expect(rows[1]?.fieldCountProblem).toBe("the row has 3 fields but the header has 2");
    expect(rows[2]?.fieldCountProblem).toBe("the row has 1 fields but the header has 2");
  });

  it("reports bytes consumed so progress can show an ETA", async () => {
    const { rows } = await readAll("name,website\na,a.com\nb,b.com\n");
    expect(rows[0]?.bytes).toBeGreaterThan(0);
    expect(rows[1]?.bytes).toBeGreaterThan(rows[0]?.bytes ?? 0);
  });

  it("fails clearly on a missing file and on an unclosed quote", async () => {
    await expect(openCsv("/nonexistent/file.csv")).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "file",
    });
    await expect(readAll('name,website\n"unclosed,a.com\n')).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "file",
      message: expect.stringContaining("Quote Not Closed"),
    });
  });

  it("refuses a header naming one column twice", async () => {
    await expect(readAll("name,name\na,b\n")).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "header",
    });
  });
});

describe("column mapping", () => {
  it("matches header names loosely", () => {
    expect(headerKey("Apollo Account Id")).toBe(headerKey("apollo_account_id"));
    expect(findColumn(["Foo", "WEBSITE"], ["website"])).toBe("WEBSITE");
    expect(findColumn(["Foo"], ["website"])).toBeNull();
  });

  it("maps an Apollo account export and ignores the other columns", () => {
    const header = [
      "Company",
      "Company Name for Emails",
      "Account Stage",
      "# Employees",
      "Industry",
      "Website",
      "Company Linkedin Url",
      "Apollo Account Id",
      "SIC Codes",
    ];
    expect(companyColumns(header)).toEqual({
      name: "Company",
      website: "Website",
      apolloCompanyId: "Apollo Account Id",
      ein: null,
    });
  });

  it("maps the simple companies format", () => {
    expect(companyColumns(["name", "website", "apollo_company_id", "ein_raw"])).toEqual({
      name: "name",
      website: "website",
      apolloCompanyId: "apollo_company_id",
      ein: "ein_raw",
    });
  });

  it("names the missing column and what it looked for", () => {
    expect(() => companyColumns(["name", "url"])).toThrow(
      /no website column \(expected one of: website, Website, Company Website/,
    );
  });

  it("maps an Apollo contact export", () => {
    const header = [
      "First Name",
      "Last Name",
      "Title",
      "Company",
      "Email",
      "Email Status",
      "Person Linkedin Url",
      "Website",
      "Apollo Contact Id",
      "Apollo Account Id",
    ];
    const cols = personColumns(header);
    expect(cols).toMatchObject({
      firstName: "First Name",
      lastName: "Last Name",
      email: "Email",
      linkedinUrl: "Person Linkedin Url",
      title: "Title",
      companyName: "Company",
      website: "Website",
      apolloCompanyId: "Apollo Account Id",
    });
    expect(personName({ "First Name": " Ada ", "Last Name": "Lovelace" }, cols)).toBe(
      "Ada Lovelace",
    );
    expect(personName({ "First Name": "", "Last Name": "" }, cols)).toBeNull();
  });

  it("requires an email column for people", () => {
    expect(() => personColumns(["name", "title"])).toThrow(/no email column/);
  });
});

describe("csvField", () => {
  it("quotes only when needed", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(42)).toBe("42");
  });
});

describe("spreadsheetSafe", () => {
  it("defuses cells a spreadsheet would run as formulas", () => {
    expect(spreadsheetSafe('=HYPERLINK("http://x.example")')).toBe(
      '\'=HYPERLINK("http://x.example")',
    );
    expect(spreadsheetSafe("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(spreadsheetSafe("+1 555")).toBe("'+1 555");
    expect(spreadsheetSafe("Acme")).toBe("Acme");
    expect(spreadsheetSafe(-3)).toBe("-3");
    expect(spreadsheetSafe(null)).toBe("");
  });
});
