/**
 * A lean HTTP load client for `companies.get` (tRPC) and `GET /v1/companies/{uid}` (REST), in the spirit of wrk or autocannon: node:http
 * with one keep-alive Agent (one socket per concurrent caller), speaking tRPC's HTTP protocol
 * directly — `GET /trpc/companies.get?input=<superjson input>` with `Authorization: Bearer` —
 * instead of the typed client's undici fetch, tRPC links and superjson, so that the load
 * generator does not take most of the CPU the server needs on a small machine.
 *
 * Every response is checked: status 200, and a body that is the requested company with its
 * three slots (CEO, CFO, HR) in tRPC's superjson envelope. Anything else throws, so an error
 * page or an empty answer can never be counted as a served request.
 */
import http from "node:http";

const ROLES = ["CEO", "CFO", "HR"];

export interface LeanClient {
  /** Fetches one company by uid over tRPC and verifies the answer; rejects on any mismatch. */
  get(companyUid: string): Promise<void>;
  /** The same over REST: `GET /v1/companies/{uid}`, plain JSON with ISO dates. */
  getRest(companyUid: string): Promise<void>;
  close(): void;
}

interface CompanyWithSlots {
  company?: { company_uid?: unknown; company_name?: unknown; created_at?: unknown };
  slots?: Array<{ company_uid?: unknown; role?: unknown; slot_uid?: unknown }>;
}

interface Envelope {
  result?: {
    data?: {
      json?: {
        company?: { company_uid?: unknown; company_name?: unknown; created_at?: unknown };
        slots?: Array<{ company_uid?: unknown; role?: unknown; slot_uid?: unknown }>;
      };
      meta?: { values?: Record<string, unknown> };
    };
  };
}

function verifyCompany(
  answer: CompanyWithSlots | undefined,
  companyUid: string,
  body: string,
): void {
  const company = answer?.company;
  const slots = answer?.slots;
  if (company?.company_uid !== companyUid || typeof company.company_name !== "string") {
    throw new Error(`companies.get(${companyUid}) answered another company: ${body.slice(0, 200)}`);
  }
  if (!Array.isArray(slots) || slots.length !== 3) {
    throw new Error(`companies.get(${companyUid}) answered ${slots?.length ?? "no"} slots`);
  }
  slots.forEach((slot, i) => {
    if (
      slot.company_uid !== companyUid ||
      slot.role !== ROLES[i] ||
      typeof slot.slot_uid !== "string"
    ) {
      throw new Error(`companies.get(${companyUid}) slot ${i} is wrong: ${JSON.stringify(slot)}`);
    }
  });
}

function verify(body: string, companyUid: string): void {
  const data = (JSON.parse(body) as Envelope).result?.data;
  verifyCompany(data?.json, companyUid, body);
  // superjson marks the timestamps as Dates; a plain-JSON answer would not round-trip.
  if (data?.meta?.values?.["company.created_at"] === undefined) {
    throw new Error(`companies.get(${companyUid}) answered no superjson Date metadata`);
  }
}

function verifyRest(body: string, companyUid: string): void {
  const answer = JSON.parse(body) as CompanyWithSlots;
  verifyCompany(answer, companyUid, body);
  const created = answer.company?.created_at;
  if (typeof created !== "string" || Number.isNaN(Date.parse(created))) {
    throw new Error(`GET /v1/companies/${companyUid} answered no ISO created_at`);
  }
}

export function createLeanClient(base: string, apiKey: string, sockets: number): LeanClient {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const headers = { Authorization: `Bearer ${apiKey}`, Accept: "application/json" };
  const fetchChecked = (
    path: string,
    companyUid: string,
    check: (body: string, companyUid: string) => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: "GET",
          path,
          headers,
        },
        (res) => {
          res.setEncoding("utf8");
          let body = "";
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => {
            try {
              if (res.statusCode !== 200) {
                throw new Error(`companies.get(${companyUid}): HTTP ${res.statusCode} ${body}`);
              }
              check(body, companyUid);
              resolve();
            } catch (error) {
              reject(error);
            }
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  return {
    get(companyUid) {
      const input = encodeURIComponent(JSON.stringify({ json: { company_uid: companyUid } }));
      return fetchChecked(`/trpc/companies.get?input=${input}`, companyUid, verify);
    },
    getRest(companyUid) {
      return fetchChecked(`/v1/companies/${companyUid}`, companyUid, verifyRest);
    },
    close() {
      agent.destroy();
    },
  };
}
