/**
 * Linguistic plumbing for the embedded summarizer and tagger, on wink-nlp (English lite model):
 * tokens with stems, lemmas, part of speech and negation scope; utterances cut into clauses (ASR
 * text runs sentences together: "let me check okay i can see two charges i've refunded one");
 * classifier features; and the light rewrites that report an utterance in the third person.
 */
import winkNLP, { type ItemSentence } from "wink-nlp";
import model from "wink-eng-lite-web-model";

const nlp = winkNLP(model, ["sbd", "negation", "pos"]);
const its = nlp.its;

export interface Word {
  /** as written */
  value: string;
  lower: string;
  stem: string;
  lemma: string;
  pos: string;
  /** inside a negation's scope ("can't refund that" → refund, that) */
  neg: boolean;
  stop: boolean;
  /** word, number, punctuation, currency, … */
  type: string;
  /** spaces before the token in the source ("" inside "I've") */
  pre: string;
}

export interface Clause {
  words: Word[];
}

/** The sentences of a text as tokens (wink's sentence boundaries). */
export function sentences(text: string): Word[][] {
  // wink splits "I've" but neither "i've" nor "I'm": ASR writes the pronoun in lower case
  const doc = nlp.readDoc(
    text.replace(/\b[iI](?:'|\u2019)m\b/g, "I am").replace(/\bi(?=(?:'|\u2019)(?:ve|ll|d)\b)/g, "I"),
  );
  const out: Word[][] = [];
  doc.sentences().each((s: ItemSentence) => {
    const t = s.tokens();
    const value = t.out(its.value) as string[];
    // wink's typings declare stem and lemma with a third parameter `out` does not accept
    const stem = t.out(its.stem as unknown as typeof its.value) as string[];
    const lemma = t.out(its.lemma as unknown as typeof its.value) as string[];
    const pos = t.out(its.pos) as string[];
    const neg = t.out(its.negationFlag) as unknown as boolean[];
    const stop = t.out(its.stopWordFlag) as unknown as boolean[];
    const type = t.out(its.type) as string[];
    const pre = t.out(its.precedingSpaces) as string[];
    out.push(
      value.map((v, i) => ({
        value: v,
        lower: v.toLowerCase(),
        stem: stem[i]!.toLowerCase(),
        lemma: lemma[i]!.toLowerCase(),
        pos: pos[i]!,
        neg: neg[i]!,
        stop: stop[i]!,
        type: type[i]!,
        pre: pre[i]!,
      })),
    );
  });
  return out;
}

const SUBJECTS = new Set(["i", "we", "it", "they", "he", "she", "there", "you", "that", "this"]);
const FIRST = new Set(["i", "we"]);
const CONTRACTED_AUX = new Set(["'ve", "'ll", "'m", "'d", "'s", "'re"]);
/** Words that open a new clause when a subject follows ("okay i can see …", "and it should …"). */
const OPENERS = new Set([
  "okay",
  "ok",
  "right",
  "alright",
  "so",
  "but",
  "and",
  "then",
  "also",
  "because",
  "anyway",
  "actually",
  "unfortunately",
  "great",
  "lovely",
  "perfect",
  "done",
  "sure",
  "thanks",
]);
const MODAL = new Set(["will", "should", "can", "could", "would", "am", "was", "need", "must"]);
const NO_SPLIT_AFTER = new Set([
  "that",
  "if",
  "when",
  "whether",
  "because",
  "as",
  "than",
  "since",
  "until",
  "while",
  "whilst",
]);
const MIN_CLAUSE = 3;
const MAX_CLAUSE = 28;

const isWord = (w: Word | undefined) => w !== undefined && w.type !== "punctuation";
const startsClause = (ws: readonly Word[], i: number): boolean => {
  const w = ws[i];
  const next = ws[i + 1];
  if (!w || !next || !SUBJECTS.has(w.lower)) return false;
  return next.pos === "AUX" || next.pos === "VERB" || CONTRACTED_AUX.has(next.lower) || next.pos === "ADV";
};

const DETERMINERS = new Set(["your", "my", "our", "the", "their", "his", "her"]);
/** "… your cancellation | your final bill will come …": a noun phrase followed by a modal. */
function nounSubject(ws: readonly Word[], i: number): boolean {
  const prev = ws[i - 1];
  if (!prev || !/^(NOUN|VERB|ADJ|ADV|NUM)$/.test(prev.pos)) return false;
  return nounPhraseThenVerb(ws, i);
}

