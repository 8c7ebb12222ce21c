/**
 * Full-covariance Gaussian statistics of feature frames and the BIC that compares "one model"
 * with "two models" (Chen & Gopalakrishnan 1998). Stats are sufficient statistics (count, sum,
 * sum of outer products), so merging two segments or clusters is an addition.
 */

/** Frames of one voiced region: `frames` rows of `dim` floats. */
export interface FeatureMatrix {
  data: Float32Array;
  dim: number;
  frames: number;
}

export interface Stats {
  n: number;
  sum: Float64Array;
  /** upper triangle of Σ x xᵀ, row-major (i ≤ j) */
  sq: Float64Array;
}

export const triangle = (d: number) => (d * (d + 1)) / 2;

export function emptyStats(d: number): Stats {
  return { n: 0, sum: new Float64Array(d), sq: new Float64Array(triangle(d)) };
}

/** Adds frames [from, to) of `m` into `s`. */
export function accumulate(s: Stats, m: FeatureMatrix, from = 0, to = m.frames): Stats {
  const d = m.dim;
  for (let f = from; f < to; f++) {
    const o = f * d;
    for (let i = 0, t = 0; i < d; i++) {
      const xi = m.data[o + i]!;
      s.sum[i]! += xi;
      for (let j = i; j < d; j++) s.sq[t++]! += xi * m.data[o + j]!;
    }
  }
  s.n += Math.max(0, to - from);
  return s;
}

export function addStats(a: Stats, b: Stats): Stats {
  const out = emptyStats(a.sum.length);
  out.n = a.n + b.n;
  for (let i = 0; i < a.sum.length; i++) out.sum[i] = a.sum[i]! + b.sum[i]!;
  for (let i = 0; i < a.sq.length; i++) out.sq[i] = a.sq[i]! + b.sq[i]!;
  return out;
}

/** Stats of frames [from, to) from prefix sums (`prefix[k]` = stats of frames [0, k)). */
export function rangeStats(prefix: PrefixStats, from: number, to: number, out: Stats): Stats {
  const { d, sums } = prefix;
  const w = d + triangle(d);
  const a = from * w;
  const b = to * w;
  for (let i = 0; i < d; i++) out.sum[i] = sums[b + i]! - sums[a + i]!;
  for (let i = 0; i < out.sq.length; i++) out.sq[i] = sums[b + d + i]! - sums[a + d + i]!;
  out.n = to - from;
  return out;
}

export interface PrefixStats {
  d: number;
  /** (frames + 1) rows of [sum (d), sq (triangle)] */
  sums: Float64Array;
}

export function prefixStats(m: FeatureMatrix): PrefixStats {
  const d = m.dim;
  const w = d + triangle(d);
  const sums = new Float64Array((m.frames + 1) * w);
  for (let f = 0; f < m.frames; f++) {
    const prev = f * w;
    const row = prev + w;
    const o = f * d;
    for (let i = 0, t = d; i < d; i++) {
      const xi = m.data[o + i]!;
      sums[row + i] = sums[prev + i]! + xi;
      for (let j = i; j < d; j++, t++) sums[row + t] = sums[prev + t]! + xi * m.data[o + j]!;
    }
  }
  return { d, sums };
}

const scratch = new Map<number, Float64Array>();

/**
 * log |Σ| of the maximum-likelihood covariance, with `ridge` added to the diagonal (features are
 * normalised to unit variance, so a fixed ridge keeps short segments from looking infinitely sure).
 */
export function logDetCov(s: Stats, ridge = 1e-3): number {
  const d = s.sum.length;
  let a = scratch.get(d);
  if (!a) scratch.set(d, (a = new Float64Array(d * d)));
  const n = Math.max(1, s.n);
  for (let i = 0, t = 0; i < d; i++) {
    const mi = s.sum[i]! / n;
    for (let j = i; j < d; j++, t++) {
      const v = s.sq[t]! / n - mi * (s.sum[j]! / n);
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
    a[i * d + i]! += ridge;
  }
  // in-place Cholesky; log det = 2 Σ log L_ii
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j]!;
    for (let k = 0; k < j; k++) diag -= a[j * d + k]! * a[j * d + k]!;
    if (diag <= 1e-12) diag = 1e-12;
    const l = Math.sqrt(diag);
    a[j * d + j] = l;
    logDet += 2 * Math.log(l);
    for (let i = j + 1; i < d; i++) {
      let v = a[i * d + j]!;
      for (let k = 0; k < j; k++) v -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = v / l;
    }
  }
  return logDet;
}

/** BIC penalty for one extra full-covariance Gaussian over `n` frames. */
export function bicPenalty(d: number, n: number): number {
  return 0.5 * (d + triangle(d)) * Math.log(n);
}

/**
 * ΔBIC of modelling `a` and `b` with two Gaussians rather than one: > 0 says two (different
 * speakers, or a change point), < 0 says one. `lambda` weighs the penalty (1 in the textbook).
 */
export function deltaBic(a: Stats, b: Stats, lambda: number, ridge?: number, both = addStats(a, b)): number {
  const gain =
    0.5 * (both.n * logDetCov(both, ridge) - a.n * logDetCov(a, ridge) - b.n * logDetCov(b, ridge));
  return gain - lambda * bicPenalty(a.sum.length, both.n);
}
