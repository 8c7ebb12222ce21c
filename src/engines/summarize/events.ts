/**
 * Outcome events (a refund issued, a service cancelled, a case escalated) are the summary's strongest
 * claims, so the act classifier's word is not enough. An agent clause labelled as one of these deeds
 * becomes the event only when
 *
 * 1. it names the event with a word of the event's own family (EVENT_FAMILIES below: "refund",
 *    "credited", "money back" for a refund; "cancel", "close", "end" applied to the customer's plan,
 *    order, contract… for a cancellation; "escalate", "manager", "formal complaint" for an
 *    escalation), matched on stems so every inflection counts; and
 * 2. that word reports a deed done, not one asked for, planned, conditional or denied: not the object
 *    of a request ("I've sent the refund request", "you can claim a refund"), not inside a condition
 *    ("if it's lost we'll refund you", "as soon as someone takes the room … your rent will stop"),
 *    not under a modal ("they will refund", "I can cancel it", "I'll need to raise it"), not negated,
 *    not a reading of the record ("I can see the hotel cancelled") and not someone else's deed.
 *
 * When in doubt the clause is demoted: to pending work when something was set in motion (a request
 * sent, a third party who will act), otherwise to nothing. A missed event costs less than an invented
 * one.
 */
import { negatedFlags, sentences, type Word } from "./nlp.ts";

export type EventCode = "refund_issued" | "cancelled" | "escalated";

export interface EventFamilyDef {
  code: EventCode;
  /** the agent act that reports this deed */
  act: string;
  /**
   * Words or phrases that name the event on their own. A phrase's words match in order with up to
   * two words between them; "a|b" is either word.
   */
  names: string[];
  /** verbs that name the event only when applied to one of `objects` or to "it"/"that"/"this" */
  verbs?: string[];
  /** verbs that name the event only when one of `objects` is in the clause ("close", "end") */
  weakVerbs?: string[];
  /** what the customer holds that the event may apply to */
  objects?: string[];
  /** whether the agent's own "I'll …" / "I'm going to …" already counts (an escalation does) */
  ownFuture: boolean;
}

/** The event families: the words an event must be named with. Data, not code. */
export const EVENT_FAMILIES: readonly EventFamilyDef[] = [
  {
    code: "refund_issued",
    act: "done_refund",
    names: [
      "refund",
      "reimburse",
      "reimbursement",
      "repay",
      "repaid",
      "repayment",
      "credit",
      "money back",
      "back to|onto card|visa|mastercard|amex|bank|account|paypal",
    ],
    ownFuture: false,
  },
  {
    code: "cancelled",
    act: "done_cancel",
    names: ["cancellation", "termination"],
    verbs: ["cancel", "terminate"],
    weakVerbs: ["close", "end", "stop", "discontinue", "deactivate", "disconnect"],
    objects: [
      "account",
      "plan",
      "policy",
      "contract",
      "membership",
      "subscription",
      "order",
      "booking",
      "reservation",
      "service",
      "line",
      "licence",
      "license",
      "tenancy",
      "agreement",
      "direct debit",
      "renewal",
      "package",
      "bundle",
      "broadband",
      "insurance",
      "cover",
    ],
    ownFuture: false,
  },
  {
    code: "escalated",
    act: "escalate",
    names: [
      "escalate",
      "escalation",
      "manager",
      "supervisor",
      "team leader",
      "senior",
      "complaint",
      "formal",
      "specialist",
      "head office",
      "ombudsman",
    ],
    ownFuture: true,
  },
];

/**
 * Nouns that, right after an anchor, make it a modifier rather than the deed: "the cancellation fee",
 * "the refund policy", "your credit card", "the complaints procedure".
 */
