/**
 * Person names, found by `compromise` (its people(): a lexicon of ~24k words with thousands of
 * first and last names, and tagging in context, so "please mark it as paid" has no Mark in it) and
 * then kept only where the call makes them a name. Conservative: a lone first name that is also a
 * common English word ("amber", "grace", "bill") needs a cue ("my name is", "this is", "speak to",
 * "Mr", "my daughter"); titles stay outside the label ("Dr [PERSON_NAME]"). After "my name is",
 * words compromise does not know at all are taken as the name ("my name is xiomara okafor").
 *
 * compromise is ~4.7 MB and takes ~0.5 s to load and ~0.55 s per 10,000 words (a one-hour call),
 * so the server runs redaction in a worker thread (redact-thread.ts); `loadNlp` imports it lazily.
 */
import type { Stream, Token, TokenSpan } from "./tokens.ts";

/** The parts of compromise used here. */
export interface Nlp {
  (text: string): { people(): { json(opts: object): PersonJson[] }; json(opts: object): PersonJson[] };
  model(): { one: { lexicon: Record<string, string | string[] | undefined> } };
}
interface PersonJson {
  terms: Array<{ normal?: string; text: string; tags: string[]; offset: { start: number; length: number } }>;
}

let loading: Promise<Nlp> | undefined;
export function loadNlp(): Promise<Nlp> {
  loading ??= import("compromise").then((m) => m.default as unknown as Nlp);
  return loading;
}

const NAME_TAGS = new Set(["FirstName", "LastName", "MaleName", "FemaleName"]);
const TITLES = new Set(
  "mr mrs ms miss mister missus dr doctor sir madam maam ma'am professor prof".split(" "),
);
/** First names that are also everyday words: alone, they need a cue. */
const AMBIGUOUS = new Set(
  (
    "amber angel april august autumn bill bob bud buck chance chase cherry chip christian crystal dawn " +
    "destiny dean drew dusty faith frank gene grace grant guy hope holly honey iris ivy jack jade jean " +
    "jewel joy june king lane mark mason max may miles misty penny pearl pat patience rich river rob " +
    "robin rocky rose ruby rusty sandy skip sky sonny star sterling summer sunny tank ty val violet " +
    "wade ward will win winter young"
  ).split(" "),
);
/** Words before a name that make it one: "my name is", "this is", "speak to", "my daughter". */
const CUE_PHRASES = (
  "name is|name's|names|name|this is|it's|it is|i'm|i am|speak to|speak with|speaking to|speaking with|" +
  "talk to|talking to|ask for|called|call me|my wife|my husband|my son|my daughter|my mother|my father|" +
  "my mum|my mom|my dad|my brother|my sister|my partner|my friend|my colleague|my manager|mr|mrs|ms|miss|" +
  "mister|dr|doctor|sir|madam|spelled|surname|first name|last name|full name"
)
  .split("|")
  .map((p) => p.split(" "));
/** "my name is …": here a word compromise has never seen is taken as (part of) the name. */
const STRONG_CUES = [
  "name is",
  "name's",
  "names",
  "surname is",
  "first name is",
  "last name is",
  "full name is",
].map((p) => p.split(" "));

/** Greetings before a name: "hello priya", "thanks jordan". */
const GREETINGS = [
  "hi",
  "hello",
  "hey",
  "thanks",
  "thank you",
  "cheers",
  "bye",
  "goodbye",
  "morning",
  "afternoon",
  "evening",
  "dear",
].map((p) => p.split(" "));

function cueEndsAt(s: Stream, k: number, phrases: string[][]): boolean {
  return phrases.some((words) =>
    words.every((w, i) => {
      const t = s.tokens[k - words.length + 1 + i];
      return t !== undefined && t.form === w && t.item === s.tokens[k]?.item;
    }),
  );
}

const tagsOf = (nlp: Nlp, form: string): string[] => {
  const t = nlp.model().one.lexicon[form];
  return t === undefined ? [] : Array.isArray(t) ? t : [t];
};

