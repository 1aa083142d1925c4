import { writeFileSync } from "node:fs";
import { join } from "node:path";
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

  it("fails clearly on a missing file, a directory and a file that is not text", async () => {
    await expect(openCsv("/nonexistent/file.csv")).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "file",
    });
    await expect(openCsv(tempDir())).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "file",
      message: expect.stringContaining("is a directory"),
    });
    const dir = tempDir();
    const xlsx = join(dir, "accounts.xlsx");
    writeFileSync(xlsx, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]));
    await expect(openCsv(xlsx)).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      field: "file",
      message: expect.stringContaining(".xlsx workbook"),
    });
    const binary = join(dir, "data.bin");
    writeFileSync(binary, Buffer.from([0x00, 0x01, 0x02, 0x0a, 0x41]));
    await expect(openCsv(binary)).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      message: expect.stringContaining("not a CSV text file"),
    });
  });

  it("reads a stray quote inside an unquoted field as text", async () => {
    const { rows } = await readAll('name,website\nFoo 12" Pipes,foo.com\nBar "Best" Co,bar.com\n');
    expect(rows.map((r) => r.record)).toEqual([
      { name: 'Foo 12" Pipes', website: "foo.com" },
      { name: 'Bar "Best" Co', website: "bar.com" },
    ]);
    expect(rows.map((r) => r.unreadable)).toEqual([undefined, undefined]);
    expect(rows[0]?.raw).toBe('Foo 12" Pipes,foo.com');
  });

  it("gives every row before a quote never closed, then that row as unreadable with its raw text", async () => {
    const { rows } = await readAll(
      'name,website\nA,a.com\nB,b.com\n"Unclosed,c.com\nD,d.com\nE,e.com\n',
    );
    expect(rows.map((r) => [r.rowNumber, r.record.name])).toEqual([
      [1, "A"],
      [2, "B"],
      [3, undefined],
    ]);
    expect(rows[2]?.unreadable).toMatchObject({ reason: "CSV_QUOTE_NOT_CLOSED" });
    expect(rows[2]?.unreadable?.message).toContain("never closed");
    expect(rows[2]?.raw).toBe('"Unclosed,c.com\nD,d.com\nE,e.com');
  });

  it("stops a quote never closed at 1 MiB instead of holding the rest of the file", async () => {
    const rest = `${"x".repeat(100)}\n`.repeat(12_000);
    const { rows } = await readAll(`name,website\nA,a.com\n"Open,${rest}B,b.com\n`);
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2]);
    expect(rows[1]?.unreadable?.reason).toBe("CSV_MAX_RECORD_SIZE");
    expect(rows[1]?.unreadable?.message).toContain("never closed");
    expect(rows[1]?.raw.length).toBe(64 * 1024);
    expect(rows[1]?.raw.startsWith('"Open,xxx')).toBe(true);
  });

  it("reads UTF-16 files (little- and big-endian byte-order marks) and CRLF", async () => {
    const text = 'name,website\r\n"Zürich AG",zuerich.example\r\nB,b.example\r\n';
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, "utf16le").swap16()]),
    ]) {
      const file = join(tempDir(), "utf16.csv");
      writeFileSync(file, bytes);
      for (const chunkSize of [3, 64 * 1024]) {
        const csv = await openCsv(file, { chunkSize });
        const rows = [];
        for await (const row of csv.rows) rows.push(row);
        expect(csv.header).toEqual(["name", "website"]);
        expect(rows.map((r) => r.record)).toEqual([
          { name: "Zürich AG", website: "zuerich.example" },
          { name: "B", website: "b.example" },
        ]);
        expect(rows[0]?.raw).toBe('"Zürich AG",zuerich.example');
        expect(rows.at(-1)?.bytes).toBeLessThanOrEqual(bytes.length);
      }
    }
  });

  it("reads a UTF-8 byte-order mark and multi-byte characters split between chunks", async () => {
    const file = writeTemp(
      tempDir(),
      "bom.csv",
      "\ufeffname,website\r\nCafé Crème,cafe.example\r\n",
    );
    const csv = await openCsv(file, { chunkSize: 2 });
    const rows = [];
    for await (const row of csv.rows) rows.push(row);
    expect(csv.header).toEqual(["name", "website"]);
    expect(rows.map((r) => r.record)).toEqual([{ name: "Café Crème", website: "cafe.example" }]);
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
