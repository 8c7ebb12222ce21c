import { findNumberSpans, matchForm, splitWords } from "./spoken-numbers.ts";

/** Word error rate: (substitutions + deletions + insertions) / reference words. */
export interface WerResult {
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  refWords: number;
}

/**
 * The words WER compares: lower case, punctuation dropped (in-word apostrophes kept), and numbers in
 * one written form whichever way they came: spoken numbers in digits through the same parser the
 * transcript formatter uses ("forty dollars", "$40." and "40 dollars" are all `40 dollars`; "four
 * five six seven" and "4567" are `4567`; "ten percent" and "10%" are `10 percent`), so a formatted
 * and a plain transcript of the same speech score the same. A digit sequence counts as one word.
 */
export function normalizeWords(text: string): string[] {
  const expanded = text
    .replace(/(?<=\d),(?=\d{3}(?!\d))/g, "") // 12,500 → 12500
    .replace(/([$€])(\d+(?:\.\d+)?)/g, (_, sym: string, n: string) => {
      const unit = sym === "$" ? "dollar" : "euro";
      return ` ${n} ${Number(n) === 1 ? unit : `${unit}s`} `;
    })
    .replace(/(\d)%/g, "$1 percent ");
  const { words, brk } = splitWords(expanded);
  const forms = words.map(matchForm);
  const out: string[] = [];
  let k = 0;
  for (const span of findNumberSpans(forms, brk)) {
    out.push(...forms.slice(k, span.start), span.digits);
    k = span.end;
  }
  out.push(...forms.slice(k));
  return out;
}

/**
 * Levenshtein alignment over words. With an empty reference the rate is 0 for an empty hypothesis
 * and 1 otherwise (rather than infinity), so averages stay finite.
 */
export function wordErrorRate(reference: string, hypothesis: string): WerResult {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  const n = ref.length;
  const m = hyp.length;
  // cost[i][j] for ref[0..i) vs hyp[0..j), with the operation counts that produced it.
  type Cell = { cost: number; s: number; d: number; i: number };
  let prev: Cell[] = Array.from({ length: m + 1 }, (_, j) => ({ cost: j, s: 0, d: 0, i: j }));
  for (let i = 1; i <= n; i++) {
    const cur: Cell[] = [{ cost: i, s: 0, d: i, i: 0 }];
    for (let j = 1; j <= m; j++) {
      const diag = prev[j - 1]!;
      const up = prev[j]!;
      const left = cur[j - 1]!;
      const same = ref[i - 1] === hyp[j - 1];
      let best: Cell = same ? { ...diag } : { cost: diag.cost + 1, s: diag.s + 1, d: diag.d, i: diag.i };
      if (up.cost + 1 < best.cost) best = { cost: up.cost + 1, s: up.s, d: up.d + 1, i: up.i };
      if (left.cost + 1 < best.cost) best = { cost: left.cost + 1, s: left.s, d: left.d, i: left.i + 1 };
      cur.push(best);
    }
    prev = cur;
  }
  const end = prev[m]!;
  const errors = end.s + end.d + end.i;
  return {
    wer: n === 0 ? (m === 0 ? 0 : 1) : errors / n,
    substitutions: end.s,
    deletions: end.d,
    insertions: end.i,
    refWords: n,
  };
}

/** Pools several utterances: total errors over total reference words. */
export function corpusWer(pairs: { reference: string; hypothesis: string }[]): WerResult {
  const sum = { substitutions: 0, deletions: 0, insertions: 0, refWords: 0 };
  for (const p of pairs) {
    const r = wordErrorRate(p.reference, p.hypothesis);
    sum.substitutions += r.substitutions;
    sum.deletions += r.deletions;
    sum.insertions += r.insertions;
    sum.refWords += r.refWords;
  }
  const errors = sum.substitutions + sum.deletions + sum.insertions;
  return { ...sum, wer: sum.refWords === 0 ? (errors === 0 ? 0 : 1) : errors / sum.refWords };
}
