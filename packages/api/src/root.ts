/** The API's router: one namespace per domain. Clients import `AppRouter` as a type only. */
import { apiKeysRouter } from "./routers/api-keys.js";
import { companiesRouter } from "./routers/companies.js";
import { eventsRouter } from "./routers/events.js";
import { healthRouter } from "./routers/health.js";
import { historyRouter } from "./routers/history.js";
import { peopleRouter } from "./routers/people.js";
import { slotsRouter } from "./routers/slots.js";
import { createCallerFactory, createTRPCRouter } from "./trpc.js";

export const appRouter = createTRPCRouter({
  companies: companiesRouter,
  slots: slotsRouter,
  people: peopleRouter,
  history: historyRouter,
  events: eventsRouter,
  health: healthRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures directly, without HTTP: createCaller(await createContextInner({ db, actor })). */
export const createCaller = createCallerFactory(appRouter);
