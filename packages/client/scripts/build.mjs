// Builds @ple/client from @ple/api's built client (one implementation: @ple/api/client):
//  - dist/client.js, dist/limits.js and their .d.ts: copied from @ple/api's dist as they are;
//  - dist/app-router.d.ts: generated here. @ple/api's AppRouter type names the server's context
//    (@ple/db's database, knex, PGlite) and @ple/core's types; this one spells out every
//    procedure's input and output and the error shape structurally, importing nothing but
//    @trpc/server's types, so the package installs and type-checks without any @ple package.
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const apiDist = new URL("./", import.meta.resolve("@ple/api/client"));
const dist = new URL("../dist/", import.meta.url);
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
for (const file of ["client.js", "client.d.ts", "limits.js", "limits.d.ts", "app-router.js"]) {
  await copyFile(new URL(file, apiDist), new URL(file, dist));
}
await writeFile(new URL("app-router.d.ts", dist), routerDeclaration(new URL("root.d.ts", apiDist)));
console.log("@ple/client: dist/ written");

/** The AppRouter declaration, self-contained, from @ple/api's dist/root.d.ts. */
function routerDeclaration(rootDts) {
  const file = fileURLToPath(rootDts);
  const program = ts.createProgram([file], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const appRouter = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "appRouter");
  if (!appRouter) throw new Error("root.d.ts exports no appRouter");

  const prop = (type, name) => {
    const symbol = type.getProperty(name);
    if (!symbol) throw new Error(`no property ${name} on ${checker.typeToString(type)}`);
    return checker.getTypeOfSymbol(symbol);
  };
  const isLib = (type) => {
    const declarations = (type.aliasSymbol ?? type.symbol)?.declarations ?? [];
    return (
      declarations.length > 0 &&
      declarations.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()))
    );
  };
  const isBrand = (type) =>
    type.flags & ts.TypeFlags.Object &&
    checker.getPropertiesOfType(type).length > 0 &&
    checker.getPropertiesOfType(type).every((p) => p.escapedName.toString().startsWith("__@"));
  const key = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

  const printing = new Set();
  /** A type written out structurally: primitives, literals, unions, objects, arrays; lib types (Date) by name. */
  function print(type, indent) {
    const f = type.flags;
    if (f & ts.TypeFlags.Any || f & ts.TypeFlags.Unknown) return "unknown";
    if (f & ts.TypeFlags.Never) return "never";
    if (f & ts.TypeFlags.StringLiteral) return JSON.stringify(type.value);
    if (
      f &
      (ts.TypeFlags.String |
        ts.TypeFlags.Number |
        ts.TypeFlags.Boolean |
        ts.TypeFlags.BigInt |
        ts.TypeFlags.Null |
        ts.TypeFlags.Undefined |
        ts.TypeFlags.Void |
        ts.TypeFlags.NumberLiteral |
        ts.TypeFlags.BooleanLiteral |
        ts.TypeFlags.BigIntLiteral |
        ts.TypeFlags.TemplateLiteral |
        ts.TypeFlags.StringMapping)
    ) {
      return checker.typeToString(type);
    }
    if (type.isUnion()) {
      const members = [...new Set(type.types.map((t) => print(t, indent)))];
      // boolean arrives as true | false
      const merged =
        members.includes("true") && members.includes("false")
          ? ["boolean", ...members.filter((m) => m !== "true" && m !== "false")]
          : members;
      return merged.join(" | ");
    }
    if (type.isIntersection()) {
      // zod's brands (an object of symbol keys) are left out: a branded string is a string.
      const members = type.types.filter((t) => !isBrand(t));
      return members.map((t) => wrap(print(t, indent))).join(" & ") || "unknown";
    }
    if (isLib(type)) return checker.typeToString(type);
    if (printing.has(type)) return "unknown";
    printing.add(type);
    try {
      if (checker.isTupleType(type)) {
        return `[${checker
          .getTypeArguments(type)
          .map((t) => print(t, indent))
          .join(", ")}]`;
      }
      if (checker.isArrayType(type)) {
        const [item] = checker.getTypeArguments(type);
        return `Array<${print(item, indent)}>`;
      }
      if (f & ts.TypeFlags.Object) {
        if (type.getCallSignatures().length > 0) {
          throw new Error(`a function type in the API's types: ${checker.typeToString(type)}`);
        }
        const inner = `${indent}    `;
        const lines = [];
        for (const info of checker.getIndexInfosOfType(type)) {
          lines.push(
            `${inner}[key: ${checker.typeToString(info.keyType)}]: ${print(info.type, inner)};`,
          );
        }
        for (const symbol of checker.getPropertiesOfType(type)) {
          const name = symbol.escapedName.toString();
          if (name.startsWith("__@")) continue;
          const optional = symbol.flags & ts.SymbolFlags.Optional ? "?" : "";
          lines.push(
            `${inner}${key(name)}${optional}: ${print(checker.getTypeOfSymbol(symbol), inner)};`,
          );
        }
        return lines.length === 0 ? "{}" : `{\n${lines.join("\n")}\n${indent}}`;
      }
      throw new Error(`cannot write out the type ${checker.typeToString(type)}`);
    } finally {
      printing.delete(type);
    }
  }
  /**
   * A subscription's output (an async generator) as AsyncIterable of what it yields; a yield of
   * tracked() (SSE ids for resuming) as TrackedEnvelope of its data.
   */
  function printStream(type, indent, name) {
    const [yielded] = checker.getTypeArguments(type) ?? [];
    if (!yielded) throw new Error(`${name}: cannot read what the subscription yields`);
    if (yielded.aliasSymbol?.name === "TrackedEnvelope") {
      const [data] = yielded.aliasTypeArguments ?? [];
      if (!data) throw new Error(`${name}: a TrackedEnvelope without its data type`);
      return `AsyncIterable<TrackedEnvelope<${print(data, indent)}>>`;
    }
    return `AsyncIterable<${print(yielded, indent)}>`;
  }
  const wrap = (text) => (text.includes(" | ") ? `(${text})` : text);

  const routerType = checker.getTypeOfSymbol(appRouter);
  const def = prop(routerType, "_def");
  const errorShape = prop(prop(prop(def, "_config"), "$types"), "errorShape");
  const record = prop(def, "record");
  const namespaces = checker.getPropertiesOfType(record).map((namespace) => {
    const procedures = checker.getPropertiesOfType(checker.getTypeOfSymbol(namespace)).map((p) => {
      const procDef = prop(checker.getTypeOfSymbol(p), "_def");
      const kind = checker.typeToString(prop(procDef, "type"));
      const builder =
        kind === '"query"'
          ? "TRPCQueryProcedure"
          : kind === '"mutation"'
            ? "TRPCMutationProcedure"
            : kind === '"subscription"'
              ? "TRPCSubscriptionProcedure"
              : null;
      if (builder === null)
        throw new Error(`${namespace.name}.${p.name}: ${kind} is not supported`);
      const types = prop(procDef, "$types");
      const pad = "            ";
      const output =
        builder === "TRPCSubscriptionProcedure"
          ? printStream(prop(types, "output"), pad, `${namespace.name}.${p.name}`)
          : print(prop(types, "output"), pad);
      return `        ${key(p.name)}: ${builder}<{\n${pad}input: ${print(prop(types, "input"), pad)};\n${pad}output: ${output};\n${pad}meta: object;\n        }>;`;
    });
    return `    ${key(namespace.name)}: {\n${procedures.join("\n")}\n    };`;
  });
  return `// Generated by @ple/client's scripts/build.mjs from @ple/api's router; do not edit.
import type {
  TRPCBuiltRouter,
  TRPCDecorateCreateRouterOptions,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,${namespaces.some((n) => n.includes("TrackedEnvelope<")) ? "\n  TrackedEnvelope," : ""}
} from "@trpc/server";

/** The shape of every error the API answers (error.data.code is one of PLE's stable codes). */
export type PleErrorShape = ${print(errorShape, "")};

/** The PLE API's router, as a type only: what @ple/client's calls take and return. */
export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: PleErrorShape; transformer: true },
  TRPCDecorateCreateRouterOptions<{
${namespaces.join("\n")}
  }>
>;
`;
}