const MODIFIED = [
  "fee",
  "charge",
  "cost",
  "period",
  "term",
  "policy",
  "rule",
  "process",
  "procedure",
  "card",
  "union",
  "check",
  "score",
  "limit",
  "rating",
  "history",
  "agreement",
  "eligibility",
];
/** Words that make the anchor the object of a request rather than a deed. */
const REQUEST_WORDS = ["request", "claim", "application", "apply", "ask", "chase", "form"];
/** A clause containing one of these before the anchor is a condition or its consequence. */
const CONDITIONS = [
  "if",
  "unless",
  "once",
  "as soon as",
  "when",
  "whenever",
  "until",
  "provided",
  "assuming",
  "in case",
];
/** Reading the record, not doing: "I can see the order was cancelled", "it says it was refunded". */
const REPORT_VERBS = new Set(["see", "show", "say", "look", "appear", "notice", "mention"]);
const FUTURE = new Set(["will", "shall", "gonna"]);
const HEDGE = new Set([
  "can",
  "could",
  "would",
  "may",
  "might",
  "should",
  "must",
  "need",
  "want",
  "try",
  "able",
  "hope",
  "plan",
]);
const PERSONAL = new Set(["i", "we", "they", "he", "she"]);
/** subjects that may also be objects ("refunded you", "cancelled it") */
const AMBIGUOUS = new Set(["you", "it", "that", "this", "there"]);
const THIRD_PARTY = new Set(["they", "he", "she"]);
const RECEIVE = new Set(["get", "receive", "see", "have"]);
const BE = new Set(["be", "'s", "is", "are", "'re", "was", "were", "been"]);
const CONJUNCTIONS = new Set(["and", "but", "so", "or", "then", "plus"]);
const LEAD_FILLERS = new Set([
  "okay",
  "ok",
  "right",
  "so",
  "and",
  "well",
  "alright",
  "um",
  "er",
  "yeah",
  "yes",
]);
const GAP = 2;

type Pattern = string[][];

const stemsOf = (text: string) =>
  sentences(text)
    .flat()
    .filter((w) => w.type !== "punctuation")
    .map((w) => w.stem);

function compile(phrase: string): Pattern {
  return phrase.split(" ").map((tok) => tok.split("|").flatMap(stemsOf));
}

interface CompiledFamily extends EventFamilyDef {
  namePatterns: Pattern[];
  verbStems: Set<string>;
  weakStems: Set<string>;
  objectPatterns: Pattern[];
}

let compiled: CompiledFamily[] | undefined;
let requestStems: Set<string>;
let modifiedStems: Set<string>;
let conditionPatterns: Pattern[];

function families(): CompiledFamily[] {
  if (!compiled) {
    compiled = EVENT_FAMILIES.map((f) => ({
      ...f,
      namePatterns: f.names.map(compile),
      verbStems: new Set((f.verbs ?? []).flatMap(stemsOf)),
      weakStems: new Set((f.weakVerbs ?? []).flatMap(stemsOf)),
      objectPatterns: (f.objects ?? []).map(compile),
    }));
    requestStems = new Set(REQUEST_WORDS.flatMap(stemsOf));
    modifiedStems = new Set(MODIFIED.flatMap(stemsOf));
    conditionPatterns = CONDITIONS.map((c) => c.split(" ").map((w) => [w]));
  }
  return compiled;
}

/** [start, end] of each match of a pattern (stems, or lowercase words for `raw`). */
function matches(words: readonly Word[], p: Pattern, raw = false, gap = GAP): [number, number][] {
  const out: [number, number][] = [];
  const key = (w: Word) => (raw ? w.lower : w.stem);
  for (let i = 0; i < words.length; i++) {
    if (!p[0]!.includes(key(words[i]!))) continue;
    let at = i;
    let ok = true;
    for (let j = 1; j < p.length && ok; j++) {
      ok = false;
      for (let k = at + 1; k <= at + 1 + gap && k < words.length; k++) {
        if (p[j]!.includes(key(words[k]!))) {
          at = k;
          ok = true;
          break;
        }
      }
    }
    if (ok) out.push([i, at]);
  }
  return out;
}

/** Where the clause names the family's event: [start, end] of each anchor. */
function anchors(f: CompiledFamily, words: readonly Word[]): [number, number][] {
  const out = f.namePatterns
    .flatMap((p) => matches(words, p))
    .filter(([start, end]) => !(start === end && words[end + 1] && modifiedStems.has(words[end + 1]!.stem)));
  const hasObject = f.objectPatterns.some((p) => matches(words, p, false, 0).length > 0);
  words.forEach((w, i) => {
    if (w.pos !== "VERB" && w.pos !== "ADJ") return;
    if (f.weakStems.has(w.stem) && hasObject) out.push([i, i]);
    if (f.verbStems.has(w.stem)) {
      // "cancelled it", "that's cancelled", "cancelled your plan"
      const near = words.slice(Math.max(0, i - 3), i + 3).map((x) => x.lower);
      if (hasObject || near.some((x) => x === "it" || x === "that" || x === "this")) out.push([i, i]);
    }
  });
  return out.sort((a, b) => a[0] - b[0]);
}