/** Person names in the stream (tokens), as kept spans. */
export function detectNames(s: Stream, nlp: Nlp): TokenSpan[] {
  // one document for the whole call: items as sentences, each item's text at a known offset
  const base: number[] = [];
  let doc = "";
  for (const text of s.texts) {
    base.push(doc.length);
    doc += `${text.trim() && !/[.!?]$/.test(text.trim()) ? `${text}.` : text}\n`;
  }
  const at = new Map<number, number>(); // absolute char start → token
  s.tokens.forEach((t, k) => at.set(base[t.item]! + t.from, k));
  const lexiconName = (form: string) => tagsOf(nlp, form).some((t) => NAME_TAGS.has(t));
  const cued = (k: number) => k > 0 && cueEndsAt(s, k - 1, CUE_PHRASES);

  const found: TokenSpan[] = [];
  for (const person of nlp(doc)
    .people()
    .json({ offset: true, terms: { offset: true } })) {
    const terms = person.terms
      .map((t) => ({ k: at.get(t.offset.start), tags: t.tags, form: (t.normal ?? t.text).toLowerCase() }))
      .filter((t): t is { k: number; tags: string[]; form: string } => t.k !== undefined);
    // titles stay outside the label, and make what follows a name
    let titled = false;
    while (terms.length && (TITLES.has(terms[0]!.form) || terms[0]!.tags.includes("Honorific"))) {
      terms.shift();
      titled = true;
    }
    const names = terms.filter((t) => t.tags.some((g) => NAME_TAGS.has(g)));
    if (names.length === 0 || names.length !== terms.length) continue;
    const first = names[0]!;
    const plain = names.every((t) => AMBIGUOUS.has(t.form) || !lexiconName(t.form));
    const withSurname =
      names.length >= 2 && names.slice(1).every((t) => tagsOf(nlp, t.form).includes("LastName"));
    if (plain && !titled && !withSurname && !cued(first.k)) continue;
    found.push({ start: first.k, end: names.at(-1)!.k + 1 });
  }
  // cue rules, for names compromise does not tag in context:
  //   "my name is xiomara okafor"  a name, or words it has never seen that it tags as nouns (1–2)
  //   "hello priya." "hi jordan,"  a name, or such a word followed by a break
  //   "priya speaking"             at the start of an item or after a comma
  //   "my name is … spelled s m i t h": the spelled letters
  const context = new Map<number, Map<number, string[]>>();
  const tagsAt = (t: Token) => {
    let tags = context.get(t.item);
    if (!tags) {
      tags = new Map();
      for (const sentence of nlp(s.texts[t.item]!).json({ offset: true, terms: { offset: true } }))
        for (const term of sentence.terms) tags.set(term.offset.start, term.tags);
      context.set(t.item, tags);
    }
    return tags.get(t.from) ?? [];
  };
  const isName = (t: Token | undefined) =>
    t !== undefined && !AMBIGUOUS.has(t.form) && (lexiconName(t.form) || tagsAt(t).includes("Person"));
  const unknownNoun = (t: Token | undefined) => {
    if (!t || !/^\p{L}{2,}$/u.test(t.form) || tagsOf(nlp, t.form).length > 0) return false;
    const tags = tagsAt(t);
    return (
      tags.some((g) => g === "Noun" || g === "ProperNoun") &&
      !tags.some((g) => ["Verb", "Adjective", "Adverb", "Organization", "Plural"].includes(g))
    );
  };
  const sameItem = (k: number, j: number) => s.tokens[j]?.item === s.tokens[k]!.item;
  s.tokens.forEach((t, k) => {
    const next = s.tokens[k + 1];
    if (k > 0 && cueEndsAt(s, k - 1, STRONG_CUES) && (isName(t) || unknownNoun(t))) {
      const two = next && sameItem(k, k + 1) && !t.brk && (isName(next) || unknownNoun(next));
      found.push({ start: k, end: k + (two ? 2 : 1) });
    } else if (k > 0 && cueEndsAt(s, k - 1, GREETINGS) && (isName(t) || (unknownNoun(t) && t.brk))) {
      found.push({ start: k, end: k + 1 });
    } else if (
      next?.form === "speaking" &&
      sameItem(k, k + 1) &&
      (k === s.items[t.item]!.first || s.tokens[k - 1]!.brk) &&
      (isName(t) || unknownNoun(t))
    ) {
      found.push({ start: k, end: k + 1 });
    } else if (
      /^(spelled|spelt|spelling)$/.test(t.form) &&
      s.tokens.slice(Math.max(0, k - 8), k).some((u) => u.form === "name")
    ) {
      let end = k + 1;
      while (end < s.tokens.length && sameItem(k, end) && /^\p{L}$/u.test(s.tokens[end]!.form)) end++;
      if (end - k > 2) found.push({ start: k + 1, end });
    }
  });
  return found;
}
