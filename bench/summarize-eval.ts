/**
 * Scoring of the embedded summarizer on the labelled calls in bench/summarize-calls/ (tuning.json,
 * heldout.json): topic, outcome, and the grounding of every summary statement. Shared by
 * bench/summarize.ts and test/summarize-grounding.test.ts.
 *
 * A statement is *unsupported* when:
 * - (request, action, offer, declined) fewer than 60 % of its content stems (wink-nlp stems, stop
 *   words and the summary's own frame words such as "customer", "agent", "said", "offered" left out)
 *   occur in any single utterance of the transcript — checked against the transcript, not against
 *   the evidence the summarizer cites; or its best-matching utterance is by the other party; or it
 *   is an action whose best-matching utterance is an offer the customer declined (annotated);
 * - (outcome) it claims an event — refund issued, cancelled, escalated — that the call's annotated
 *   outcome does not have.
 * A summary is *contradictory* when it says "not confirmed" beside a settled outcome, or "resolved"
 * beside "unresolved".
 */
import { readFileSync } from "node:fs";
import type { TranscriptItem } from "../src/core/payloads.ts";
import {
  analyseSource,
  type CallAnalysis,
  type OutcomeCode,
  type Statement,
} from "../src/engines/summarize/grounded.ts";
import { contentStems, sentences, type Word } from "../src/engines/summarize/nlp.ts";
import type { Taxonomy } from "../src/engines/summarize/taxonomy.ts";

export interface LabelledCall {
  id: string;
  /** the main topic's id */
  topic: string;
  /** the call's outcome codes (the tagger's vocabulary); [] when nothing was settled or left pending */
  outcome: OutcomeCode[];
  /** what the agent actually did, in words (documentation for the reader) */
  actions: string[];
  /** turns (0-based) where the agent offered something the customer then declined */
  declined_offer_turns: number[];
  /** [speaker, text]: "A" agent, "C" customer */
  turns: ["A" | "C", string][];
}

export type Split = "tuning" | "tuning-2" | "tuning-3" | "tuning-4" | "tuning-5" | "heldout" | "heldout-6";
export const TUNING: Split[] = ["tuning", "tuning-2", "tuning-3", "tuning-4", "tuning-5"];
export const HELD_OUT: Split[] = ["heldout", "heldout-6"];

