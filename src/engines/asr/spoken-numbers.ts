/**
 * Spoken English numbers in recognizer output ("forty", "twenty three", "four five six seven",
 * "one hundred and five", "three point five", "twenty first", "nineteen eighty five", "at five
 * thirty"), found as spans of words with their value written in digits. Pure.
 *
 * One parser serves both the transcript formatter (pipeline/format-text.ts, which decides how each
 * span is written) and the WER normalizer (wer.ts, which writes every span in digits), so the two
 * always agree on what a number is and formatting cannot change a word error rate.
 *
 * Why our own parser: the npm candidates were tried on these cases. `words-to-numbers` reads
 * "a second" as "1 2" and every "one" as 1, and has no ordinals, money or percentages;
 * `compromise` turns "twenty first" into "20th" and "a second" into "0.5th", and takes ~1.3 s for
 * 13,500 words; `@microsoft/recognizers-text-number` reads numbers well but is 13 MB with lodash and
 * still leaves digit sequences, the "one" rule and money/percent writing to us. The grammar below is
 * small and every rule has a test (test/transcript-format.test.ts).
 */

const UNITS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
}; // prettier-ignore
const TEENS: Record<string, number> = {
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
}; // prettier-ignore
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
}; // prettier-ignore
const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9 };
const ORD_UNITS: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9,
}; // prettier-ignore
const ORD_TEENS_TENS: Record<string, number> = {
  tenth: 10, eleventh: 11, twelfth: 12, thirteenth: 13, fourteenth: 14, fifteenth: 15,
  sixteenth: 16, seventeenth: 17, eighteenth: 18, nineteenth: 19, twentieth: 20, thirtieth: 30,
  fortieth: 40, fiftieth: 50, sixtieth: 60, seventieth: 70, eightieth: 80, ninetieth: 90,
}; // prettier-ignore
const ORD_SCALES: Record<string, number> = {
  hundredth: 100,
  thousandth: 1e3,
  millionth: 1e6,
  billionth: 1e9,
};

/** Words before "five thirty" that make it a time of day (5:30) rather than two numbers. */
const TIME_CUES = new Set(["at", "by", "until", "till", "til", "around", "before", "after", "from", "to"]);

const has = (table: Record<string, number>, w: string | undefined) =>
  w !== undefined && Object.hasOwn(table, w);
const isDigitWord = (w: string | undefined) => w === "zero" || has(UNITS, w);

/** Every word the parser can take as (part of) a number. */
export function isNumberWord(w: string): boolean {
  return (
    isDigitWord(w) ||
    has(TEENS, w) ||
    has(TENS, w) ||
    has(SCALES, w) ||
    has(ORD_UNITS, w) ||
    has(ORD_TEENS_TENS, w) ||
    has(ORD_SCALES, w) ||
    w === "hundred"
  );
}

export type NumberKind = "cardinal" | "ordinal" | "decimal" | "digits" | "year" | "time";

export interface NumberSpan {
  /** first word and one past the last word of the span */
  start: number;
  end: number;
  kind: NumberKind;
  /** the number (for "digits" and "time", the digits read as one number) */
  value: number;
  /** the span in digits: "23", "4567", "21st", "3.5", "1985", "5:30" */
  digits: string;
}

export function ordinalSuffix(n: number): string {
  const h = n % 100;
  if (h >= 11 && h <= 13) return "th";
  return ["th", "st", "nd", "rd"][n % 10] ?? "th";
}

/**
 * Numbers in `words` (lower-case, one word each). `brk[i]` is true when punctuation follows word i:
 * no span reaches across it. Spans are found greedily from the left and never overlap.
 *
 * - Two or more digit words in a row are a digit sequence ("four five six seven" → 4567; "oh" is 0
 *   between digits).
 * - Otherwise the usual grammar: units, teens, tens, "hundred", thousand/million/billion, "and"
 *   after hundred or a scale ("one hundred and five"), "a hundred", and an ordinal ending the span
 *   ("twenty first", "one hundredth"). "second" ends a compound only as a date ("the twenty second",
 *   "twenty second of May"), so "a thirty second wait" stays thirty + second.
 * - "<number> point <digits>" is a decimal.
 * - eighteen/nineteen + 10..99 or "oh" + digit is a year (nineteen eighty five → 1985); so is
 *   twenty + 10..29 or "oh" + digit (2001–2029: "twenty thirty minutes" stays two numbers).
 * - An hour (one to twelve) after at/by/until/around/before/after/from/to, or before am/pm, with
 *   minutes ("oh five", "fifteen", "thirty", "forty five") is a time of day (5:30).
 */
