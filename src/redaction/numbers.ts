/**
 * Numbers that identify someone: card numbers (Luhn), card security codes, account numbers, phone
 * numbers and US social security numbers, spoken ("four one one one …", "five five five, two three
 * four") or written ("4111 1111 1111 1111", "(555) 123-4567", "123-45-6789"). Pure.
 *
 * Spoken numbers are read by the transcript formatter's parser (engines/asr/spoken-numbers.ts), so
 * "forty five sixty seven" is 4567 here exactly as it is 4567 in a formatted transcript. Pieces a
 * speaker pauses between ("five five five, two three four") and pieces split across two items a
 * moment apart are joined into one group (whoever the speakers: diarization may split a number read
 * by one voice between two; joining too much only redacts more), and the group is classified by
 * its digits and the nearest cue before it (cues.ts):
 *
 *   cue "social security"  + 9 digits                → us_ssn
 *   cue "security code"    + 3–4 digits               → credit_card (the card's CVV)
 *   cue "card"             + 12–19 digits             → credit_card (a misheard digit fails Luhn, still a card)
 *   cue "account"          + 4–20 digits              → account_number
 *   cue "phone"            + 7–15 digits              → phone_number
 *   no cue: 13–19 digits passing Luhn → credit_card; 9 digits read 3-2-4 → us_ssn;
 *           10 digits, 11 from a leading 0 or 1, or 11–15 after "+" → phone_number
 *
 * Amounts, times, ordinals and numbers with hundred/thousand in them never match a rule without a
 * cue; after "order", "reference", "case" … numbers no rule applies.
 *
 * Recognizers hear "four" as "for" and "zero" as "oh": such a word inside a group, or just before
 * one, counts as its digit.
 */
import { findNumberSpans, type NumberKind } from "../engines/asr/spoken-numbers.ts";
import { cueBefore, type Cue } from "./cues.ts";
import type { PiiPolicy } from "./policies.ts";
import { endsItem, type Stream, type TokenSpan } from "./tokens.ts";

