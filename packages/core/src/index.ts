/** @ple/core — pure rules shared by every PLE package: UIDs, normalisation, slot states, schemas. */
export * from "./errors.js";
export * from "./events.js";
export * from "./export.js";
export * from "./idna.js";
export * from "./nfc.js";
export * from "./nfc-data.js";
export * from "./normalise.js";
export * from "./role-from-title.js";
export * from "./schemas.js";
export * from "./slot-state.js";
export * from "./slot-work.js";
export * from "./uid.js";
export * from "./validation-status.js";
