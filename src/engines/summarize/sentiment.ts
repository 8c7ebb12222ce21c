/**
 * The customer's sentiment: a small lexicon with negation handling ("not happy" counts against,
 * "not bad" only mildly for). Pure.
 */
import { compilePhrase, findPhrase, isNegated, type Turn } from "./text.ts";

export type Polarity = "positive" | "neutral" | "negative";

export interface Sentiment {
  polarity: Polarity;
  frustrated: boolean;
  score: number;
}

const POSITIVE_WORDS: Record<string, number> = {
  happy: 1,
  great: 1,
  brilliant: 1,
  perfect: 1,
  excellent: 1,
  fantastic: 1,
  wonderful: 1,
  lovely: 1,
  pleased: 1,
  appreciate: 1,
  helpful: 1,
  amazing: 1,
  glad: 1,
  awesome: 1,
  good: 0.5,
  sorted: 0.5,
  // "thank you" closes nearly every call, so it is politeness rather than praise.
  thanks: 0.3,
  thank: 0.3,
};

const NEGATIVE_WORDS: Record<string, number> = {
  angry: 1.5,
  annoyed: 1.5,
  annoying: 1.5,
  frustrated: 2,
  frustrating: 2,
  ridiculous: 2,
  terrible: 1.5,
  awful: 1.5,
  unacceptable: 2,
  disappointed: 1.5,
  disappointing: 1.5,
  useless: 1.5,
  worst: 1.5,
  rude: 1,
  upset: 1.5,
  "fed up": 2,
  joke: 1,
  disgusting: 2,
  horrible: 1.5,
  bad: 1,
  furious: 2,
  "sick of": 2,
  shocking: 1.5,
  appalling: 2,
  pathetic: 2,
  "waste of time": 2,
  unhappy: 1.5,
  poor: 1,
  nightmare: 2,
  "third time": 1.5,
  "second time": 1,
};

/** Words that on their own mark a frustrated (not just unhappy) customer. */
const FRUSTRATION_WORDS = new Set([
  "frustrated",
  "frustrating",
  "ridiculous",
  "unacceptable",
  "fed up",
  "furious",
  "sick of",
  "third time",
  "joke",
  "waste of time",
  "pathetic",
  "nightmare",
  "angry",
]);

const SENTIMENT = [
  ...Object.entries(POSITIVE_WORDS).map(([w, weight]) => ({ w, p: compilePhrase(w), weight })),
  ...Object.entries(NEGATIVE_WORDS).map(([w, weight]) => ({ w, p: compilePhrase(w), weight: -weight })),
];

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
