/**
 * JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) from zod 4's own converter, for the REST
 * handler (which query parameters are numbers or booleans) and the OpenAPI document.
 */
import type { AnyTRPCProcedure } from "@trpc/server";
import { z } from "zod";
import { appRouter } from "../root.js";
import type { ProcedurePath } from "./routes.js";

export type JsonSchema = Record<string, unknown>;

/**
 * An input's schema as a caller writes it (`io: "input"`): a normalised field is the string it
 * accepts, and a Date field takes an ISO 8601 string (JSON has no Date).
 */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type === "date") {
        jsonSchema.type = "string";
        jsonSchema.format = "date-time";
      }
    },
  }) as JsonSchema;
}

/** An answer's schema (the wire schemas are plain JSON: no transforms, no Dates). */
export function outputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
}

// tRPC types _def.procedures like the nested router record; at run time it is flat, by path.
const procedures = appRouter._def.procedures as unknown as Record<
  string,
  AnyTRPCProcedure | undefined
>;

export function procedureAt(path: ProcedurePath): AnyTRPCProcedure {
  const procedure = procedures[path];
  if (procedure === undefined) throw new Error(`No procedure ${path} in the router`);
  return procedure;
}

/** The zod schema of a procedure's input, or null when it takes none. */
export function inputSchemaOf(path: ProcedurePath): z.ZodType | null {
  const parser: unknown = procedureAt(path)._def.inputs[0];
  return parser instanceof z.ZodType ? parser : null;
}

/** The properties of an object schema (an input's fields). */
export function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  const properties = schema.properties;
  return properties !== null && typeof properties === "object"
    ? (properties as Record<string, JsonSchema>)
    : {};
}
