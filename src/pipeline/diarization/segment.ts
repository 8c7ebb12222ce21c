/**
 * Speaker-change detection inside one voiced region: a ΔBIC curve between the windows left and
 * right of every candidate point (every `step` frames), computed from prefix sums so each point
 * costs three small Cholesky factorisations; peaks above zero that dominate their neighbourhood
 * are changes.
 */
import { deltaBic, emptyStats, prefixStats, rangeStats, type FeatureMatrix } from "./gaussian.ts";

export interface ChangeOptions {
  /** frames on each side of a candidate point */
  window: number;
  /** no change closer than this to a region edge or another change */
  minSegment: number;
  /** frames between candidate points */
  step: number;
  /** weight of the BIC penalty */
  lambda: number;
}

export const CHANGE_DEFAULTS: ChangeOptions = { window: 100, minSegment: 50, step: 5, lambda: 1 };

/** Frame indices (within the region) where the speaker changes, ascending. */
export function changePoints(m: FeatureMatrix, opts: Partial<ChangeOptions> = {}): number[] {
  const o = { ...CHANGE_DEFAULTS, ...opts };
  const n = m.frames;
  if (n < 2 * o.minSegment) return [];
  const prefix = prefixStats(m);
  const [left, right] = [emptyStats(m.dim), emptyStats(m.dim)];
  const candidates: { t: number; score: number }[] = [];
  for (let t = o.minSegment; t <= n - o.minSegment; t += o.step) {
    rangeStats(prefix, Math.max(0, t - o.window), t, left);
    rangeStats(prefix, t, Math.min(n, t + o.window), right);
    candidates.push({ t, score: deltaBic(left, right, o.lambda) });
  }
  // greedy non-maximum suppression: strongest peaks first, none within minSegment of another
  const chosen: number[] = [];
  for (const c of [...candidates].sort((a, b) => b.score - a.score)) {
    if (c.score <= 0) break;
    if (chosen.every((t) => Math.abs(t - c.t) >= o.minSegment)) chosen.push(c.t);
  }
  return chosen.sort((a, b) => a - b);
}