/** The Luhn checksum of a card number. */
export function luhn(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A US SSN the Social Security Administration could issue (no 000/666/9xx area, 00 group, 0000 serial). */
export function plausibleSsn(d: string): boolean {
  return /^\d{9}$/.test(d) && !/^(000|666|9)/.test(d) && d.slice(3, 5) !== "00" && d.slice(5) !== "0000";
}

export interface NumberPiece extends TokenSpan {
  digits: string;
  kind: NumberKind | "written";
  /** read digit by digit, or small enough to be part of a longer number (no hundred/thousand) */
  digitish: boolean;
}

const SCALE = new Set(["hundred", "thousand", "million", "billion"]);
/** Words a recognizer writes for a digit it misheard. */
const HOMOPHONES: Record<string, string> = {
  for: "4",
  to: "2",
  too: "2",
  won: "1",
  ate: "8",
  oh: "0",
  o: "0",
};
/** Homophones trusted just before a group ("my card number is for one one one …", "oh seven seven …"). */
const LEADING_HOMOPHONES = new Set(["for", "oh", "o"]);
const FILLERS = new Set(["uh", "um", "er", "erm", "ah", "hmm", "mm", "eh"]);
/** Between two pieces of one number: spaces, commas, dashes, slashes, brackets. */
const SOFT_SEP = /^[\s,\-‐–—/()]*$/u;
/** Two items this close are one breath for a number read across them. */
const MAX_ITEM_GAP_S = 3;

function writtenPiece(form: string, k: number): NumberPiece | null {
  const at = { start: k, end: k + 1 };
  if (/^\d+$/.test(form)) return { ...at, digits: form, kind: "written", digitish: true };
  // 555.123.4567, 555.1234
  if (/^\d+(?:\.\d+){2,}$/.test(form) || /^\d+\.\d{3,}$/.test(form))
    return { ...at, digits: form.replace(/\D/g, ""), kind: "written", digitish: true };
  const ord = /^(\d+)(?:st|nd|rd|th)$/.exec(form);
  if (ord) return { ...at, digits: ord[1]!, kind: "ordinal", digitish: false };
  if (/^\d{1,2}:\d{2}$/.test(form))
    return { ...at, digits: form.replace(":", ""), kind: "time", digitish: false };
  if (/^\d+\.\d{1,2}$/.test(form)) return { ...at, digits: form, kind: "decimal", digitish: false };
  return null;
}

/** Every number in the stream, spoken or written, in order. */
export function numberPieces(s: Stream): NumberPiece[] {
  const forms = s.tokens.map((t) => t.form);
  const brk = s.tokens.map((t) => t.brk);
  const pieces: NumberPiece[] = findNumberSpans(forms, brk).map((span) => {
    const words = forms.slice(span.start, span.end);
    const digitish =
      span.kind === "digits" ||
      span.kind === "year" ||
      (span.kind === "cardinal" && span.value < 100 && !words.some((w) => SCALE.has(w)));
    return { start: span.start, end: span.end, digits: span.digits, kind: span.kind, digitish };
  });
  forms.forEach((f, k) => {
    const p = /^\d/.test(f) ? writtenPiece(f, k) : null;
    if (p) pieces.push(p);
  });
  // "double five", "triple seven"
  for (const p of pieces) {
    const before = forms[p.start - 1];
    const first = p.digits[0];
    if (p.digitish && first && (before === "double" || before === "triple") && !brk[p.start - 1]) {
      p.digits = first.repeat(before === "double" ? 1 : 2) + p.digits;
      p.start--;
    }
  }
  return pieces.sort((a, b) => a.start - b.start);
}

export interface NumberGroup extends TokenSpan {
  digits: string;
  /** digits per piece: 3-2-4 for an SSN read with pauses or written with dashes */
  chunks: number[];
  digitish: boolean;
  /** a "+" is written just before it */
  plus: boolean;
}

/** Can tokens [from, to) sit between two pieces of one number (fillers, a misheard digit)? Their digits, or null. */
function bridge(s: Stream, from: number, to: number): string | null {
  if (to - from > 2) return null;
  let digits = "";
  for (let k = from - 1; k < to; k++) {
    const t = s.tokens[k]!;
    if (k >= from) {
      if (FILLERS.has(t.form)) continue;
      const d = HOMOPHONES[t.form];
      if (d === undefined) return null;
      digits += d;
    }
    if (endsItem(s, k)) {
      const next = s.items[t.item + 1];
      if (!next || next.start - s.items[t.item]!.end > MAX_ITEM_GAP_S) return null;
    } else if (!SOFT_SEP.test(t.sepAfter)) return null;
  }
  return digits;
}

/** Pieces of one number read in a row, joined. */
export function numberGroups(s: Stream, pieces: readonly NumberPiece[]): NumberGroup[] {
  const groups: NumberGroup[] = [];
  for (const p of pieces) {
    const g = groups.at(-1);
    const between = g && g.digitish && p.digitish && p.start >= g.end ? bridge(s, g.end, p.start) : null;
    if (g && between !== null) {
      g.digits += between + p.digits;
      g.chunks.push(between.length + p.digits.length);
      g.end = p.end;
    } else {
      const plus = p.start > 0 && s.tokens[p.start - 1]!.sepAfter.includes("+");
      groups.push({ ...p, chunks: [p.digits.length], plus });
    }
  }
  return groups;
}

/** What a group of digits is, by its digits and its cue (null: nothing personal). */
export function classifyNumber(
  g: Pick<NumberGroup, "digits" | "chunks" | "digitish" | "plus">,
  cue: Cue | null,
): PiiPolicy | null {
  const n = g.digits.length;
  if (!/^\d+$/.test(g.digits)) return null;
  if (cue === "ssn" && n === 9) return "us_ssn";
  if (cue === "cvv" && n >= 3 && n <= 4) return "credit_card";
  if (cue === "card" && n >= 12 && n <= 19) return "credit_card";
  if (cue === "account" && n >= 4 && n <= 20) return "account_number";
  if (cue === "phone" && n >= 7 && n <= 15) return "phone_number";
  if (!g.digitish || cue === "other" || cue === "dob") return null;
  if (n >= 13 && n <= 19 && luhn(g.digits)) return "credit_card";
  if (n === 9 && g.chunks.join("-") === "3-2-4" && plausibleSsn(g.digits)) return "us_ssn";
  if (n === 10 || (n === 11 && /^[01]/.test(g.digits)) || (g.plus && n >= 11 && n <= 15))
    return "phone_number";
  return null;
}

export interface NumberFinding extends TokenSpan {
  policy: PiiPolicy;
}

/** The personal numbers of a stream. */
export function detectNumbers(s: Stream, pieces = numberPieces(s)): NumberFinding[] {
  const out: NumberFinding[] = [];
  for (const g of numberGroups(s, pieces)) {
    const lead = g.start > 0 ? s.tokens[g.start - 1]! : undefined;
    const withLead =
      lead && g.digitish && LEADING_HOMOPHONES.has(lead.form) && !lead.brk
        ? { ...g, start: g.start - 1, digits: HOMOPHONES[lead.form]! + g.digits }
        : null;
    for (const v of withLead ? [withLead, g] : [g]) {
      const policy = classifyNumber(v, cueBefore(s, v.start)?.cue ?? null);
      if (policy) {
        out.push({ start: v.start, end: v.end, policy });
        break;
      }
    }
  }
  return out;
}
