/**
 * Grounded call analysis: every statement a summary makes is a report of one or more utterances,
 * and keeps their indices as evidence.
 *
 * 1. Each turn is cut into clauses (nlp.ts). The topic classifier scores each turn; the agent- and
 *    customer-act classifiers label each clause (what it does: a request, a refund done, an offer,
 *    a decline, …). See classifier.ts for the labels and corpus/summarize/ for the training data.
 * 2. One topic per call: the weighted sum of the turns' topic probabilities (the customer's first
 *    topical turns count most). A second section only when the customer clearly changes subject
 *    ("while I'm on", "one more thing", …) to a turn the classifier gives another topic.
 * 3. Per section: the customer's request, reported from the clause that states it; the agent's
 *    actions, reported from clauses labelled as done (refund, cancellation, fix), escalated or
 *    arranged (follow-up); an offer is an action only when the customer accepts it, and an offer
 *    the customer declines is reported as declined; the outcome follows from those same clauses.
 */
import { modelsFor, OTHER, type Models, type Scored } from "./classifier.ts";
import {
  agentVerbPhrase,
  clausesOf,
  contentStems,
  customerReport,
  instructionPhrase,
  negatedFlags,
  offeredVerbPhrase,
  render,
  sentences,
  trimFillers,
  type Word,
} from "./nlp.ts";
import { eventVerdict, opensWithCondition } from "./events.ts";
import { sentimentOf } from "./sentiment.ts";
import { generalTopic, type Taxonomy, type Topic } from "./taxonomy.ts";
import { toTurns, type Role, type Turn } from "./text.ts";
import type { SummarySource } from "./types.ts";

export type OutcomeCode =
  "cancelled" | "refund_issued" | "escalated" | "follow_up_required" | "resolved" | "unresolved";
export const OUTCOME_ORDER: readonly OutcomeCode[] = [
  "cancelled",
  "refund_issued",
  "escalated",
  "follow_up_required",
  "resolved",
  "unresolved",
];

export interface ClauseInfo {
  turn: number;
  /** the speaker's role; for unlabelled text, the role whose classifier was surer */
  role: Exclude<Role, "unknown">;
  words: Word[];
  text: string;
  act: string;
  /** further deeds the clause reports done ("I've cancelled the plan and refunded the fee") */
  also?: string[];
  p: number;
}

export type StatementKind = "request" | "action" | "offer" | "declined" | "outcome";

export interface Statement {
  kind: StatementKind;
  /** one sentence of the summary */
  text: string;
  /** indices of the turns it reports (empty only for "Outcome: not confirmed on the call.") */
  evidence: number[];
}

export interface Section {
  topic: Topic;
  /** false when no turn was about any topic (then General Enquiry) */
  matched: boolean;
  turns: Turn[];
  statements: Statement[];
  outcomes: OutcomeCode[];
}

export interface CallAnalysis {
  turns: Turn[];
  clauses: ClauseInfo[];
  /** most prominent first */
  sections: Section[];
  /** the whole call's outcome (the tagger's call_outcome) */
  outcomes: OutcomeCode[];
  /** whether the turns carry no speaker roles */
  anonymous: boolean;
}

