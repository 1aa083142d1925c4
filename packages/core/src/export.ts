/** What `ple export` takes: which records, which of them, in which format. */
import { z } from "zod";
import { DateInput } from "./schemas.js";
import { RoleSchema } from "./uid.js";

export const EXPORT_ENTITIES = ["companies", "people", "slots"] as const;
export const ExportEntity = z.enum(EXPORT_ENTITIES);
export type ExportEntity = z.infer<typeof ExportEntity>;

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/**
 * open_slots: companies with an open slot, or open slots (not for people).
 * role: companies with an open slot of this role, slots of this role, people
 * holding or proposed for a slot of this role. since: created at or after.
 */
export const ExportInput = z
  .strictObject({
    entity: ExportEntity,
    format: ExportFormat.default("csv"),
    open_slots: z.boolean().default(false),
    role: RoleSchema.optional(),
    since: DateInput.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.entity === "people" && value.open_slots) {
      ctx.addIssue({
        code: "custom",
        message: "open_slots: applies to companies and slots, not people",
        path: ["open_slots"],
        params: { reason: "not_applicable" },
      });
    }
  });
export type ExportInput = z.infer<typeof ExportInput>;