export function findNumberSpans(words: readonly string[], brk: readonly boolean[]): NumberSpan[] {
  const spans: NumberSpan[] = [];
  let i = 0;
  while (i < words.length) {
    const span = digitRunAt(words, brk, i) ?? numberAt(words, brk, i);
    if (span) {
      spans.push(span);
      i = span.end;
    } else i++;
  }
  return spans;
}

function digitRunAt(words: readonly string[], brk: readonly boolean[], i: number): NumberSpan | null {
  if (!isDigitWord(words[i])) return null;
  let j = i + 1;
  let digits = String(UNITS[words[i]!] ?? 0);
  while (j < words.length && !brk[j - 1]) {
    const w = words[j];
    if (isDigitWord(w)) digits += String(UNITS[w!] ?? 0);
    else if (w === "oh" && !brk[j] && (isDigitWord(words[j + 1]) || words[j + 1] === "oh")) digits += "0";
    else break;
    j++;
  }
  if (j - i < 2) return null;
  return { start: i, end: j, kind: "digits", value: Number(digits), digits };
}

/** 10..99 as a year's or a time's second half: "oh five", "fifteen", "eighty five". */
function pairAt(words: readonly string[], brk: readonly boolean[], j: number) {
  const w = words[j];
  if (w === "oh" && !brk[j] && has(UNITS, words[j + 1])) return { value: UNITS[words[j + 1]!]!, end: j + 2 };
  if (has(TEENS, w)) return { value: TEENS[w!]!, end: j + 1 };
  if (has(TENS, w)) {
    const unit = !brk[j] && has(UNITS, words[j + 1]) ? UNITS[words[j + 1]!]! : 0;
    return { value: TENS[w!]! + unit, end: j + (unit ? 2 : 1) };
  }
  return null;
}

const isMeridiem = (words: readonly string[], j: number) =>
  words[j] === "am" || words[j] === "pm" || ((words[j] === "a" || words[j] === "p") && words[j + 1] === "m");