/**
 * A determiner, a short noun phrase and a finite verb: "your final bill will …", "the lights are …".
 * After a conjunction ("and the lights are off") any finite "be"/"have" counts; elsewhere only a
 * modal, "is" or "has" ("I can see | the payment was declined" stays one clause).
 */
function nounPhraseThenVerb(ws: readonly Word[], i: number, afterConjunction = false): boolean {
  if (!ws[i] || !DETERMINERS.has(ws[i]!.lower)) return false;
  const finite = afterConjunction ? /^(is|has|are|was|were|have)$/ : /^(is|has)$/;
  for (let k = i + 1; k < i + 4 && k < ws.length; k++) {
    const w = ws[k]!;
    if (w.pos === "AUX" && (MODAL.has(w.lower) || finite.test(w.lower))) return k > i + 1;
    if (w.pos === "VERB" && /[^s]s$/.test(w.lower) && k > i + 1) return true;
    if (w.pos !== "NOUN" && w.pos !== "ADJ" && w.pos !== "PROPN") return false;
  }
  return false;
}

/** Words that subordinate the clause after them: a clause never ends on one ("… today once"). */
const SUBORDINATORS = [
  ["once"],
  ["if"],
  ["when"],
  ["whenever"],
  ["unless"],
  ["until"],
  ["after"],
  ["before"],
  ["as", "soon", "as"],
];
/** "once" is an adverb after these: "at once", "more than once", "just once" */
const ONCE_ADVERB = new Set(["at", "than", "just", "only", "more"]);

/** The subordinator a clause ends on, if any, with nothing after it ("…today once"), else []. */
function trailingSubordinator(cur: readonly Word[]): Word[] {
  const spoken = cur.filter(isWord);
  for (const s of SUBORDINATORS) {
    if (spoken.length <= s.length) continue;
    const tail = spoken.slice(-s.length);
    if (!tail.every((w, i) => w.lower === s[i])) continue;
    if (s[0] === "once" && ONCE_ADVERB.has(spoken[spoken.length - 2]!.lower)) continue;
    return cur.slice(cur.indexOf(tail[0]!));
  }
  return [];
}

/** One sentence's tokens cut into clauses. */
function splitSentence(ws: readonly Word[]): Word[][] {
  const out: Word[][] = [];
  let cur: Word[] = [];
  const words = () => cur.filter(isWord).length;
  const flush = () => {
    // a subordinator opens the clause after it: "… to them today | once they pay us it goes back"
    const carry = trailingSubordinator(cur);
    const kept = cur.slice(0, cur.length - carry.length);
    if (kept.some(isWord)) out.push(kept);
    cur = kept.some(isWord) ? carry : [];
  };
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    const prev = ws[i - 1];
    if (w.type === "punctuation" && /^[;:,–—-]$/.test(w.value)) {
      // a comma only ends a clause when a new one clearly starts after it
      if (w.value !== "," || (ws[i + 1] && (OPENERS.has(ws[i + 1]!.lower) || startsClause(ws, i + 1)))) {
        if (words() >= MIN_CLAUSE) {
          flush();
          continue;
        }
      }
      cur.push(w);
      continue;
    }
    if (words() >= MIN_CLAUSE) {
      const opener =
        OPENERS.has(w.lower) &&
        (startsClause(ws, i + 1) ||
          OPENERS.has(ws[i + 1]?.lower ?? "") ||
          nounPhraseThenVerb(ws, i + 1, true));
      const subject =
        startsClause(ws, i) &&
        prev !== undefined &&
        !NO_SPLIT_AFTER.has(prev.lower) &&
        !OPENERS.has(prev.lower) &&
        (FIRST.has(w.lower) || w.lower === "it" || w.lower === "there" || w.lower === "you"
          ? prev.pos !== "AUX" &&
            prev.pos !== "ADP" &&
            prev.pos !== "PART" &&
            (CONTRACTED_AUX.has(ws[i + 1]!.lower) ||
              (prev.pos !== "VERB" && ws[i + 1]!.pos === "AUX" && MODAL.has(ws[i + 1]!.lower)) ||
              (prev.pos !== "VERB" && /^ha(ve|s)$/.test(ws[i + 1]!.lower) && ws[i + 2]?.pos === "VERB") ||
              (prev.pos !== "VERB" && FIRST.has(w.lower) && ws[i + 1]!.pos === "VERB"))
          : prev.pos === "NOUN" || prev.pos === "ADV" || prev.pos === "NUM");
      if (opener || subject || nounSubject(ws, i) || words() >= MAX_CLAUSE) flush();
    }
    cur.push(w);
  }
  flush();
  return out;
}

