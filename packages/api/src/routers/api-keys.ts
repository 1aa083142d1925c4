/**
 * API key management over the API itself (admin only), and `whoami` for any
 * key. The plaintext of a new key is returned once, by create.
 */
import { inputObject } from "@ple/core";
import { API_KEY_ROLES, createApiKey, getApiKey, listApiKeys, revokeApiKey } from "@ple/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { forgetApiKey } from "../api-key-cache.js";
import { adminProcedure, readProcedure } from "../trpc.js";

const ApiKeyId = z
  .string()
  .regex(/^ak_[0-9a-f]{16}$/, "an API key id looks like ak_ and 16 hex digits");

export const ApiKeyCreateInput = inputObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(API_KEY_ROLES),
});
export const ApiKeyListInput = inputObject({ include_revoked: z.boolean().default(false) }).default(
  {
    include_revoked: false,
  },
);
export const ApiKeyRevokeInput = inputObject({ id: ApiKeyId });

export const apiKeysRouter = {
  /** The key this call is made with. */
  whoami: readProcedure.query(({ ctx }) => getApiKey(ctx.db.knex, ctx.actor.keyId)),
  list: adminProcedure
    .input(ApiKeyListInput)
    .query(({ ctx, input }) => listApiKeys(ctx.db.knex, { includeRevoked: input.include_revoked })),
  create: adminProcedure
    .input(ApiKeyCreateInput)
    .mutation(({ ctx, input }) =>
      ctx.write((trx) => createApiKey(trx, input), { replayable: false }),
    ),
  revoke: adminProcedure.input(ApiKeyRevokeInput).mutation(async ({ ctx, input }) => {
    const revoked = await ctx.write((trx) => revokeApiKey(trx, input.id));
    // Committed: no cache of this process may accept the key any more.
    forgetApiKey(input.id);
    return revoked;
  }),
} satisfies TRPCRouterRecord;
