/** @ple/core must run in browsers and other repos: pure, zod its only dependency, no environment. */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("package", () => {
  const sources = readdirSync(new URL("src/", root)).filter((file) => file.endsWith(".ts"));

  it.each(sources)("src/%s uses no Node.js APIs and reads no environment", (file) => {
    const source = read(`src/${file}`);
    expect(source).not.toMatch(/from\s+["']node:/);
    expect(source).not.toMatch(/\brequire\(/);
    expect(source).not.toMatch(/\bprocess\./);
    expect(source).not.toMatch(/\bBuffer\b/);
    for (const [, specifier] of source.matchAll(/from\s+["']([^"']+)["']/g)) {
      expect(
        [
          "zod",
          "punycode/punycode.js",
          "tr46/lib/regexes.js",
          "tr46/lib/mappingTable.json",
        ].includes(specifier ?? "") || specifier?.startsWith("./"),
      ).toBe(true);
    }
  });

  it("depends on zod only, and exports the built code, its types and the vectors", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(Object.keys(pkg.dependencies)).toEqual(["punycode", "tr46", "zod"]);
    expect(pkg.type).toBe("module");
    expect(pkg.exports["."]).toMatchObject({
      types: "./dist/index.d.ts",
      default: "./dist/index.js",
    });
    expect(pkg.exports["./vectors/*"]).toBe("./vectors/*");
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "vectors"]));
  });

  it("documents every vector file", () => {
    const readme = read("vectors/README.md");
    const files = readdirSync(new URL("vectors/", root)).filter((file) => file.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) expect(readme).toContain(`\`${file}\``);
  });
});
