/**
 * Dates of birth: a date ("the fifth of March nineteen eighty five", "March 5th, 1985",
 * "05/03/1985", "in nineteen eighty five") whose nearest cue is "born", "date of birth", "birthday"
 * or "DOB", within a few tokens (also in the item before: "Can I have your date of birth?" — "It's
 * the fifth of March…"). Other dates are left alone. Pure.
 */
import { cueBefore } from "./cues.ts";
import type { NumberPiece } from "./numbers.ts";
import type { Stream, TokenSpan } from "./tokens.ts";

const MONTHS = new Set(
  (
    "january february march april may june july august september october november december " +
    "jan feb mar apr jun jul aug sep sept oct nov dec"
  ).split(" "),
);
/** Between parts of one date: spaces, commas, slashes, dashes, dots. */
const DATE_SEP = /^[\s,/.\-‐]*$/u;

const isDatePiece = (p: NumberPiece) =>
  p.kind === "ordinal" ||
  p.kind === "year" ||
  p.kind === "digits" ||
  p.kind === "written" ||
  (p.kind === "cardinal" && p.digitish);

/** Date-like runs of tokens: numbers, months, "of" and "the" between them. */
export function dateRuns(s: Stream, pieces: readonly NumberPiece[]): Array<TokenSpan & { valid: boolean }> {
  const pieceAt = new Map(pieces.filter(isDatePiece).map((p) => [p.start, p]));
  const runs: Array<TokenSpan & { valid: boolean }> = [];
  let k = 0;
  const n = s.tokens.length;
  while (k < n) {
    const startsDate = pieceAt.has(k) || MONTHS.has(s.tokens[k]!.form);
    if (!startsDate) {
      k++;
      continue;
    }
    const start = k;
    let end = k;
    let numbers = 0;
    let months = 0;
    let year = false;
    while (k < n) {
      const p = pieceAt.get(k);
      const form = s.tokens[k]!.form;
      if (p) {
        numbers++;
        year ||= p.kind === "year" || /^(19|20)\d\d$/.test(p.digits) || p.digits.length >= 6;
        k = p.end;
      } else if (MONTHS.has(form)) {
        months++;
        k++;
      } else if ((form === "of" || form === "the") && k > start) {
        const next = k + 1 < n && (pieceAt.has(k + 1) || MONTHS.has(s.tokens[k + 1]!.form));
        if (!next || s.tokens[k]!.brk) break;
        k++;
        continue;
      } else break;
      end = k;
      const last = s.tokens[k - 1]!;
      if (k >= n || last.item !== s.tokens[k]!.item || !DATE_SEP.test(last.sepAfter)) break;
      if (/[.]/.test(last.sepAfter) && !/^\d/.test(last.form)) break; // a full stop ends it
    }
    k = Math.max(end, start + 1);
    runs.push({ start, end, valid: numbers > 0 && (months > 0 || year || numbers >= 2) });
  }
  return runs;
}

/** Dates said as someone's date of birth. */
export function detectDatesOfBirth(s: Stream, pieces: readonly NumberPiece[]): TokenSpan[] {
  return dateRuns(s, pieces)
    .filter((r) => r.valid && cueBefore(s, r.start)?.cue === "dob")
    .map(({ start, end }) => ({ start, end }));
}
