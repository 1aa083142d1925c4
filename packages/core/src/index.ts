/** @ple/core — pure rules shared by every PLE package: UIDs, normalisation, slot states, schemas. */
export const ROLES = ["CEO", "CFO", "HR"] as const;
