/**
 * Custom vocabulary: terms a caller expects to hear (company and product names, jargon). Pure
 * helpers shared by the API (validation, merging with the server's list) and the recognizers.
 */
import { z } from "zod";

export const MAX_VOCABULARY_TERMS = 100;

const TERM_FORMAT = "vocabulary terms are words or short phrases of letters, digits, spaces, ' . & or -";

export const vocabularyTerm = z
  .string({ error: TERM_FORMAT })
  .trim()
  .min(1, TERM_FORMAT)
  .max(60, "a vocabulary term is at most 60 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}' .&-]*$/u, TERM_FORMAT);

export const vocabularyList = z
  .array(vocabularyTerm, { error: 'vocabulary must be a JSON array of strings, e.g. ["Acme","Northwind"]' })
  .max(MAX_VOCABULARY_TERMS, `vocabulary holds at most ${MAX_VOCABULARY_TERMS} terms`);

/** The server's terms first, then the request's; duplicates (any casing) dropped. */
export function mergeVocabulary(...lists: (readonly string[] | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const term of lists.flatMap((l) => l ?? [])) {
    const key = term.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(term);
  }
  return out;
}

/** The single words of the terms as a recognizer's dictionary spells them (lower case, letters and '). */
export function vocabularyWords(terms: readonly string[]): string[] {
  const words = terms.flatMap((t) =>
    t
      .toLowerCase()
      .split(/[\s.&-]+/)
      .map((w) => w.replace(/[^\p{L}']/gu, ""))
      .filter((w) => /\p{L}/u.test(w)),
  );
  return [...new Set(words)].sort();
}

/**
 * A unigram ARPA model giving every word the same share. Interpolated with the main language model
 * it lifts these words without changing how the rest of the vocabulary competes.
 */
export function unigramArpa(words: readonly string[]): string {
  const p = Math.log10(1 / (words.length + 1));
  const lines = ["\\data\\", `ngram 1=${words.length + 2}`, "", "\\1-grams:"];
  lines.push("-99.0000 <s>", `${p.toFixed(4)} </s>`);
  for (const w of words) lines.push(`${p.toFixed(4)} ${w}`);
  lines.push("", "\\end\\", "");
  return lines.join("\n");
}

/** "acme" comes back as the caller wrote it ("Acme"); other words are left alone. */
export function casingOf(terms: readonly string[]): (word: string) => string {
  const map = new Map<string, string>();
  for (const term of terms) {
    for (const w of term.split(/\s+/)) {
      if (w !== w.toLowerCase()) map.set(w.toLowerCase(), w);
    }
  }
  return (word) => map.get(word) ?? word;
}

// flite's cmulex phones → the CMU dictionary's phone set (stress dropped)
const PHONE_MAP: Record<string, string[]> = {
  ax: ["AH"],
  axr: ["ER"],
  dx: ["T"],
  el: ["AH", "L"],
  em: ["AH", "M"],
  en: ["AH", "N"],
  hv: ["HH"],
  ix: ["IH"],
  nx: ["N"],
};

const CMU_PHONES = new Set(
  "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split(
    " ",
  ),
);

/** `t2p`'s output ("pau n ao1 r th w ih1 n d pau") as a dictionary pronunciation ("N AO R TH W IH N D"). */
export function cmuPhones(t2pOutput: string): string | null {
  const phones = t2pOutput
    .trim()
    .split(/\s+/)
    .filter((p) => p && p !== "pau")
    .flatMap((p) => {
      const bare = p.replace(/\d$/, "");
      return PHONE_MAP[bare] ?? [bare.toUpperCase()];
    });
  if (phones.length === 0 || phones.some((p) => !CMU_PHONES.has(p))) return null;
  return phones.join(" ");
}
