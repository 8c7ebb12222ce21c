/**
 * Slot extraction for one stretch of a call: the customer's issue and request, the agent's actions,
 * the outcome and the customer's sentiment. Summaries and tags are templated from these. Pure.
 */
import { ACTION_CUES, MAX_ACTIONS, type ActionDef } from "./cues-agent.ts";
import {
  COMPLETING_ACTIONS,
  ESCALATION_ACTIONS,
  FOLLOW_UP_ACTIONS,
  FRUSTRATION_WORDS,
  NEGATIVE_WORDS,
  PENDING_PHRASES,
  POSITIVE_WORDS,
  RESOLVED_PHRASES,
  UNRESOLVED_PHRASES,
} from "./cues-outcome.ts";
import { ISSUE_CUES, type CueDef } from "./cues-customer.ts";
import { REQUEST_CUES } from "./cues-request.ts";
import { compilePhrase, findPhrase, isNegated, thirdPerson, type Phrase, type Turn } from "./text.ts";

export type OutcomeCode =
  "resolved" | "refund_issued" | "escalated" | "follow_up_required" | "cancelled" | "unresolved";

export type Polarity = "positive" | "neutral" | "negative";

export interface Sentiment {
  polarity: Polarity;
  frustrated: boolean;
  score: number;
}

export interface Action {
  key: string;
  text: string;
}

export interface Slots {
  issues: string[];
  /** each starts with "asked" */
  requests: string[];
  actions: Action[];
  /** in a fixed order: cancelled, refund_issued, escalated, follow_up_required, resolved, unresolved */
  outcomes: OutcomeCode[];
  sentiment: Sentiment;
  /** true when the turns carry no speaker roles (plain text, mono calls) */
  anonymous: boolean;
}

type Compiled<T> = T & { compiled: Phrase[] };
const compileAll = <T extends { phrases: string[] }>(defs: T[]): Compiled<T>[] =>
  defs.map((d) => ({ ...d, compiled: d.phrases.map(compilePhrase) }));

const ISSUES = compileAll(ISSUE_CUES);
const REQUESTS = compileAll(REQUEST_CUES);
const ACTIONS = compileAll(ACTION_CUES);
const PENDING = PENDING_PHRASES.map(compilePhrase);
const RESOLVED = RESOLVED_PHRASES.map(compilePhrase);
const UNRESOLVED = UNRESOLVED_PHRASES.map(compilePhrase);
const SENTIMENT = [
  ...Object.entries(POSITIVE_WORDS).map(([w, weight]) => ({ w, p: compilePhrase(w), weight })),
  ...Object.entries(NEGATIVE_WORDS).map(([w, weight]) => ({ w, p: compilePhrase(w), weight: -weight })),
];

interface Hit {
  turn: number;
  pos: number;
}
const before = (a: Hit, b: Hit) => a.turn - b.turn || a.pos - b.pos;

/** First occurrence of any phrase in the turns; stems for customer wording, exact words for agent actions. */
function firstHit(
  turns: readonly Turn[],
  phrases: readonly Phrase[],
  by: "stems" | "raw",
  negatable: boolean,
) {
  let best: Hit | undefined;
  for (const t of turns) {
    for (const p of phrases) {
      for (const pos of findPhrase(t[by], p[by])) {
        if (negatable && isNegated(t.raw, pos)) continue;
        const hit = { turn: t.index, pos };
        if (!best || before(hit, best) < 0) best = hit;
        break;
      }
    }
    if (best) return best;
  }
  return best;
}

const applies = (cue: CueDef, topicId: string) => !cue.topics || cue.topics.includes(topicId);

function findIssues(turns: readonly Turn[], topicId: string): string[] {
  const found: { hit: Hit; text: string }[] = [];
  for (const cue of ISSUES) {
    if (!applies(cue, topicId)) continue;
    const hit = firstHit(turns, cue.compiled, "stems", cue.negatable !== false);
    if (hit) found.push({ hit, text: cue.text });
  }
  return found
    .sort((a, b) => before(a.hit, b.hit))
    .slice(0, 2)
    .map((f) => f.text);
}

