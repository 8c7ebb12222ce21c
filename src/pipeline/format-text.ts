/**
 * Stage 6: the recognizer's word strings as written sentences (TRANSCRIPT_FORMAT / `format`). Pure.
 *
 *   "i would like to pay forty dollars"  →  "I would like to pay $40."
 *   "my account number is four five six seven"  →  "My account number is 4567."
 *
 * - Numbers in digits, found by the parser the WER normalizer uses (engines/asr/spoken-numbers.ts):
 *   "twenty three" → 23, "one hundred and five" → 105, "three point five" → 3.5, "twenty first"
 *   → 21st, "nineteen eighty five" → 1985, "at five thirty" → 5:30, 12,500 with a thousands comma
 *   from five digits on; "forty dollars" → $40, "one euro" → €1, "ten percent" → 10%.
 * - Three or more digit words in a row are joined (account and phone numbers): "four five six" → 456.
 * - Kept as words (the conservative rule for "one" and friends): a single number word below ten
 *   ("no one", "one of them", "one more thing", "two questions", "zero") unless it is money, a
 *   percentage or a decimal; ordinals below tenth ("first of all", "a second", "third time"); two
 *   digit words in a row ("two three times").
 * - "i", "i'm", "i'd", "i'll", "i've" → "I", "I'm", …; days and months capitalized ("may" and
 *   "march" only beside a date: "the fifth of May", "March 3rd"); the first letter of the item and of each
 *   sentence the engine punctuated upper-cased; a full stop added when the item does not end with
 *   . ? or ! (trailing , ; : dropped first).
 *
 * English only: other languages are left exactly as the engine wrote them. Only `text` changes:
 * an item's `words` stay as recognized (one entry per spoken word, with its own time), so "$40" in
 * the text is "forty" and "dollars" in `words`.
 */
import type { TranscriptItem } from "../core/payloads.ts";
import { findNumberSpans, matchForm, splitWords, type NumberSpan } from "../engines/asr/spoken-numbers.ts";

export const TRANSCRIPT_FORMATS = ["formatted", "plain"] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

const CURRENCIES: Record<string, { symbol: string; singular: boolean }> = {
  dollar: { symbol: "$", singular: true },
  dollars: { symbol: "$", singular: false },
  euro: { symbol: "€", singular: true },
  euros: { symbol: "€", singular: false },
};
const FIRST_PERSON = new Set(["i", "i'm", "i'd", "i'll", "i've"]);
const CALENDAR = new Set(
  (
    "monday tuesday wednesday thursday friday saturday sunday january february april june july " +
    "august september october november december"
  ).split(" "),
);
/** Also months, but words too: capitalized only next to a date ("the fifth of may", "march 3rd"). */
const MONTH_OR_WORD = new Set(["may", "march"]);

const grouped = (n: number) => (n >= 10_000 ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(n));

/** How a span is written, and how many words after it that swallows (a currency or "percent"). */
function written(span: NumberSpan, words: readonly string[], brk: readonly boolean[]) {
  const next = brk[span.end - 1] ? undefined : words[span.end];
  const currency = next === undefined ? undefined : CURRENCIES[next];
  if (
    currency &&
    (span.kind === "cardinal" || span.kind === "year") &&
    currency.singular === (span.value === 1)
  )
    return { text: `${currency.symbol}${grouped(span.value)}`, extra: 1 };
  if (next === "percent" && (span.kind === "cardinal" || span.kind === "decimal"))
    return { text: `${span.digits}%`, extra: 1 };
  const oneWord = span.end - span.start === 1;
  switch (span.kind) {
    case "cardinal":
      return oneWord && span.value < 10 ? null : { text: grouped(span.value), extra: 0 };
    case "ordinal":
      return oneWord && span.value < 10 ? null : { text: span.digits, extra: 0 };
    case "digits":
      return span.end - span.start < 3 ? null : { text: span.digits, extra: 0 };
    default:
      return { text: span.digits, extra: 0 };
  }
}

/** Digits, "I", sentence case and a final stop for one transcript item's text (English). */
export function formatText(text: string, lang = "en"): string {
  if (!/^en\b/i.test(lang)) return text;
  const { words, seps, brk } = splitWords(text);
  const forms = words.map(matchForm);
  const found = findNumberSpans(forms, brk);
  const spans = new Map(found.map((s) => [s.start, s]));
  const ends = new Set(found.map((s) => s.end));
  const inDate = (k: number) =>
    ends.has(k) || spans.has(k + 1) || (forms[k - 1] === "of" && !brk[k - 1] && ends.has(k - 1));
  let out = seps[0]!;
  for (let k = 0; k < words.length; k++) {
    const span = spans.get(k);
    const w = span && written(span, forms, brk);
    if (w) {
      out += w.text;
      k = span.end - 1 + w.extra;
    } else if (FIRST_PERSON.has(forms[k]!)) out += `I${words[k]!.slice(1)}`;
    else if (CALENDAR.has(forms[k]!) || (MONTH_OR_WORD.has(forms[k]!) && inDate(k)))
      out += words[k]!.charAt(0).toUpperCase() + words[k]!.slice(1);
    else out += words[k];
    out += seps[k + 1];
  }
  out = out
    .trim()
    .replace(/^([^\p{L}\p{N}]*)(\p{Ll})/u, (_, before: string, c: string) => before + c.toUpperCase())
    .replace(
      /([.!?]["')\]]*\s+[^\p{L}\p{N}]*)(\p{Ll})/gu,
      (_, before: string, c: string) => before + c.toUpperCase(),
    );
  if (out === "" || /[.!?…]["')\]]*$/u.test(out)) return out;
  return `${out.replace(/[\s,;:\-–—]+$/u, "")}.`;
}

/** The items with formatted text (`plain`: as they are). `words` are left as recognized. */
export function formatItems(
  items: TranscriptItem[],
  format: TranscriptFormat,
  lang: string,
): TranscriptItem[] {
  if (format === "plain") return items;
  return items.map((item) => ({ ...item, text: formatText(item.text, lang) }));
}
