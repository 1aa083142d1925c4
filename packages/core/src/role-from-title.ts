/**
 * Which slot a job title belongs to. Used by imports to propose people for CEO / CFO / HR slots, so
 * it answers only when the title clearly names the role and returns null when unsure: a wrong guess
 * puts a person in someone else's slot, a null only leaves a slot for a human to fill.
 *
 * Decisions (documented in README.md):
 * - CEO: "CEO", "Chief Executive (Officer)", also co-/acting/interim/founder-and-CEO; the French
 *   "PDG"/"Directeur Général" and German "Geschäftsführer". Not "President", "Founder", "Owner",
 *   "Managing Director" or "Executive Director" alone — each means different things in different
 *   companies.
 * - CFO: "CFO", "Chief Financial/Finance Officer", "Finance Director"/"Director of Finance",
 *   "Head of Finance", "VP (of) Finance" — the top finance person of the small and mid-sized
 *   companies this registry targets. Not "Finance Manager", "Controller" or "Treasurer".
 * - HR: "CHRO", "Chief People/Human Resources/HR/Talent Officer", and a lead word (head, director,
 *   VP, manager, lead, officer) with HR / Human Resources / People / Personnel — "HR Director",
 *   "Head of People", "Human Resources Manager", "People Operations Manager". Not "HR Generalist",
 *   "HR Business Partner", "Recruiter".
 * - Never a role when the title is about someone else or not the job itself: assistant/EA/PA/
 *   secretary, "… to the CEO", chief of staff, office of, deputy, vice (other than vice president),
 *   former/ex/retired, intern, student, aspiring, advisor/consultant/coach, recruiter/search.
 * - Several roles in one title ("CEO & CFO"): CEO before CFO before HR.
 */
import type { Role } from "./uid.js";

const EXCLUDING_WORDS = new Set([
  "assistant",
  "assistants",
  "asst",
  "assist",
  "ea",
  "pa",
  "secretary",
  "to",
  "staff",
  "office",
  "deputy",
  "vice",
  "former",
  "ex",
  "retired",
  "intern",
  "internship",
  "student",
  "aspiring",
  "advisor",
  "adviser",
  "advisory",
  "consultant",
  "consulting",
  "coach",
  "coaching",
  "recruiter",
  "recruiting",
  "recruitment",
  "headhunter",
  "search",
  "board",
]);

const CEO = [
  / ceo /,
  / chief executive /,
  / pdg /,
  / president directeur general /,
  / directeur general /,
  / geschaftsfuhrer(?:in)? /,
];

const CFO = [
  / cfo /,
  / chief financ(?:ial|e) officer /,
  / (?:head|director|vp|svp|evp) (?:of )?finance /,
  / finance (?:director|head|vp) /,
  / directeur financier /,
  / daf /,
];

const HR_FUNCTION =
  "(?:hr|human resources|people|personnel|people operations|people ops|people and culture)";
const HR = [
  / chro /,
  / chief (?:people|human resources|hr|talent|personnel)(?: and culture)? officer /,
  new RegExp(` (?:head|director|vp|svp|evp|manager|lead) (?:of |for )?(?:the )?${HR_FUNCTION} `),
  / (?:hr|human resources|personnel|people operations|people ops|people and culture) (?:director|head|manager|lead|officer|vp) /,
];

/** Lower-case ASCII words: accents dropped, "&"/"+" read as "and", dots removed ("C.E.O." → "ceo"). */
function words(title: string): string {
  const folded = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .replace(/[&+]/g, " and ")
    .replace(/\./g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .replace(/\bvice president\b/g, "vp")
    .trim();
  return ` ${folded} `;
}

export function roleFromTitle(title: string): Role | null {
  if (typeof title !== "string" || title.length > 1000) return null;
  const text = words(title);
  if (text.trim().length === 0) return null;
  if (text.split(" ").some((word) => EXCLUDING_WORDS.has(word))) return null;
  if (CEO.some((pattern) => pattern.test(text))) return "CEO";
  if (CFO.some((pattern) => pattern.test(text))) return "CFO";
  if (HR.some((pattern) => pattern.test(text))) return "HR";
  return null;
}