function findRequests(turns: readonly Turn[], topicId: string): string[] {
  const byGroup = new Map<string, { hit: Hit; text: string }>();
  for (const cue of REQUESTS) {
    const group = cue.group ?? cue.key;
    if (!applies(cue, topicId) || byGroup.has(group)) continue;
    const hit = firstHit(turns, cue.compiled, "stems", cue.negatable !== false);
    if (hit) byGroup.set(group, { hit, text: cue.text });
  }
  const found = [...byGroup.values()].sort((a, b) => before(a.hit, b.hit)).slice(0, 2);
  if (found.length) return found.map((f) => f.text);
  const generic = genericRequest(turns);
  return generic ? [generic] : [];
}

const REQUEST_LEADS: { words: string[]; render: (vp: string) => string }[] = [
  ...[
    "i would like to",
    "i'd like to",
    "i want to",
    "i wanna",
    "i need to",
    "i'm calling to",
    "i am calling to",
  ]
    .concat(["calling to", "i was hoping to", "can i", "could i", "how do i"])
    .map((l) => ({ words: l.split(" "), render: (vp: string) => `asked to ${vp}` })),
  ...["can you", "could you"].map((l) => ({
    words: l.split(" "),
    render: (vp: string) => `asked the agent to ${vp}`,
  })),
  ...["i would like", "i'd like", "i want", "i need", "i'm looking for", "looking for"].map((l) => ({
    words: l.split(" "),
    render: (vp: string) => `asked for ${vp}`,
  })),
];
const VP_STOP = new Set(["because", "but", "so", "as", "since", "um", "uh", "er", "erm", "please", "thanks"]);
const VP_STOP_AFTER_AND = new Set(["i", "it", "they", "we", "you", "he", "she", "that", "then"]);
const VP_TRAILING = new Set([
  "the",
  "a",
  "an",
  "my",
  "to",
  "for",
  "of",
  "and",
  "or",
  "with",
  "on",
  "in",
  "at",
]);
/** Agents' offers ("can i take your account number") are not the customer's request. */
const AGENT_WORDS = new Set(["you", "your", "yours", "you're", "help", "take", "ask", "get", "put"]);

/** "i'd like to change my plan" → "asked to change their plan": the customer's own words, reported. */
function genericRequest(turns: readonly Turn[]): string | undefined {
  for (const t of turns) {
    for (let i = 0; i < t.raw.length; i++) {
      for (const lead of REQUEST_LEADS) {
        if (findPhrase(t.raw.slice(i, i + lead.words.length), lead.words)[0] !== 0) continue;
        const vp: string[] = [];
        for (let k = i + lead.words.length; k < t.raw.length && vp.length < 8; k++) {
          const w = t.raw[k]!;
          if (VP_STOP.has(w) || w === "thank") break;
          if (w === "and" && VP_STOP_AFTER_AND.has(t.raw[k + 1] ?? "")) break;
          vp.push(w);
        }
        while (vp.length && VP_TRAILING.has(vp[vp.length - 1]!)) vp.pop();
        if (vp.length < 2 || AGENT_WORDS.has(vp[0]!) || vp.some((w) => w.startsWith("you"))) continue;
        return lead.render(thirdPerson(vp));
      }
    }
  }
  return undefined;
}

function findActions(turns: readonly Turn[], topicId: string): Action[] {
  const found: { hit: Hit; def: ActionDef }[] = [];
  for (const cue of ACTIONS) {
    if (!applies(cue, topicId)) continue;
    const hit = firstHit(turns, cue.compiled, "raw", cue.negatable !== false);
    if (hit) found.push({ hit, def: cue });
  }
  const keys = new Set(found.map((f) => f.def.key));
  let kept = found
    .filter((f) => !f.def.unless?.some((k) => keys.has(k)))
    .sort((a, b) => before(a.hit, b.hit));
  while (kept.length > MAX_ACTIONS) {
    const minor = kept.map((f) => f.def.minor).lastIndexOf(true);
    kept = kept.filter((_, i) => i !== (minor >= 0 ? minor : kept.length - 1));
  }
  return kept.map((f) => ({ key: f.def.key, text: f.def.byTopic?.[topicId] ?? f.def.text }));
}

