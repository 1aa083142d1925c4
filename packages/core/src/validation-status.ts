/**
 * Email validation status of a person: the vocabulary, which changes are allowed, and how the words
 * of email verifiers (MillionVerifier, NeverBounce, ZeroBounce, Apollo …) map onto it.
 */
import { z } from "zod";
import { err, ok, PleError, type Result } from "./errors.js";

export const VALIDATION_STATUSES = [
  "pending",
  "valid",
  "invalid",
  "risky",
  "throttled",
  "error",
] as const;
export type ValidationStatus = (typeof VALIDATION_STATUSES)[number];
export const ValidationStatusSchema = z.enum(VALIDATION_STATUSES);

/** Verdicts say something about the address; transient outcomes say only that the check failed. */
export const VALIDATION_VERDICTS = ["valid", "invalid", "risky"] as const;
export const VALIDATION_TRANSIENT = ["throttled", "error"] as const;

/**
 * Allowed changes. Anything may be re-queued (→ pending) except pending itself; pending and the
 * transient outcomes accept any result; a verdict is only replaced by another verdict, so a
 * re-check that was throttled or errored never throws away what is known about an address
 * (record the provider's raw result, keep the status).
 */
export const VALIDATION_TRANSITIONS: Readonly<
  Record<ValidationStatus, readonly ValidationStatus[]>
> = Object.freeze({
  pending: ["valid", "invalid", "risky", "throttled", "error"],
  throttled: ["pending", "valid", "invalid", "risky", "throttled", "error"],
  error: ["pending", "valid", "invalid", "risky", "throttled", "error"],
  valid: ["pending", "valid", "invalid", "risky"],
  invalid: ["pending", "valid", "invalid", "risky"],
  risky: ["pending", "valid", "invalid", "risky"],
});

/** `to` if the change from `from` is allowed, else INVALID_TRANSITION (details {from, to}). */
export function validationTransition(
  from: ValidationStatus,
  to: ValidationStatus,
): Result<ValidationStatus> {
  // Own properties only: "constructor" or "valueOf" from an untyped caller is not a status.
  const allowed = Object.hasOwn(VALIDATION_TRANSITIONS, from) ? VALIDATION_TRANSITIONS[from] : null;
  if (allowed?.includes(to)) return ok(to);
  return err(
    new PleError(
      "INVALID_TRANSITION",
      `Validation status cannot change from ${String(from)} to ${String(to)}` +
        (allowed ? `; allowed: ${allowed.join(", ")}` : ""),
      { field: "validation_status", details: { from, to } },
    ),
  );
}

/**
 * Verifier result words, compared case-insensitively with spaces and hyphens read as `_`.
 * Any word not listed maps to `risky`: an unknown answer is no proof that an address works.
 */
export const VERIFIER_RESULT_MAP: Readonly<Record<string, ValidationStatus>> = Object.freeze({
  // deliverable
  ok: "valid",
  valid: "valid",
  verified: "valid",
  deliverable: "valid",
  // cannot be confirmed either way
  catch_all: "risky",
  catchall: "risky",
  accept_all: "risky",
  unknown: "risky",
  risky: "risky",
  unverified: "risky",
  guessed: "risky",
  likely_to_engage: "risky",
  unavailable: "risky",
  // do not send
  invalid: "invalid",
  disposable: "invalid",
  spamtrap: "invalid",
  abuse: "invalid",
  do_not_mail: "invalid",
  undeliverable: "invalid",
  bounced: "invalid",
  // the check itself failed
  error: "error",
  failed: "error",
  throttled: "throttled",
  rate_limited: "throttled",
});

export function mapVerifierResult(word: string): ValidationStatus {
  if (typeof word !== "string") return "risky";
  const key = word
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  return Object.hasOwn(VERIFIER_RESULT_MAP, key) ? (VERIFIER_RESULT_MAP[key] ?? "risky") : "risky";
}

/**
 * Apollo's "Email Status" column of a contact export, as a validation result with provider
 * `apollo`. Apollo's words have changed over time, so the input is open-ended: a word not listed
 * maps to null (the person stays `pending`; an import counts such words). Compared as
 * mapVerifierResult does (case-insensitive, spaces and hyphens read as `_`).
 * - verified → valid (Apollo checked the mailbox)
 * - invalid, bounced → invalid
 * - guessed, extrapolated, unverified, likely_to_engage, catch_all, accept_all → risky (a pattern
 *   or an unconfirmed address: no proof either way)
 * - unavailable, pending_manual_fulfillment → pending (Apollo has no verdict)
 */
export const APOLLO_EMAIL_STATUS_MAP: Readonly<Record<string, ValidationStatus>> = Object.freeze({
  verified: "valid",
  valid: "valid",
  invalid: "invalid",
  bounced: "invalid",
  guessed: "risky",
  extrapolated: "risky",
  unverified: "risky",
  likely_to_engage: "risky",
  catch_all: "risky",
  catchall: "risky",
  accept_all: "risky",
  unavailable: "pending",
  pending_manual_fulfillment: "pending",
});

/** The status an Apollo "Email Status" word maps to, or null for a word not (yet) known. */
export function mapApolloEmailStatus(word: string): ValidationStatus | null {
  if (typeof word !== "string") return null;
  const key = word
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  return Object.hasOwn(APOLLO_EMAIL_STATUS_MAP, key)
    ? (APOLLO_EMAIL_STATUS_MAP[key] ?? null)
    : null;
}
