/**
 * The router type the client is typed with. @ple/client ships its own app-router.d.ts in place
 * of this file: the same procedures, inputs, outputs and error shape, without the server's
 * context (and so without @ple/db's or @ple/core's types).
 */
export type { AppRouter } from "./root.js";