function numberAt(words: readonly string[], brk: readonly boolean[], i: number): NumberSpan | null {
  const n = words.length;
  const open = (j: number) => j < n && !brk[j - 1];
  let j = i;
  let total = 0;
  let cur = 0;
  let last: "none" | "unit" | "teen" | "tens" | "hundred" | "scale" | "and" = "none";
  let lastScale = Infinity;
  let ordinal = false;
  if (words[i] === "zero") {
    j = i + 1;
    last = "unit";
  } else if (words[i] === "a" && !brk[i] && (words[i + 1] === "hundred" || has(SCALES, words[i + 1]))) {
    cur = 1; // "a hundred", "a thousand"
    last = "unit";
    j = i + 1;
  }
  while (words[i] !== "zero" && (j === i || open(j))) {
    const w = words[j]!;
    const afterNothingOrGroup = last === "none" || last === "hundred" || last === "scale" || last === "and";
    if (has(UNITS, w) && (afterNothingOrGroup || last === "tens")) {
      cur += UNITS[w]!;
      last = "unit";
    } else if (has(TEENS, w) && afterNothingOrGroup) {
      cur += TEENS[w]!;
      last = "teen";
    } else if (has(TENS, w) && afterNothingOrGroup) {
      cur += TENS[w]!;
      last = "tens";
    } else if (w === "hundred" && (last === "unit" || last === "teen") && cur < 100) {
      cur *= 100;
      last = "hundred";
    } else if (has(SCALES, w) && last !== "none" && last !== "and" && cur > 0 && SCALES[w]! < lastScale) {
      total += cur * SCALES[w]!;
      lastScale = SCALES[w]!;
      cur = 0;
      last = "scale";
    } else if (
      w === "and" &&
      (last === "hundred" || last === "scale") &&
      open(j + 1) &&
      (has(UNITS, words[j + 1]) ||
        has(TEENS, words[j + 1]) ||
        has(TENS, words[j + 1]) ||
        has(ORD_UNITS, words[j + 1]) ||
        has(ORD_TEENS_TENS, words[j + 1]))
    ) {
      last = "and";
    } else if (has(ORD_UNITS, w) && (afterNothingOrGroup || last === "tens")) {
      // "second" after a number is a date only with "the … second" or "… second of"
      if (w === "second" && last !== "none" && words[i - 1] !== "the" && words[j + 1] !== "of") break;
      cur += ORD_UNITS[w]!;
      ordinal = true;
    } else if (has(ORD_TEENS_TENS, w) && afterNothingOrGroup) {
      cur += ORD_TEENS_TENS[w]!;
      ordinal = true;
    } else if (w === "hundredth" && (last === "unit" || last === "teen") && cur < 100) {
      cur *= 100;
      ordinal = true;
    } else if (has(ORD_SCALES, w) && w !== "hundredth" && last !== "none" && last !== "and" && cur > 0) {
      if (ORD_SCALES[w]! >= lastScale) break;
      cur *= ORD_SCALES[w]!;
      ordinal = true;
    } else break;
    j++;
    if (ordinal) break;
  }
  if (last === "and" && !ordinal) j--; // "a hundred and second …": the "and" is not the number's
  if (j === i || (words[i] === "a" && j === i + 1)) return null;
  const value = total + cur;
  if (ordinal) return { start: i, end: j, kind: "ordinal", value, digits: `${value}${ordinalSuffix(value)}` };

  if (j === i + 1 && open(j)) {
    const w = words[i]!;
    // nineteen eighty five, twenty twelve
    if (w === "eighteen" || w === "nineteen" || w === "twenty") {
      const pair = pairAt(words, brk, j);
      if (pair && (w !== "twenty" || pair.value < 30)) {
        const year = value * 100 + pair.value;
        return { start: i, end: pair.end, kind: "year", value: year, digits: String(year) };
      }
    }
    // at five thirty, eleven fifteen pm
    if (value >= 1 && value <= 12 && w !== "zero") {
      const minutes = pairAt(words, brk, j);
      if (
        minutes &&
        minutes.value <= 59 &&
        (TIME_CUES.has(words[i - 1] ?? "") || (open(minutes.end) && isMeridiem(words, minutes.end)))
      ) {
        const digits = `${value}:${String(minutes.value).padStart(2, "0")}`;
        return { start: i, end: minutes.end, kind: "time", value: value * 100 + minutes.value, digits };
      }
    }
  }
  // three point five, zero point two five
  if (open(j) && words[j] === "point" && open(j + 1) && isDigitWord(words[j + 1])) {
    let k = j + 1;
    let frac = "";
    while (k < n && (k === j + 1 || !brk[k - 1])) {
      if (isDigitWord(words[k])) frac += String(UNITS[words[k]!] ?? 0);
      else if (words[k] === "oh" && isDigitWord(words[k + 1]) && !brk[k]) frac += "0";
      else break;
      k++;
    }
    const digits = `${value}.${frac}`;
    return { start: i, end: k, kind: "decimal", value: Number(digits), digits };
  }
  return { start: i, end: j, kind: "cardinal", value, digits: String(value) };
}

/**
 * A text cut into words, keeping what lies between them: `seps[k]` is the text before word k,
 * `seps[words.length]` the text after the last. Words are runs of letters and digits with inner
 * apostrophes ("i'm", "o'clock"), and digits joined by "." or ":" ("3.5", "5:30").
 */
export interface WordSplit {
  words: string[];
  seps: string[];
  /** punctuation (anything but spaces and hyphens) between word k and word k + 1 */
  brk: boolean[];
}

const WORD = /\p{N}+(?:[.:]\p{N}+)*\p{L}*(?:['’][\p{L}\p{N}]+)*|[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

export function splitWords(text: string): WordSplit {
  const words: string[] = [];
  const seps: string[] = [];
  let at = 0;
  for (const m of text.matchAll(WORD)) {
    seps.push(text.slice(at, m.index));
    words.push(m[0]);
    at = m.index + m[0].length;
  }
  seps.push(text.slice(at));
  const brk = words.map((_, k) => !/^[\s\-‐]*$/u.test(seps[k + 1]!));
  return { words, seps, brk };
}

/** Lower case with straight apostrophes: the form the parser matches. */
export const matchForm = (word: string) => word.toLowerCase().replace(/’/g, "'");