/** An utterance as clauses, in order. */
export function clausesOf(text: string): Clause[] {
  return sentences(text).flatMap((s) => splitSentence(s).map((words) => ({ words })));
}

export function render(words: readonly Word[]): string {
  return words
    .map((w, i) => (i === 0 ? w.value : `${w.pre}${w.value}`))
    .join("")
    .trim();
}

/** Content stems: what a statement says, without function words. */
export function contentStems(words: readonly Word[]): string[] {
  return words.filter((w) => w.type === "word" && !w.stop && /[a-z]/.test(w.lower)).map((w) => w.stem);
}

/** Topic features: content stems and their adjacent pairs. */
export function topicFeatures(words: readonly Word[]): string[] {
  const stems = contentStems(words);
  const out = [...stems];
  for (let i = 0; i + 1 < stems.length; i++) out.push(`${stems[i]}_${stems[i + 1]}`);
  return out;
}

const NEGATORS = new Set(["not", "n't", "never", "no", "cannot", "nothing", "nobody", "neither", "nor"]);
/** "no problem, I've cancelled it": a courtesy, not a negation of what follows */
const COURTESY_AFTER_NO = new Set(["problem", "problems", "worries", "worry", "bother", "trouble"]);

/**
 * Which words are negated: inside wink's negation scope and after a negator of the same clause
 * (wink's scope runs to the next punctuation, which ASR text lacks); "no problem" negates nothing.
 */
export function negatedFlags(words: readonly Word[]): boolean[] {
  let negator = false;
  return words.map((w, i) => {
    const neg = negator && w.neg;
    if (NEGATORS.has(w.lower) && !(w.lower === "no" && COURTESY_AFTER_NO.has(words[i + 1]?.lower ?? "")))
      negator = true;
    return neg;
  });
}

/**
 * Dialogue-act features: every lemma (function words matter here: "would you like me to", "I've"),
 * negated ones marked, adjacent pairs, the clause's opening and whether it asks a question.
 */
export function actFeatures(words: readonly Word[], question = false): string[] {
  const spoken = words.filter((w) => w.type !== "punctuation");
  const neg = negatedFlags(spoken);
  const lemmas = spoken.map((w, i) =>
    w.type === "number" ? "<num>" : w.type === "currency" ? "<money>" : `${neg[i] ? "not_" : ""}${w.lemma}`,
  );
  const out = [...lemmas];
  for (let i = 0; i + 1 < lemmas.length; i++) out.push(`${lemmas[i]}_${lemmas[i + 1]}`);
  if (lemmas.length) out.push(`^${lemmas[0]}`);
  if (lemmas.length > 1) out.push(`^${lemmas[0]}_${lemmas[1]}`);
  if (question || words.some((w) => w.value === "?")) out.push("<question>");
  return out;
}

const LEAD_FILLER = new Set([
  "hi",
  "hello",
  "hey",
  "yeah",
  "yes",
  "yep",
  "no",
  "okay",
  "ok",
  "right",
  "alright",
  "so",
  "and",
  "but",
  "well",
  "um",
  "uh",
  "er",
  "erm",
  "oh",
  "great",
  "lovely",
  "perfect",
  "brilliant",
  "sure",
  "thanks",
  "cheers",
  "morning",
  "afternoon",
  "evening",
  "actually",
  "then",
  "look",
  "listen",
  "basically",
  "also",
  "now",
  "done",
  "understood",
  "certainly",
  "absolutely",
  "course",
  "of",
  "problem",
]);
const TRAIL_FILLER = new Set(["please", "thanks", "cheers", "then", "mate", "though", "okay", "ok"]);