export function loadCalls(split: Split): LabelledCall[] {
  const file = new URL(`./summarize-calls/${split}.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { calls: LabelledCall[] }).calls;
}

export function transcriptOf(call: LabelledCall): TranscriptItem[] {
  return call.turns.map(([who, text], i) => ({
    text,
    time_start: i * 4,
    time_end: i * 4 + 3.5,
    speaker_id: who === "A" ? 0 : 1,
    speaker_alias: who === "A" ? "Agent" : "User",
  }));
}

/** Words the summary itself brings: who speaks and how it is reported. */
const FRAME = new Set(
  "customer caller agent said say ask asked also offered offer declined decline accepted accept company outcome would could they them their the".split(
    " ",
  ),
);
const frameStems = new Set([...FRAME].flatMap((w) => contentStems(sentences(w).flat())));

/** A statement's content words, each as its stem and lemma ("spoke" meets "spoken" through "speak"). */
export function statementWords(text: string): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const w of contentWords(text)) {
    if (frameStems.has(w.stem) || FRAME.has(w.lower) || seen.has(w.stem)) continue;
    seen.add(w.stem);
    out.push([w.stem, w.lemma]);
  }
  return out;
}

function contentWords(text: string): Word[] {
  return sentences(text)
    .flat()
    .filter((w) => w.type === "word" && !w.stop && /[a-z]/.test(w.lower));
}

/** An utterance's content words as stems and lemmas. */
export function utteranceTerms(text: string): Set<string> {
  return new Set(contentWords(text).flatMap((w) => [w.stem, w.lemma]));
}

export interface Claim {
  statement: Statement;
  section: string;
  supported: boolean;
  /** the utterance that best supports it, and the share of its content stems found there */
  best: number;
  overlap: number;
  why?: string;
}

export interface CallScore {
  call: LabelledCall;
  analysis: CallAnalysis;
  topic: string;
  topicOk: boolean;
  outcome: OutcomeCode[];
  outcomeOk: boolean;
  claims: Claim[];
  contradictions: string[];
  declinedClaimed: number;
}

export const SUPPORT_THRESHOLD = 0.6;
const EVENT_TEXT: [OutcomeCode, RegExp][] = [
  ["refund_issued", /refund issued/],
  ["cancelled", /(service|order) cancelled/],
  ["escalated", /\bescalated\b/],
];

export function checkStatement(
  st: Statement,
  call: LabelledCall,
  turnStems: Set<string>[],
): Omit<Claim, "section"> {
  if (st.kind === "outcome") {
    const bad = EVENT_TEXT.filter(([code, re]) => re.test(st.text) && !call.outcome.includes(code));
    return bad.length
      ? {
          statement: st,
          supported: false,
          best: -1,
          overlap: 0,
          why: `claims ${bad.map(([c]) => c).join(", ")}`,
        }
      : { statement: st, supported: true, best: -1, overlap: 1 };
  }
  const stems = statementWords(st.text);
  let best = -1;
  let overlap = 0;
  // on a tie the utterance of the party the statement is about wins
  const side = st.kind === "request" ? "C" : "A";
  turnStems.forEach((u, i) => {
    const share = stems.length ? stems.filter(([st, le]) => u.has(st) || u.has(le)).length / stems.length : 0;
    if (
      share > overlap ||
      (share === overlap && share > 0 && call.turns[i]![0] === side && call.turns[best]?.[0] !== side)
    ) {
      overlap = share;
      best = i;
    }
  });
  const speaker = best >= 0 ? call.turns[best]![0] : undefined;
  const agentSide = st.kind !== "request";
  let why: string | undefined;
  if (!stems.length) why = "no content words";
  else if (overlap < SUPPORT_THRESHOLD) why = `best overlap ${(overlap * 100).toFixed(0)} %`;
  else if (agentSide && speaker === "C" && st.kind === "action")
    why = "an agent action found only in the customer's words";
  else if (!agentSide && speaker === "A") why = "a customer request found only in the agent's words";
  else if (st.kind === "action" && call.declined_offer_turns.includes(best))
    why = "a declined offer reported as done";
  return { statement: st, supported: why === undefined, best, overlap, ...(why && { why }) };
}

export function scoreCall(call: LabelledCall, tax: Taxonomy): CallScore {
  const analysis = analyseSource({ transcript: transcriptOf(call) }, tax);
  const turnStems = call.turns.map(([, text]) => utteranceTerms(text));
  const claims: Claim[] = [];
  for (const s of analysis.sections) {
    for (const st of s.statements)
      claims.push({ ...checkStatement(st, call, turnStems), section: s.topic.id });
  }
  const contradictions: string[] = [];
  const texts = analysis.sections.map((s) => s.statements.map((x) => x.text).join(" "));
  const all = texts.join(" ");
  if (/not confirmed/.test(all) && /refund issued|cancelled|escalated|resolved|pending follow-up/.test(all)) {
    contradictions.push("not confirmed beside a settled or pending outcome");
  }
  for (const t of texts) {
    if (/Outcome:[^.]*\bresolved\b/.test(t) && /Outcome:[^.]*\bunresolved\b/.test(t)) {
      contradictions.push("resolved and unresolved");
    }
  }
  const topic = analysis.sections[0]?.topic.id ?? "none";
  const outcome = analysis.outcomes;
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return {
    call,
    analysis,
    topic,
    topicOk: topic === call.topic,
    outcome,
    outcomeOk: same(outcome, call.outcome),
    claims,
    contradictions,
    declinedClaimed: claims.filter((c) => c.why === "a declined offer reported as done").length,
  };
}

export interface SplitScore {
  n: number;
  topicCorrect: number;
  outcomeCorrect: number;
  statements: number;
  unsupported: number;
  contradictions: number;
  declinedClaimed: number;
  calls: CallScore[];
}

export function scoreSplit(calls: readonly LabelledCall[], tax: Taxonomy): SplitScore {
  const scored = calls.map((c) => scoreCall(c, tax));
  return {
    n: scored.length,
    topicCorrect: scored.filter((s) => s.topicOk).length,
    outcomeCorrect: scored.filter((s) => s.outcomeOk).length,
    statements: scored.reduce((n, s) => n + s.claims.length, 0),
    unsupported: scored.reduce((n, s) => n + s.claims.filter((c) => !c.supported).length, 0),
    contradictions: scored.reduce((n, s) => n + s.contradictions.length, 0),
    declinedClaimed: scored.reduce((n, s) => n + s.declinedClaimed, 0),
    calls: scored,
  };
}