export type Verdict = "event" | "pending" | "none";

export interface EventContext {
  /** the same turn's previous clause (a condition carries over to its consequence) */
  previous?: readonly Word[];
  /** whether an earlier clause of the turn already carries a completed event ("the policy's closed") */
  earlierEvent: boolean;
}

const spoken = (words: readonly Word[]) => words.filter((w) => w.type !== "punctuation");

/** Whether a clause is a condition: "if it's lost …", "as soon as we find someone …", "once it's back …". */
export function opensWithCondition(clause: readonly Word[]): boolean {
  families();
  const words = spoken(clause);
  let i = 0;
  while (i < words.length && LEAD_FILLERS.has(words[i]!.lower)) i++;
  const rest = words.slice(i);
  return conditionPatterns.some((p) => matches(rest, p, true, 0).some(([s]) => s === 0));
}

/** The verb group that governs the anchor: its modality and its subject. */
function governor(ws: readonly Word[], start: number, end: number) {
  const modal: string[] = [];
  const note = (w: Word) => {
    if (FUTURE.has(w.lemma) || FUTURE.has(w.lower)) modal.push("future");
    else if (w.lemma === "go" && ws[ws.indexOf(w) + 1]?.lower === "to") modal.push("future");
    else if (HEDGE.has(w.lemma)) modal.push("hedge");
    else if (/^ha(ve|s|d)$/.test(w.lower) && ws[ws.indexOf(w) + 1]?.lower === "to") modal.push("hedge");
  };
  const anchor = ws[start]!;
  // a noun anchor followed by its verb is the subject: "the refund has gone through", "my manager will call"
  const after = ws[end + 1];
  if (anchor.pos !== "VERB" && (after?.pos === "AUX" || after?.pos === "VERB")) {
    for (
      let i = end + 1;
      i < ws.length &&
      (ws[i]!.pos === "AUX" || ws[i]!.pos === "PART" || ws[i]!.pos === "ADV" || ws[i]!.pos === "VERB");
      i++
    ) {
      note(ws[i]!);
      if (ws[i]!.pos === "VERB" && ws[i]!.lemma !== "go") break;
    }
    return { modal, subject: "anchor", passive: true };
  }
  let subject = "";
  let passive = false;
  for (let i = start - 1; i >= 0; i--) {
    const w = ws[i]!;
    const before = ws[i - 1];
    if (PERSONAL.has(w.lower)) {
      subject = w.lower;
      break;
    }
    if (AMBIGUOUS.has(w.lower) && !(before && /^(VERB|ADP|AUX)$/.test(before.pos) && w.lower !== "there")) {
      subject = w.lower;
      break;
    }
    // a noun right before the anchor's verb group: "the hotel cancelled", "your rent will stop"
    if ((w.pos === "NOUN" || w.pos === "PROPN") && anchor.pos === "VERB") {
      const between = ws.slice(i + 1, start);
      if (between.every((x) => x.pos === "AUX" || x.pos === "PART" || x.pos === "ADV")) {
        between.forEach(note);
        subject = "noun";
        passive = between.some((x) => BE.has(x.lower) || BE.has(x.lemma));
        return { modal, subject, passive };
      }
    }
    if (CONJUNCTIONS.has(w.lower)) continue;
    note(w);
  }
  return { modal, subject, passive };
}