/** Openings that carry no content: "thank you", "I understand", "while I'm on", "sorry about that". */
const LEAD_PHRASES = [
  "hi there",
  "hello there",
  "just a quick one",
  "just a quick question",
  "quick question",
  "thank you",
  "good morning",
  "good afternoon",
  "good evening",
  "no problem",
  "of course",
  "i understand",
  "i see",
  "i am sorry about that",
  "i am sorry to hear that",
  "i am really sorry to hear that",
  "i am so sorry",
  "i am sorry",
  "sorry about that",
  "sorry to hear that",
  "i do apologise",
  "i apologise",
  "while i am on",
  "while i'm on",
  "whilst i am on",
  "while i have you",
  "while i've got you",
  "one more thing",
  "another thing",
  "the other thing",
  "before you go",
].map((p) => p.split(" "));

/** How many tokens from `at` spell one of LEAD_PHRASES (wink splits "I've" in two), or 0. */
function leadPhrase(words: readonly Word[], at: number): number {
  for (const p of LEAD_PHRASES) {
    let text = "";
    for (let k = at; k < words.length && k < at + p.length + 2; k++) {
      text += `${k === at || words[k]!.pre === "" ? "" : " "}${words[k]!.lower}`;
      // "hi there" but not "hi, there's a fee": the phrase must not run into a contraction
      const next = words[k + 1];
      const glued = next !== undefined && next.pre === "" && /^['’]|^n't$/.test(next.lower);
      if (text === p.join(" ") && !glued) return k - at + 1;
    }
  }
  return 0;
}

/** Greetings, fillers and sign-offs trimmed from both ends of a clause. */
/** Brackets of a redaction label ("[CREDIT_CARD]") belong to the label, not to the punctuation. */
const labelBracket = (words: readonly Word[], i: number, a: number, b: number): boolean => {
  const v = words[i]?.value;
  if (v === "[") return words.slice(i + 1, b).some((w) => w.value === "]");
  if (v === "]") return words.slice(a, i).some((w) => w.value === "[");
  return false;
};

export function trimFillers(words: readonly Word[]): Word[] {
  let a = 0;
  let b = words.length;
  for (;;) {
    const w = words[a];
    if (!w || a >= b) break;
    const n = leadPhrase(words, a);
    if (n > 0) a += n;
    else if (
      LEAD_FILLER.has(w.lower) ||
      (w.type === "punctuation" && !labelBracket(words, a, a, b)) ||
      w.pos === "INTJ"
    )
      a++;
    else break;
  }
  for (;;) {
    const w = words[b - 1];
    if (!w || b <= a) break;
    const two = `${words[b - 2]?.lower ?? ""} ${w.lower}`;
    if (two === "thank you" || two === "for me") b -= 2;
    else if (TRAIL_FILLER.has(w.lower) || (w.type === "punctuation" && !labelBracket(words, b - 1, a, b)))
      b--;
    else break;
  }
  return words.slice(a, b);
}

type Voice = "customer" | "agent";

/** Word replacements when a customer's (or an agent's) words are reported in the third person. */
const CUSTOMER_SHIFT: Record<string, string> = {
  i: "they",
  me: "them",
  my: "their",
  mine: "theirs",
  myself: "themselves",
  we: "they",
  our: "their",
  ours: "theirs",
  us: "them",
  am: "are",
  "'m": "'re",
  you: "the company",
  your: "the company's",
  yours: "the company's",
};
/** An agent's own words shift the same way; "you" stays the customer's (handled in the loop below). */
const AGENT_SHIFT: Record<string, string> = Object.fromEntries(
  Object.entries(CUSTOMER_SHIFT).filter(([w]) => !["mine", "you", "your", "yours"].includes(w)),
);

/** "you've" → "the customer has": contractions that do not fit a third-person subject. */
const THIRD_AUX: Record<string, string> = { "'ve": " has", "'re": " is", "'m": " is" };

/** Reports words in the third person: "I was charged twice on my bill" → "they were charged twice on their bill". */
export function shiftVoice(words: readonly Word[], voice: Voice): string {
  const table = voice === "customer" ? CUSTOMER_SHIFT : AGENT_SHIFT;
  let seenYou = false;
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const prev = words[i - 1]?.lower;
    let text: string = table[w.lower] ?? w.value;
    if (w.lower === "was" && (prev === "i" || prev === "we")) text = "were";
    if (voice === "agent" && (w.lower === "you" || w.lower === "your" || w.lower === "yours")) {
      const subject = w.lower === "you" && /^(AUX|VERB)$/.test(words[i + 1]?.pos ?? "");
      if (!seenYou) text = w.lower === "you" ? "the customer" : "the customer's";
      else text = w.lower === "you" ? (subject ? "they" : "them") : "their";
      seenYou = true;
      const next = words[i + 1]?.lower ?? "";
      if (w.lower === "you" && THIRD_AUX[next] && text === "the customer") {
        out.push(`${i === 0 ? "" : w.pre}${text}${THIRD_AUX[next]}`);
        i++;
        continue;
      }
    }
    if (i === 0 && w.pos !== "PROPN" && text === w.value && w.lower !== "i") text = w.value.toLowerCase();
    out.push(`${i === 0 ? "" : w.pre}${text}`);
  }
  return out.join("").trim();
}

