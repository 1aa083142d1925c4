/** health.check — public: is the database reachable and are its migrations current? */
import type { TRPCRouterRecord } from "@trpc/server";
import { checkHealth } from "../health.js";
import { publicProcedure } from "../trpc.js";

export const healthRouter = {
  check: publicProcedure.query(({ ctx }) => checkHealth(ctx.db, ctx.logger)),
} satisfies TRPCRouterRecord;
