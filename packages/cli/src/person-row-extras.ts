/**
 * The parts of a people-import row that may be wrong or unknown without costing the row:
 * - an optional field (LinkedIn URL, title) that does not parse is dropped, with a warning for
 *   that row (a required field — name, email — still rejects the row);
 * - Apollo's "Email Status" becomes a validation result with provider `apollo`
 *   (@ple/core's mapApolloEmailStatus); a word it does not know leaves the person `pending`
 *   and is counted.
 * Both are decided while parsing, so a dry run and a real run report the same.
 */
import {
  LinkedinUrlSchema,
  mapApolloEmailStatus,
  normaliseLinkedinUrl,
  normaliseTitle,
  parseInput,
  type Result,
  TitleSchema,
  type ValidationStatus,
} from "@ple/core";

export interface RowWarning {
  row_number: number;
  field: string;
  message: string;
}

/** What the import records for a new person from Apollo's "Email Status". */
export interface ApolloEmailValidation {
  status: ValidationStatus;
  provider: "apollo";
  /** Apollo's word as given. */
  result: string;
}

export interface OptionalPersonFields {
  linkedin_url?: string;
  title?: string;
}

// Each field's normaliser, and its schema for the message of a value the normaliser refuses
// (the schema's own, as parsePersonCells gives it).
const OPTIONAL_FIELDS = [
  ["linkedin_url", normaliseLinkedinUrl, LinkedinUrlSchema],
  ["title", normaliseTitle, TitleSchema],
] as const satisfies ReadonlyArray<
  readonly [keyof OptionalPersonFields, (input: string) => Result<string>, unknown]
>;

/** The optional fields that parse, and a warning (field and why) for each one dropped. */
export function optionalPersonFields(values: {
  linkedin_url: string | null;
  title: string | null;
}): { fields: OptionalPersonFields; dropped: Array<{ field: string; message: string }> } {
  const fields: OptionalPersonFields = {};
  const dropped: Array<{ field: string; message: string }> = [];
  for (const [field, normalise, schema] of OPTIONAL_FIELDS) {
    const value = values[field];
    if (value === null) continue;
    const normalised = normalise(value);
    if (normalised.ok) {
      fields[field] = normalised.value;
      continue;
    }
    const parsed = parseInput(schema, value);
    const message = parsed.ok ? normalised.error.message : parsed.error.message;
    dropped.push({ field, message: `${field} dropped: ${message}` });
  }
  return { fields, dropped };
}

/**
 * Apollo's "Email Status" cell: the validation to record (null when the cell is empty or the
 * word unknown) and, for a word not known, the word itself to count.
 */
export function apolloEmailStatus(cell: string | null): {
  validation: ApolloEmailValidation | null;
  unknown: string | null;
} {
  if (cell === null) return { validation: null, unknown: null };
  const status = mapApolloEmailStatus(cell);
  if (status === null) return { validation: null, unknown: cell };
  return { validation: { status, provider: "apollo", result: cell }, unknown: null };
}