const PARTICIPLE_TO_PAST: Record<string, string> = {
  taken: "took",
  given: "gave",
  done: "did",
  written: "wrote",
  gone: "went",
  spoken: "spoke",
  shown: "showed",
  seen: "saw",
  begun: "began",
  chosen: "chose",
  broken: "broke",
  forgotten: "forgot",
  frozen: "froze",
  been: "was",
  run: "ran",
  come: "came",
  become: "became",
};

const PERFECT_AUX = new Set(["'ve", "have", "has", "'s"]);
const FUTURE_AUX = new Set(["'ll", "will", "shall"]);
const ADVERBS_BETWEEN = new Set(["just", "now", "also", "already", "gone", "went", "actually", "then"]);

/**
 * An agent clause reported as the agent's deed or words, without the leading "The agent":
 * "I've processed a refund for you" → "processed a refund for the customer";
 * "I'll book an engineer for Thursday" → "said they would book an engineer for Thursday";
 * "it should be with you tomorrow" → "said it should be with the customer tomorrow".
 */
export function agentVerbPhrase(clause: readonly Word[]): string {
  const ws = trimFillers(clause);
  if (ws.length === 0) return "";
  const first = ws[0]!.lower;
  if (FIRST.has(first)) {
    let i = 1;
    let mode: "past" | "future" | "could" | "progressive" | "said" = "said";
    const aux = ws[i]?.lower ?? "";
    if (PERFECT_AUX.has(aux) && (ws[i + 1]?.pos === "VERB" || ADVERBS_BETWEEN.has(ws[i + 1]?.lower ?? ""))) {
      mode = "past";
      i++;
    } else if (FUTURE_AUX.has(aux)) {
      mode = "future";
      i++;
    } else if (aux === "can" || aux === "could") {
      mode = "could";
      i++;
    } else if ((aux === "'m" || aux === "am") && ws[i + 1]?.lower === "going" && ws[i + 2]?.lower === "to") {
      mode = "future";
      i += 3;
    } else if ((aux === "'m" || aux === "am") && ws[i + 1]?.lower.endsWith("ing")) {
      mode = "progressive";
      i++;
    } else if (ws[i]?.pos === "VERB" && /ed$|sent|put|set|made|got|gave|took|did|told|found/.test(aux)) {
      mode = "past";
    }
    while (ws[i] && ADVERBS_BETWEEN.has(ws[i]!.lower) && ws[i + 1]?.pos === "VERB") i++;
    const verb = ws[i];
    if (verb && (verb.pos === "VERB" || mode === "past") && mode !== "said") {
      const rest = shiftVoice(ws.slice(i + 1), "agent");
      const v = verb.lower;
      const head =
        mode === "past"
          ? (PARTICIPLE_TO_PAST[v] ?? v)
          : mode === "future"
            ? `said they would ${v}`
            : mode === "could"
              ? `said they could ${v}`
              : `said they were ${v}`;
      return `${head}${rest ? ` ${rest}` : ""}`;
    }
  }
  return `said ${shiftVoice(ws, "agent")}`;
}

const OFFER_LEADS = [
  ["me", "to"],
  ["i", "can"],
  ["i", "could"],
  ["we", "can"],
  ["we", "could"],
  ["shall", "i"],
  ["should", "i"],
  ["i", "'ll"],
  ["i", "will"],
  ["happy", "to"],
  ["able", "to"],
];