const ROLE_WEIGHT = { customer: 1.5, unknown: 1.2, agent: 1 } as const;
const OPENING_BOOST = 2;
const OPENING_TURNS = 1;
/** a turn counts towards topics only when greetings and chit-chat ("other") get at most this share */
const MAX_OTHER = 0.3;
/** a turn with fewer content words than this counts towards topics in proportion */
const MIN_TOPIC_WORDS = 2;
const CHANGE_OF_SUBJECT =
  /\b(while i'?m on|while i have you|while i've got you|whilst i'?m on|one more thing|another thing|another question|something else|separate (thing|question|issue)|separately|on another note|also wanted|also need|also want|the other thing|before you go|and also)\b/i;
const DONE_ACTS = new Set(["done_refund", "done_cancel", "done_fix"]);
const ACTION_ACTS = new Set([...DONE_ACTS, "escalate", "follow_up"]);
/** acts that become outcome events: they need a verb ("your account is closed" is a state) */
const EVENT_ACTS = new Set(["done_refund", "done_cancel", "escalate"]);
/** event deeds one clause may report together */
const DONE_EVENT_ACTS = ["done_refund", "done_cancel"];
const MAX_ACTIONS = 3;
/** an agent clause counts as a deed (done, escalated, arranged) only this sure */
const ACT_P = 0.5;
/** a customer's closing words count as resolved / unresolved only this sure */
const CUE_P = 0.6;

const MODALS = new Set(["will", "'ll", "should", "shall", "would", "'d", "going"]);
const isVerbal = (w: Word) => w.pos === "VERB" || (w.pos === "AUX" && MODALS.has(w.lower));

function classifyClauses(turns: readonly Turn[], m: Models): ClauseInfo[] {
  const out: ClauseInfo[] = [];
  for (const t of turns) {
    for (const c of clausesOf(t.text)) {
      const words = c.words;
      if (!words.some((w) => w.type !== "punctuation")) continue;
      const text = render(words);
      let role: "agent" | "customer";
      let s: Scored | undefined;
      if (t.role === "agent" || t.role === "customer") {
        role = t.role;
        s = (role === "agent" ? m.agentAct : m.customerAct).scoreWords(words);
      } else {
        const a = m.agentAct.scoreWords(words);
        const cu = m.customerAct.scoreWords(words);
        const aScore = a && a.label !== OTHER ? a.p : 0;
        const cScore = cu && cu.label !== OTHER ? cu.p : 0;
        role = aScore > cScore ? "agent" : "customer";
        s = role === "agent" ? a : cu;
      }
      let act = s?.label ?? OTHER;
      // a deed needs a verb and a clear call: "the account is under your old email" did nothing
      if (ACTION_ACTS.has(act) && (s?.p ?? 0) < ACT_P) act = "check";
      // …and an affirmative one: "and it won't renew" states what will not happen, it did nothing
      const neg = negatedFlags(words);
      if (EVENT_ACTS.has(act) && !words.some((w, i) => isVerbal(w) && !neg[i])) act = "check";
      // …and it must name the event with its own words, as a deed done (events.ts): "I've sent the
      // refund request" is pending work, "reception closes at six" no cancellation at all
      // a condition is no deed: "as soon as we find a replacement | we'll email you"
      if (DONE_ACTS.has(act) && opensWithCondition(words)) act = "check";
      const also: string[] = [];
      if (EVENT_ACTS.has(act) && role === "agent") {
        const previous = out.at(-1)?.turn === t.index ? out.at(-1)!.words : undefined;
        const earlierEvent = out.some((c) => c.turn === t.index && EVENT_ACTS.has(c.act));
        const ctx = { previous, earlierEvent };
        const v = eventVerdict(act, words, ctx);
        if (v === "pending") act = "follow_up";
        else if (v === "none") act = "check";
        // one done deed may carry another it names as done too: "I've cancelled it and refunded you"
        if (DONE_ACTS.has(act)) {
          for (const other of DONE_EVENT_ACTS) {
            if (other !== act && eventVerdict(other, words, ctx) === "event") also.push(other);
          }
        }
      }
      out.push({ turn: t.index, role, words, text, act, p: s?.p ?? 0, ...(also.length && { also }) });
    }
  }
  return out;
}

interface TurnTopic {
  turn: Turn;
  /** the speaker's role, or for unlabelled text the role most of its clauses read as */
  role: Role;
  words: Word[];
  scored: Scored | undefined;
  topical: boolean;
  /** content words once greetings and fillers are trimmed ("yes, the same card" has one) */
  content: number;
}

function topicOfTurns(
  turns: readonly TurnTopic[],
  tax: Taxonomy,
): { topic: Topic; matched: boolean; score: number } {
  const ids = tax.topics.map((t) => t.id);
  const total = new Map<string, number>(ids.map((id) => [id, 0]));
  let opening = 0;
  let matched = false;
  for (const { scored, topical, role, content } of turns) {
    if (!scored || !topical) continue;
    matched = true;
    // a one-word answer ("yes, the same card") is thin evidence of what the call is about
    let w = ROLE_WEIGHT[role] * Math.min(1, content / MIN_TOPIC_WORDS);
    if (role !== "agent" && opening < OPENING_TURNS) {
      w *= OPENING_BOOST;
      opening++;
    }
    for (const id of ids) total.set(id, total.get(id)! + w * (scored.probs[id] ?? 0));
  }
  if (!matched) return { topic: generalTopic(tax), matched: false, score: 0 };
  let best = ids[0]!;
  for (const id of ids) if (total.get(id)! > total.get(best)!) best = id;
  return { topic: tax.topics.find((t) => t.id === best)!, matched: true, score: total.get(best)! };
}

/** Where the customer clearly moves to another subject, or -1. */
function subjectChange(tt: readonly TurnTopic[], tax: Taxonomy): number {
  const firstTopical = tt.findIndex((x) => x.topical && x.role !== "agent");
  if (firstTopical < 0) return -1;
  for (let i = firstTopical + 1; i < tt.length; i++) {
    const x = tt[i]!;
    if (x.role === "agent" || !CHANGE_OF_SUBJECT.test(x.turn.text)) continue;
    if (!x.scored || !x.topical || x.scored.p < 0.5) continue;
    const before = topicOfTurns(tt.slice(0, i), tax).topic;
    if (x.scored.label !== before.id) return i;
  }
  return -1;
}

const anyStems = (words: readonly Word[], min: number) => contentStems(words).length >= min;

function sentenceCase(s: string): string {
  return s
    .replace(/\s+/g, " ")
    .replace(/\s+([,.;:!?])/g, "$1")
    .replace(/[,;:]+\./g, ".")
    .replace(/([.?!])\.+$/, ".")
    .trim();
}

/** A request clause and the rest of its turn's clauses that carry content, up to ~30 words. */
function requestSpan(clauses: readonly ClauseInfo[], first: ClauseInfo): Word[] {
  const words = [...first.words];
  for (let i = clauses.indexOf(first) + 1; i < clauses.length; i++) {
    const c = clauses[i]!;
    if (c.turn !== first.turn || c.role !== "customer") break;
    if (c.act === "accept" || c.act === "decline" || c.act === "resolved" || !anyStems(c.words, 1)) break;
    if (words.length + c.words.length > 32) break;
    const lead = c.words[0]!;
    const prev = words.at(-1);
    if (
      lead.pos !== "CCONJ" &&
      lead.pos !== "SCONJ" &&
      lead.type !== "punctuation" &&
      prev?.type !== "punctuation" &&
      prev?.pos !== "VERB"
    ) {
      words.push({
        ...lead,
        value: ",",
        lower: ",",
        stem: ",",
        lemma: ",",
        pos: "PUNCT",
        type: "punctuation",
        pre: "",
        neg: false,
        stop: false,
      });
    }
    words.push(...c.words);
  }
  return words;
}

function requestStatements(
  clauses: readonly ClauseInfo[],
  tt: ReadonlyMap<number, TurnTopic>,
  topic: Topic,
  who: string,
): Statement[] {
  const customer = clauses.filter((c) => c.role === "customer" && anyStems(trimFillers(c.words), 2));
  const requests = customer.filter((c) => c.act === "request");
  const onTopic = (c: ClauseInfo) => (tt.get(c.turn)?.scored?.probs[topic.id] ?? 0) >= 0.3;
  const first =
    requests.find(onTopic) ??
    requests[0] ??
    [...customer.filter(onTopic)].sort(
      (a, b) =>
        (tt.get(b.turn)?.scored?.probs[topic.id] ?? 0) - (tt.get(a.turn)?.scored?.probs[topic.id] ?? 0) ||
        a.turn - b.turn,
    )[0];
  if (!first) return [];
  const span = requestSpan(clauses, first);
  const report = customerReport(span);
  // a request must say what was asked in words of the call
  const out: Statement[] = carriesContent(report)
    ? [{ kind: "request", text: `${who} ${report}.`, evidence: [first.turn] }]
    : [];
  const seen = new Set(contentStems(span));
  const second = requests.find(
    (c) =>
      c.turn > first.turn &&
      c.turn <= first.turn + 2 &&
      onTopic(c) &&
      contentStems(c.words).filter((x) => !seen.has(x)).length >= 2,
  );
  const more = second && customerReport(requestSpan(clauses, second));
  if (second && more && carriesContent(more)) {
    out.push({ kind: "request", text: `${who} also ${more}.`, evidence: [second.turn] });
  }
  return out;
}

/** The customer's first reply after a turn: their first clause with an act other than "other". */
function replyTo(clauses: readonly ClauseInfo[], turn: number): ClauseInfo | undefined {
  const after = clauses.filter((c) => c.turn > turn);
  const firstCustomerTurn = after.find((c) => c.role === "customer")?.turn;
  if (firstCustomerTurn === undefined || firstCustomerTurn > turn + 2) return undefined;
  const theirs = after.filter((c) => c.turn === firstCustomerTurn && c.role === "customer");
  return theirs.find((c) => c.act === "accept" || c.act === "decline") ?? theirs[0];
}

interface Acts {
  statements: Statement[];
  /** clauses that count as done or arranged (not declined) */
  actions: ClauseInfo[];
}

/** The words the summary's own sentence frames bring: they say nothing about the call. */
const FRAME_WORDS = new Set(
  [
    "customer",
    "caller",
    "agent",
    "company",
    "said",
    "asked",
    "also",
    "offered",
    "declined",
    "accepted",
  ].flatMap((w) => contentStems(sentences(w).flat())),
);

/** Whether a statement says something checkable: a content word beyond its frame ("the one fifty" has none). */
function carriesContent(text: string): boolean {
  return contentStems(sentences(text).flat()).some((s) => !FRAME_WORDS.has(s));
}

const ELLIPSIS_DETERMINERS = new Set(["the", "a", "an", "that", "this", "your"]);

/**
 * A noun phrase whose head was left out ("shall I put the one fifty through", "the cheaper one")
 * completed from where it was said in full: the same run of numbers and adjectives followed by a noun
 * in an earlier clause of the speaker ("we've got a one fifty package") → "the one fifty package".
 * The clause unchanged when there is no such phrase or no source for it.
 */
function completeEllipsis(words: readonly Word[], sources: readonly (readonly Word[])[]): Word[] {
  const modifier = (w: Word | undefined) =>
    w !== undefined && (w.pos === "NUM" || w.pos === "ADJ") && w.lower !== "more" && w.lower !== "less";
  for (let i = 1; i < words.length; i++) {
    if (!ELLIPSIS_DETERMINERS.has(words[i - 1]!.lower) || !modifier(words[i])) continue;
    let j = i;
    while (modifier(words[j])) j++;
    if (words[j] && (words[j]!.pos === "NOUN" || words[j]!.pos === "PROPN")) continue;
    const run = words.slice(i, j).map((w) => w.lower);
    for (const src of sources) {
      const ws = src.filter((w) => w.type !== "punctuation");
      for (let k = 0; k + run.length < ws.length; k++) {
        if (!run.every((x, n) => ws[k + n]!.lower === x)) continue;
        // the noun or compound noun after it: "a one fifty package", "a twenty gig bundle"
        let h = k + run.length;
        while (h < ws.length && h < k + run.length + 3 && ws[h]!.pos === "NOUN") h++;
        const head = ws.slice(k + run.length, h);
        if (!head.some((w) => !w.stop && /[a-z]/.test(w.lower))) continue;
        return [...words.slice(0, j), ...head.map((w) => ({ ...w, pre: " " })), ...words.slice(j)];
      }
    }
  }
  return [...words];
}

function actionStatements(clauses: readonly ClauseInfo[]): Acts {
  const agent = clauses.filter((c) => c.role === "agent");
  const picked: { c: ClauseInfo; st: Statement; rank: number }[] = [];
  const actions: ClauseInfo[] = [];
  const who = "The agent";
  for (const c of agent) {
    const reply = replyTo(clauses, c.turn);
    const lastOfTurn = agent.filter((x) => x.turn === c.turn).at(-1) === c;
    const declined = reply?.act === "decline" && lastOfTurn;
    if (c.act === "offer" || (declined && ACTION_ACTS.has(c.act))) {
      // what the offer refers to, said in full earlier: this turn's previous clauses, then the
      // agent's earlier turns, nearest first
      const sources = agent
        .filter((x) => x.turn <= c.turn && x.turn >= c.turn - 4 && x !== c)
        .filter((x) => x.turn < c.turn || clauses.indexOf(x) < clauses.indexOf(c))
        .reverse()
        .map((x) => x.words);
      const vp = offeredVerbPhrase(completeEllipsis(c.words, [c.words, ...sources]));
      // the offer must say what was offered in words of the call, or it is left out
      if (!vp || contentStems(c.words).length < 2 || !carriesContent(vp)) continue;
      // an accepted offer the agent then carried out is reported as that action instead
      const accepted =
        reply?.act === "accept" &&
        !agent.some((x) => x.turn > c.turn && x.turn <= c.turn + 3 && ACTION_ACTS.has(x.act));
      if (reply && (reply.act === "decline" || accepted)) {
        const declinedOffer = reply.act === "decline";
        picked.push({
          c,
          rank: declinedOffer ? 1 : 2,
          st: {
            kind: declinedOffer ? "declined" : "offer",
            text: `${who} ${vp}, ${declinedOffer ? "but the customer declined" : "and the customer accepted"}.`,
            evidence: [c.turn, reply.turn],
          },
        });
      }
      continue;
    }
    if (c.act === "instruct") {
      const vp = instructionPhrase(c.words);
      if (vp && anyStems(c.words, 2) && carriesContent(vp)) {
        picked.push({ c, rank: 3, st: { kind: "action", text: `${who} ${vp}.`, evidence: [c.turn] } });
      }
      continue;
    }
    if (!ACTION_ACTS.has(c.act)) continue;
    actions.push(c);
    const vp = agentVerbPhrase(c.words);
    // "yes, the same card" answers a question; it is not worth a sentence of its own
    if (!vp || !anyStems(c.words, c.words.some(isVerbal) ? 2 : 3) || !carriesContent(vp)) continue;
    picked.push({
      c,
      rank: DONE_ACTS.has(c.act) ? 0 : c.act === "escalate" ? 1 : 2,
      st: { kind: "action", text: `${who} ${vp}.`, evidence: [c.turn] },
    });
  }
  const kept = [...picked]
    .sort((a, b) => a.rank - b.rank || a.c.turn - b.c.turn)
    .slice(0, MAX_ACTIONS)
    .sort((a, b) => a.c.turn - b.c.turn || clauses.indexOf(a.c) - clauses.indexOf(b.c));
  return { statements: kept.map((k) => k.st), actions };
}

const OUTCOME_TEXT: Record<OutcomeCode, string> = {
  cancelled: "service cancelled",
  refund_issued: "refund issued",
  escalated: "escalated",
  follow_up_required: "pending follow-up",
  resolved: "resolved",
  unresolved: "unresolved",
};

interface Outcome {
  codes: OutcomeCode[];
  evidence: Map<OutcomeCode, number[]>;
  unhappy: number[];
}

/** Who may carry out future work: a person or team ("we'll call", "an engineer will visit"). */
const WORKERS = new Set(["i", "we", "they", "he", "she", "someone", "somebody"]);

/**
 * Whether a follow-up clause commits someone to more work ("we'll write to you", "the bank will send
 * you a letter") rather than telling what a finished deed brings ("it'll arrive tomorrow", "you'll get
 * the new statement by email", "usually three to five working days").
 */
function commitsToWork(words: readonly Word[]): boolean {
  return words.some((w, i) => {
    if (WORKERS.has(w.lower)) return true;
    // a noun subject doing something: "the bank will send", not "the refund will be back"
    const aux = words[i + 1];
    const verb = words[i + 2];
    return (
      (w.pos === "NOUN" || w.pos === "PROPN") &&
      aux?.pos === "AUX" &&
      MODALS.has(aux.lower) &&
      verb?.pos === "VERB" &&
      verb.lemma !== "be"
    );
  });
}

const verbLemmas = (words: readonly Word[]) =>
  new Set(words.filter((w) => w.pos === "VERB" && !w.stop).map((w) => w.lemma));

/** Whether two clauses share a content verb ("I'll update it" … "that's updated"). */
function sharesVerb(a: readonly Word[], b: readonly Word[]): boolean {
  const vb = verbLemmas(b);
  return [...verbLemmas(a)].some((v) => vb.has(v));
}

function outcomeOf(
  turns: readonly Turn[],
  clauses: readonly ClauseInfo[],
  actions: readonly ClauseInfo[],
): Outcome {
  const evidence = new Map<OutcomeCode, number[]>();
  const add = (code: OutcomeCode, cs: readonly ClauseInfo[]) =>
    evidence.set(code, [...new Set([...(evidence.get(code) ?? []), ...cs.map((c) => c.turn)])]);
  const of = (act: string) => actions.filter((c) => c.act === act || c.also?.includes(act));
  const refund = of("done_refund");
  const cancel = of("done_cancel");
  const escalate = of("escalate");
  const done = actions.filter((c) => DONE_ACTS.has(c.act));
  const at = (c: ClauseInfo) => clauses.indexOf(c);
  const followUp = of("follow_up").filter(
    (f) =>
      // "I've refunded it, it should be back in 3 to 5 days": the promise is the refund's, not new work
      !done.some((d) => d.turn === f.turn && at(d) < at(f)) &&
      // "… you'll get the corrected bill by email" after the rebill: what the deed brings, not new work
      !(done.some((d) => at(d) < at(f)) && !commitsToWork(f.words)) &&
      // "I'll update the card" … "done, that's updated": a promise kept on the call
      !done.some((d) => d.turn > f.turn && sharesVerb(f.words, d.words)),
  );
  const mid = turns.length ? turns[Math.floor(turns.length / 2)]!.index : 0;
  const lateCustomer = clauses.filter((c) => c.role === "customer" && c.turn >= mid);
  const resolvedCue = lateCustomer.filter((c) => c.act === "resolved" && c.p >= CUE_P);
  const pending = escalate.length > 0 || followUp.length > 0;
  // with work still to come the call is pending, however the customer feels about it; and a
  // complaint the agent then dealt with, to the customer's satisfaction, no longer stands
  const unresolvedCue = pending
    ? []
    : lateCustomer.filter(
        (c) =>
          c.act === "unresolved" &&
          c.p >= CUE_P &&
          !done.some((d) => d.turn > c.turn && resolvedCue.some((r) => r.turn > d.turn)),
      );
  const refused = clauses.filter((c) => c.role === "agent" && c.act === "refuse");
  const customerTurns = turns.filter((t) => t.role !== "agent");
  const endTurns = customerTurns.slice(-2);
  const endMood = sentimentOf(endTurns);

  const codes: OutcomeCode[] = [];
  if (cancel.length) add("cancelled", cancel);
  if (refund.length) add("refund_issued", refund);
  if (escalate.length) add("escalated", escalate);
  if (followUp.length) add("follow_up_required", followUp);
  const resolved =
    !escalate.length &&
    !unresolvedCue.length &&
    !followUp.length &&
    endMood.polarity !== "negative" &&
    (resolvedCue.length > 0 || done.length > 0);
  if (resolved) add("resolved", [...done, ...resolvedCue]);
  const unresolved =
    unresolvedCue.length > 0 ||
    (!resolved &&
      !escalate.length &&
      !followUp.length &&
      !refund.length &&
      !cancel.length &&
      (endMood.score <= -1 || (refused.length > 0 && !done.length)));
  if (unresolved) {
    const why = unresolvedCue.length ? unresolvedCue : refused;
    if (why.length) add("unresolved", why);
    else
      evidence.set(
        "unresolved",
        endTurns.map((t) => t.index),
      );
  }
  for (const code of OUTCOME_ORDER) if (evidence.has(code)) codes.push(code);
  const mood = sentimentOf(customerTurns);
  const unhappy =
    (mood.polarity === "negative" || mood.frustrated) && !codes.includes("resolved")
      ? customerTurns.filter((t) => sentimentOf([t]).score < 0).map((t) => t.index)
      : [];
  return { codes, evidence, unhappy };
}

function outcomeStatement(o: Outcome, topic: Topic): Statement {
  // a refund or a cancellation already says the request was settled; "resolved" would repeat it
  const settled = o.codes.includes("refund_issued") || o.codes.includes("cancelled");
  const shown = settled ? o.codes.filter((c) => c !== "resolved") : o.codes;
  const parts = shown.map((c) =>
    c === "cancelled" && topic.id === "orders_delivery" ? "order cancelled" : OUTCOME_TEXT[c],
  );
  const evidence = shown.flatMap((c) => o.evidence.get(c) ?? []);
  if (o.unhappy.length) {
    parts.push("customer unhappy");
    evidence.push(...o.unhappy);
  }
  if (!parts.length) return { kind: "outcome", text: "Outcome: not confirmed on the call.", evidence: [] };
  return {
    kind: "outcome",
    text: `Outcome: ${parts.join(", ")}.`,
    evidence: [...new Set(evidence)].sort((a, b) => a - b),
  };
}

function buildSection(
  topic: Topic,
  matched: boolean,
  turns: Turn[],
  clauses: readonly ClauseInfo[],
  tt: ReadonlyMap<number, TurnTopic>,
  anonymous: boolean,
): Section {
  const who = anonymous ? "The caller" : "The customer";
  const own = new Set(turns.map((t) => t.index));
  const cs = clauses.filter((c) => own.has(c.turn));
  const requests = requestStatements(cs, tt, topic, who);
  const acts = actionStatements(cs);
  const outcome = outcomeOf(turns, cs, acts.actions);
  const statements = [...requests, ...acts.statements, outcomeStatement(outcome, topic)].map((s) => ({
    ...s,
    text: sentenceCase(s.text),
  }));
  return { topic, matched, turns, statements, outcomes: outcome.codes };
}

export function analyseTurns(turns: Turn[], tax: Taxonomy): CallAnalysis {
  const anonymous = turns.every((t) => t.role === "unknown");
  if (turns.length === 0) return { turns, clauses: [], sections: [], outcomes: [], anonymous };
  const m = modelsFor(tax);
  const clauses = classifyClauses(turns, m);
  const tt: TurnTopic[] = turns.map((turn) => {
    const words = sentences(turn.text).flat();
    const scored = m.topic.scoreWords(words);
    const other = scored?.probs[OTHER] ?? 1;
    let role: Role = turn.role;
    if (role === "unknown") {
      const own = clauses.filter((c) => c.turn === turn.index && c.act !== OTHER);
      const agent = own.filter((c) => c.role === "agent").length;
      if (own.length)
        role = agent * 2 > own.length ? "agent" : agent * 2 < own.length ? "customer" : "unknown";
    }
    return {
      turn,
      role,
      words,
      scored,
      topical: !!scored && scored.label !== OTHER && other <= MAX_OTHER,
      content: contentStems(trimFillers(words)).length,
    };
  });
  const byTurn = new Map(tt.map((x) => [x.turn.index, x]));
  const cut = subjectChange(tt, tax);
  const parts = cut > 0 ? [tt.slice(0, cut), tt.slice(cut)] : [tt];
  let labelled = parts.map((p) => ({ ...topicOfTurns(p, tax), tts: p }));
  if (labelled.length === 2 && labelled[0]!.topic.id === labelled[1]!.topic.id) {
    labelled = [{ ...topicOfTurns(tt, tax), tts: tt }];
  }
  const sections = labelled.map((l) =>
    buildSection(
      l.topic,
      l.matched,
      l.tts.map((x) => x.turn),
      clauses,
      byTurn,
      anonymous,
    ),
  );
  sections.sort((a, b) => (a === sections[0] ? -1 : b === sections[0] ? 1 : 0));
  const whole = actionStatements(clauses);
  const outcomes = outcomeOf(turns, clauses, whole.actions).codes;
  return { turns, clauses, sections, outcomes, anonymous };
}

export function analyseSource(src: SummarySource, tax: Taxonomy): CallAnalysis {
  return analyseTurns(toTurns(src), tax);
}
