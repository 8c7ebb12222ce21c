/**
 * Text plumbing shared by the embedded summarizer and tagger: turns from a transcript or plain text,
 * a light stemmer (so "charged", "charges" and "charge" meet), phrase matching and negation. Pure.
 */
import type { TranscriptItem } from "../../core/payloads.ts";
import type { SummarySource } from "./types.ts";

export type Role = "agent" | "customer" | "unknown";

export interface Turn {
  index: number;
  role: Role;
  /** the utterance as transcribed */
  text: string;
  /** lowercase words, apostrophes kept */
  raw: string[];
  stems: string[];
}

/** A phrase compiled for matching: its exact words, and their stems for inflection-blind matching. */
export interface Phrase {
  raw: string[];
  stems: string[];
}

export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019`]/g, "'")
    .replace(/[^a-z0-9']+/g, " ")
    .split(" ")
    .map((w) => w.replace(/^'+|'+$/g, ""))
    .filter((w) => w.length > 0);
}

export function stem(word: string): string {
  let s = word.replace(/'s$/, "");
  if (s.length <= 3) return s;
  if (s.endsWith("ies") && s.length > 4) s = `${s.slice(0, -3)}y`;
  else if (/(ch|sh|ss|x|z)es$/.test(s)) s = s.slice(0, -2);
  else if (s.endsWith("s") && !/(ss|us|is)$/.test(s)) s = s.slice(0, -1);
  if (s.endsWith("ing") && s.length > 5) s = s.slice(0, -3);
  else if (s.endsWith("ed") && s.length > 4) s = s.slice(0, -2);
  if (s.endsWith("e") && s.length > 3) s = s.slice(0, -1);
  if (s.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(s)) s = s.slice(0, -1);
  return s;
}

export function compilePhrase(text: string): Phrase {
  const raw = tokenize(text);
  return { raw, stems: raw.map(stem) };
}

/** Start indices of every occurrence of `words` in `tokens` (pass stems with stems, raw with raw). */
export function findPhrase(tokens: readonly string[], words: readonly string[]): number[] {
  const hits: number[] = [];
  if (words.length === 0) return hits;
  outer: for (let i = 0; i + words.length <= tokens.length; i++) {
    for (let j = 0; j < words.length; j++) if (tokens[i + j] !== words[j]) continue outer;
    hits.push(i);
  }
  return hits;
}

const NEGATORS = new Set([
  "not",
  "never",
  "cannot",
  "unable",
  "nothing",
  "without",
  "cant",
  "dont",
  "wont",
  "didnt",
  "isnt",
  "wasnt",
  "havent",
  "hasnt",
  "couldnt",
]);
/** A new subject starts a new clause: "it was never processed i've processed it now". */
const CLAUSE_BREAKS = new Set(
  "but and so because although though however i i've i'll i'm i'd we we've we'll you you've you'll they he she".split(
    " ",
  ),
);

/**
 * True when a negator sits in the three words before `index` within the same clause. A bare "no"
 * only counts right before the word: "no that's perfect" answers a question, "no good" negates.
 */
export function isNegated(raw: readonly string[], index: number): boolean {
  if (raw[index - 1] === "no") return true;
  for (let i = index - 1; i >= 0 && i >= index - 3; i--) {
    const w = raw[i]!;
    if (CLAUSE_BREAKS.has(w)) return false;
    if (NEGATORS.has(w) || w.endsWith("n't")) return true;
  }
  return false;
}

export function makeTurn(index: number, role: Role, text: string): Turn {
  const raw = tokenize(text);
  return { index, role, text: text.trim(), raw, stems: raw.map(stem) };
}

const AGENT_ALIAS = /agent|advisor|adviser|operator|rep\b|representative|staff|support/i;
const CUSTOMER_ALIAS = /user|customer|caller|client|consumer/i;

function roleOf(item: TranscriptItem, twoSpeakers: boolean): Role {
  if (AGENT_ALIAS.test(item.speaker_alias)) return "agent";
  if (CUSTOMER_ALIAS.test(item.speaker_alias)) return "customer";
  // Two-channel calls put the agent on channel 0 and the customer on channel 1.
  if (twoSpeakers) return item.speaker_id === 0 ? "agent" : item.speaker_id === 1 ? "customer" : "unknown";
  return "unknown";
}

function turnsFromTranscript(items: readonly TranscriptItem[]): Turn[] {
  const sorted = [...items]
    .filter((it) => typeof it.text === "string" && it.text.trim() !== "")
    .sort((a, b) => a.time_start - b.time_start || a.speaker_id - b.speaker_id);
  const ids = new Set(sorted.map((it) => it.speaker_id));
  const twoSpeakers = ids.size === 2 && ids.has(0) && ids.has(1);
  // Each item stays its own turn: ASR segments are utterances, and joining them would let a
  // negation in one leak into the next.
  return sorted
    .map((it) => ({ role: roleOf(it, twoSpeakers), raw: tokenize(it.text), text: it.text }))
    .filter((t) => t.raw.length > 0)
    .map((t, i) => makeTurn(i, t.role, t.text));
}

const LABELLED_LINE =
  /^\s*(agent|advisor|operator|rep|representative|customer|user|caller|client|speaker\s*\d+)\s*[:\-–]\s*/i;

const CHUNK_BREAKS = new Set(["and", "but", "so", "then", "because", "okay", "ok", "right"]);

/** Unpunctuated ASR text has no sentences; cut it into clause-sized pieces at conjunctions. */
function chunkWords(words: string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const w of words) {
    if (cur.length >= 25 || (cur.length >= 12 && CHUNK_BREAKS.has(w))) {
      out.push(cur);
      cur = [];
    }
    cur.push(w);
  }
  if (cur.length) out.push(cur);
  return out;
}

function turnsFromText(text: string): Turn[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const labelled = lines.filter((l) => LABELLED_LINE.test(l)).length;
  if (labelled > 0 && labelled >= lines.length / 2) {
    const turns: Turn[] = [];
    let role: Role = "unknown";
    for (const line of lines) {
      const m = LABELLED_LINE.exec(line);
      let body = line;
      if (m) {
        const who = m[1]!.toLowerCase();
        role = /^(agent|advisor|operator|rep|representative)$/.test(who)
          ? "agent"
          : /^speaker\s*0$/.test(who)
            ? "agent"
            : /^speaker/.test(who) && !/^speaker\s*1$/.test(who)
              ? "unknown"
              : "customer";
        body = line.slice(m[0].length);
      }
      const t = makeTurn(turns.length, role, body);
      if (t.raw.length) turns.push(t);
    }
    return turns;
  }
  const turns: Turn[] = [];
  for (const sentence of text.split(/[.!?;\n]+/)) {
    for (const chunk of chunkWords(tokenize(sentence))) {
      turns.push(makeTurn(turns.length, "unknown", chunk.join(" ")));
    }
  }
  return turns;
}

export function toTurns(src: SummarySource): Turn[] {
  if ("transcript" in src && Array.isArray(src.transcript)) return turnsFromTranscript(src.transcript);
  if ("text" in src && typeof src.text === "string") return turnsFromText(src.text);
  return [];
}

const SHIFT: Record<string, string> = {
  i: "they",
  "i'm": "they are",
  im: "they are",
  "i've": "they have",
  "i'd": "they would",
  "i'll": "they will",
  me: "them",
  my: "their",
  mine: "theirs",
  myself: "themselves",
  we: "they",
  "we're": "they are",
  "we've": "they have",
  our: "their",
  us: "them",
  am: "are",
};

/** First person → third person, so a customer's words can be reported ("my bill" → "their bill"). */
export function thirdPerson(words: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const prev = words[i - 1];
    if (w === "was" && (prev === "i" || prev === "we")) out.push("were");
    else out.push(SHIFT[w] ?? w);
  }
  return out.join(" ");
}
