/** Word error rate: (substitutions + deletions + insertions) / reference words. */
export interface WerResult {
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  refWords: number;
}

/** Lower-cases, turns punctuation into spaces (keeping in-word apostrophes) and splits into words. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}']+/gu, " ")
    .replace(/(^|\s)'+|'+(?=\s|$)/g, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0);
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