/** What an offer proposes: "would you like me to book an engineer visit?" → "offered to book an engineer visit". */
export function offeredVerbPhrase(clause: readonly Word[]): string | undefined {
  const ws = trimFillers(clause);
  for (let i = 0; i + 2 < ws.length; i++) {
    for (const [a, b] of OFFER_LEADS) {
      if (ws[i]!.lower !== a || ws[i + 1]!.lower !== b) continue;
      let k = i + 2;
      while (
        ws[k] &&
        (ADVERBS_BETWEEN.has(ws[k]!.lower) || ws[k]!.lower === "go" || ws[k]!.lower === "ahead")
      )
        k++;
      const rest = ws.slice(k).filter((w, j, all) => !(j === all.length - 1 && w.lower === "for"));
      const end = rest.findIndex((w) => w.lower === "if" || w.lower === "?" || w.lower === "instead");
      const vp = shiftVoice(end >= 0 ? rest.slice(0, end) : rest, "agent");
      // "offered to offer the customer a discount" → "offered the customer a discount"
      if (/[a-z]/i.test(vp))
        return /^(offer|give) /.test(vp) ? `offered ${vp.slice(vp.indexOf(" ") + 1)}` : `offered to ${vp}`;
    }
  }
  return undefined;
}

/** An instruction reported: "can you restart the router" → "asked the customer to restart the router". */
export function instructionPhrase(clause: readonly Word[]): string | undefined {
  let ws = trimFillers(clause);
  const lead = ws.map((w) => w.lower);
  if (/^(can|could|would|will)$/.test(lead[0] ?? "") && lead[1] === "you") ws = ws.slice(2);
  else if (lead[0] === "if" && lead[1] === "you" && /^(can|could)$/.test(lead[2] ?? "")) ws = ws.slice(3);
  else if (lead[0] === "you" && /^(need|have|should|must)$/.test(lead[1] ?? ""))
    ws = ws.slice(lead[2] === "to" ? 3 : 2);
  else if (lead[0] === "i" && /^(need|want)$/.test(lead[1] ?? "") && lead[2] === "you" && lead[3] === "to")
    ws = ws.slice(4);
  while (ws[0] && /^(please|just|now|first)$/.test(ws[0].lower)) ws = ws.slice(1);
  if (!ws.length || /^(PRON|DET|ADP|PUNCT|SCONJ|CCONJ)$/.test(ws[0]!.pos)) return undefined;
  return `asked the customer to ${shiftVoice(ws, "agent")}`;
}

const QUESTION_AUX = new Set([
  "is",
  "are",
  "was",
  "were",
  "can",
  "could",
  "will",
  "would",
  "do",
  "does",
  "did",
  "should",
]);
const WH = new Set(["what", "when", "where", "why", "how", "which", "who", "whether"]);

/**
 * A customer clause reported: "I was charged twice" → "said they were charged twice";
 * "can you cancel my order" → "asked the company to cancel their order";
 * "is it open on bank holidays" → "asked whether it is open on bank holidays".
 */
export function customerReport(clause: readonly Word[]): string {
  const ws = trimFillers(clause);
  if (ws.length === 0) return "";
  const [a, b] = [ws[0]!.lower, ws[1]?.lower ?? ""];
  if ((a === "can" || a === "could" || a === "would" || a === "will") && b === "you" && ws[2]) {
    return `asked the agent to ${shiftVoice(ws.slice(2), "customer")}`;
  }
  if (WH.has(a)) return `asked ${shiftVoice(ws, "customer")}`;
  if (QUESTION_AUX.has(a) && ws[1] && /^(PRON|DET|NOUN|PROPN)$/.test(ws[1].pos)) {
    let end = 2;
    if (ws[1].pos !== "PRON") while (ws[end] && /^(NOUN|PROPN|NUM)$/.test(ws[end]!.pos)) end++;
    const subject = shiftVoice(ws.slice(1, end), "customer");
    const rest = shiftVoice(ws.slice(end), "customer");
    const verb = a === "do" || a === "does" || a === "did" ? "" : ` ${a === "can" ? "could" : a}`;
    return `asked whether ${subject}${verb} ${rest}`.replace(/\s+/g, " ").trim();
  }
  return `said ${shiftVoice(ws, "customer")}`;
}