export function sentimentOf(turns: readonly Turn[]): Sentiment {
  let score = 0;
  let negative = 0;
  let frustrated = false;
  for (const t of turns) {
    for (const s of SENTIMENT) {
      for (const pos of findPhrase(t.raw, s.p.raw)) {
        if (s.w === "good" && /^(morning|afternoon|evening|day|night)$/.test(t.raw[pos + 1] ?? "")) continue;
        const negated = isNegated(t.raw, pos);
        // "not happy" counts against; "not bad" only mildly for.
        const v = negated ? (s.weight > 0 ? -s.weight : -0.3 * s.weight) : s.weight;
        score += v;
        if (v < 0) negative -= v;
        if (!negated && FRUSTRATION_WORDS.has(s.w)) frustrated = true;
      }
    }
  }
  if (negative >= 4) frustrated = true;
  const polarity: Polarity = score >= 1 ? "positive" : score <= -1 ? "negative" : "neutral";
  return { polarity, frustrated, score: Math.round(score * 100) / 100 };
}

function anyHit(turns: readonly Turn[], phrases: readonly Phrase[], negatable: boolean): boolean {
  return firstHit(turns, phrases, "raw", negatable) !== undefined;
}

function findOutcomes(turns: readonly Turn[], customer: readonly Turn[], actions: Action[]): OutcomeCode[] {
  const keys = new Set(actions.map((a) => a.key));
  const has = (set: Set<string>) => [...set].some((k) => keys.has(k));
  const half = turns.length > 0 ? turns[Math.floor(turns.length / 2)]!.index : 0;
  const late = turns.filter((t) => t.index >= half);
  const lateCustomer = customer.filter((t) => t.index >= half);
  const endMood = sentimentOf(customer.slice(-2));

  const refund = keys.has("refund");
  const cancelled = keys.has("cancelled");
  const escalated = has(ESCALATION_ACTIONS);
  const strongFollowUp = has(FOLLOW_UP_ACTIONS);
  const completing = has(COMPLETING_ACTIONS);
  const unresolvedCue = anyHit(late, UNRESOLVED, false);
  const resolvedCue = anyHit(lateCustomer, RESOLVED, true);
  const pending = anyHit(turns, PENDING, true) && !refund && !cancelled && !completing;
  const followUp = strongFollowUp || pending;
  const resolved =
    !escalated &&
    !unresolvedCue &&
    !followUp &&
    endMood.polarity !== "negative" &&
    (resolvedCue || completing);
  const unresolved =
    unresolvedCue || (!resolved && !escalated && !followUp && !refund && !cancelled && endMood.score <= -1);

  const out: OutcomeCode[] = [];
  if (cancelled) out.push("cancelled");
  if (refund) out.push("refund_issued");
  if (escalated) out.push("escalated");
  if (followUp) out.push("follow_up_required");
  if (resolved) out.push("resolved");
  if (unresolved) out.push("unresolved");
  return out;
}

export function extractSlots(turns: readonly Turn[], topicId: string): Slots {
  const anonymous = turns.every((t) => t.role === "unknown");
  const customer = turns.filter((t) => t.role === "customer" || t.role === "unknown");
  const agent = turns.filter((t) => t.role === "agent" || t.role === "unknown");
  const actions = findActions(agent, topicId);
  return {
    issues: findIssues(customer, topicId),
    requests: findRequests(customer, topicId),
    actions,
    outcomes: findOutcomes(turns, customer, actions),
    sentiment: sentimentOf(customer),
    anonymous,
  };
}