function verdictAt(
  f: CompiledFamily,
  ws: readonly Word[],
  [start, end]: [number, number],
  ctx: EventContext,
): Verdict {
  const neg = negatedFlags(ws);
  if (
    neg.slice(0, end + 1).some((n, i) => n && (i >= start || ws[i]!.pos === "VERB" || ws[i]!.pos === "AUX"))
  )
    return "none";
  const head = ws.slice(0, start);
  if (conditionPatterns.some((p) => matches(head, p, true, 0).length > 0)) return "none";
  if (opensWithCondition(ws) || (ctx.previous && opensWithCondition(spoken(ctx.previous)))) return "none";
  if (ws.find((w) => !LEAD_FILLERS.has(w.lower) || w.lower === "so")?.lower === "then") return "none";
  if (head.some((w) => w.pos === "VERB" && REPORT_VERBS.has(w.lemma))) return "none";
  const { modal, subject, passive } = governor(ws, start, end);
  // "I can cancel it", "I could ask my manager", "I'll need to raise it": an offer or a plan
  if (modal.includes("hedge")) return "none";
  // "the refund request", "a cancellation form"; "I've requested a refund", "asked for a refund"
  const anchorIsNoun = ws[start]!.pos !== "VERB";
  const compound = ws[end + 1] !== undefined && requestStems.has(ws[end + 1]!.stem);
  const asked = ws
    .slice(Math.max(0, start - 3), start)
    .some((w) => requestStems.has(w.stem) && (w.pos === "VERB" || anchorIsNoun));
  if (compound || asked) return "pending";
  if (modal.includes("future")) {
    if (f.ownFuture && (subject === "i" || subject === "we")) return "event";
    // "… the policy's closed and you'll get a refund of the unused premium": what the deed brings
    const verb = ws
      .slice(0, start)
      .reverse()
      .find((w) => w.pos === "VERB");
    if (subject === "you" && ctx.earlierEvent && verb && RECEIVE.has(verb.lemma)) return "event";
    return "pending";
  }
  if (THIRD_PARTY.has(subject)) return "none";
  if (subject === "noun" && !passive) return "none";
  // "it goes back to your card", "the money comes back", "it gets refunded": how the process runs,
  // not a deed done ("I've refunded it", "it's been refunded", "I put it back" are)
  if (describesProcess(ws, start, end)) return "none";
  return "event";
}

/** Verbs whose past tense is their base form: "I put it back on your card" is past. */
const PAST_AS_BASE = new Set(["put", "set", "cut", "let", "shut", "quit"]);

/** Whether a lexical verb is in the simple present: no auxiliary before it, a base or -s form. */
function simplePresent(ws: readonly Word[], i: number): boolean {
  const v = ws[i]!;
  if (v.pos !== "VERB") return false;
  for (let k = i - 1; k >= 0 && (ws[k]!.pos === "ADV" || ws[k]!.pos === "PART"); k--) {
    if (ws[k]!.lower === "to") return false;
  }
  const before = ws
    .slice(0, i)
    .reverse()
    .find((w) => w.pos !== "ADV" && w.pos !== "PART");
  if (before?.pos === "AUX") return false;
  if (v.lower === v.lemma) return !PAST_AS_BASE.has(v.lemma);
  return /s$/.test(v.lower) && !/(ed|en)$/.test(v.lower) && v.lower.startsWith(v.lemma.slice(0, 2));
}

/**
 * Whether the verb that carries the anchor is a simple present describing how things run: "it goes
 * straight back to your card", "the refund comes through tonight", "you get your money back",
 * "it gets refunded to your card".
 */
function describesProcess(ws: readonly Word[], start: number, end: number): boolean {
  const anchor = ws[start]!;
  if (anchor.pos === "VERB") {
    // "it gets refunded", "it goes cancelled": a present "get"/"go" passive
    const prev = ws
      .slice(0, start)
      .reverse()
      .find((w) => w.pos !== "ADV");
    if (prev && (prev.lemma === "get" || prev.lemma === "go") && simplePresent(ws, ws.indexOf(prev)))
      return true;
    return simplePresent(ws, start);
  }
  // a verb inside a phrase anchor ("the money comes back") or right after a noun anchor ("the refund
  // goes through")
  const inside = ws.findIndex((w, i) => i > start && i <= end + 1 && w.pos === "VERB");
  if (inside >= 0) return simplePresent(ws, inside);
  // …or the verb before it: "it goes straight back to your card", "you get your money back"
  for (let i = start - 1; i >= 0; i--) {
    const w = ws[i]!;
    if (w.pos === "VERB") return simplePresent(ws, i);
    if (w.pos === "AUX") return false;
  }
  return false;
}

/**
 * Whether an agent clause labelled `act` may claim its event: "event" when it names the event and
 * reports it done; "pending" when it sets it in motion (asked for, to be done by someone);
 * otherwise "none". Acts that are no event pass as "event".
 */
export function eventVerdict(act: string, words: readonly Word[], ctx: EventContext): Verdict {
  const f = families().find((x) => x.act === act);
  if (!f) return "event";
  return familyVerdict(f, words, ctx);
}

function familyVerdict(f: CompiledFamily, words: readonly Word[], ctx: EventContext): Verdict {
  const ws = spoken(words);
  let best: Verdict = "none";
  for (const a of anchors(f, ws)) {
    const v = verdictAt(f, ws, a, ctx);
    if (v === "event") return v;
    if (v === "pending") best = v;
  }
  return best;
}
