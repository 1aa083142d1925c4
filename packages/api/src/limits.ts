/** Limits shared by the server and the client (no server code here: the client imports it). */

/** Most calls one batched HTTP request may carry; the client splits larger batches. */
export const MAX_BATCH_SIZE = 50;
