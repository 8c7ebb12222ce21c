/**
 * Frame-level resegmentation: one diagonal-covariance GMM per speaker, trained by EM on the frames
 * clustering gave it, then a Viterbi pass over each region (switching speaker costs `switchPenalty`
 * nats) puts every boundary where the models say the voice changes, not where a BIC window happened
 * to peak. Runs shorter than `minRun` frames are given to a neighbour.
 */
import type { FeatureMatrix } from "./gaussian.ts";

export interface ResegmentOptions {
  components: number;
  emIterations: number;
  switchPenalty: number;
  minRun: number;
  /** at most this many frames per speaker train its model (evenly spaced) */
  maxTrainFrames: number;
  iterations: number;
  /** a speaker with fewer frames than this is dropped */
  minSpeakerFrames: number;
}

export const RESEGMENT_DEFAULTS: ResegmentOptions = {
  components: 8,
  emIterations: 6,
  switchPenalty: 30,
  minRun: 30,
  maxTrainFrames: 30_000,
  iterations: 2,
  minSpeakerFrames: 100,
};

interface Gmm {
  k: number;
  d: number;
  logWeight: Float64Array;
  mean: Float64Array; // k × d
  invVar: Float64Array; // k × d
  logNorm: Float64Array; // per component: log weight − ½ Σ log(2π var)
}

const LOG_2PI = Math.log(2 * Math.PI);
const VAR_FLOOR = 1e-2;

/** Frames as (region, frame) pairs, flat: [r0, f0, r1, f1, …]. */
type FrameRefs = Int32Array;

function trainGmm(regions: FeatureMatrix[], refs: FrameRefs, k: number, iterations: number): Gmm {
  const d = regions[0]!.dim;
  const n = refs.length / 2;
  const kk = Math.max(1, Math.min(k, Math.floor(n / (4 * d)) || 1));
  const row = (i: number) =>
    regions[refs[2 * i]!]!.data.subarray(refs[2 * i + 1]! * d, refs[2 * i + 1]! * d + d);
  const g: Gmm = {
    k: kk,
    d,
    logWeight: new Float64Array(kk).fill(-Math.log(kk)),
    mean: new Float64Array(kk * d),
    invVar: new Float64Array(kk * d),
    logNorm: new Float64Array(kk),
  };
  // start: means at evenly spaced frames, the set's variance for all
  const mu = new Float64Array(d);
  const v = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const x = row(r);
    for (let i = 0; i < d; i++) {
      mu[i]! += x[i]! / n;
      v[i]! += (x[i]! * x[i]!) / n;
    }
  }
  for (let c = 0; c < kk; c++) {
    const x = row(Math.floor(((c + 0.5) * n) / kk));
    for (let i = 0; i < d; i++) {
      g.mean[c * d + i] = x[i]!;
      g.invVar[c * d + i] = 1 / Math.max(VAR_FLOOR, v[i]! - mu[i]! * mu[i]!);
    }
  }
  updateNorm(g);
  const post = new Float64Array(kk);
  for (let it = 0; it < iterations; it++) {
    const acc0 = new Float64Array(kk);
    const acc1 = new Float64Array(kk * d);
    const acc2 = new Float64Array(kk * d);
    for (let r = 0; r < n; r++) {
      const x = row(r);
      posteriors(g, x, 0, post);
      for (let c = 0; c < kk; c++) {
        const p = post[c]!;
        if (p < 1e-6) continue;
        acc0[c]! += p;
        for (let i = 0; i < d; i++) {
          acc1[c * d + i]! += p * x[i]!;
          acc2[c * d + i]! += p * x[i]! * x[i]!;
        }
      }
    }
    for (let c = 0; c < kk; c++) {
      const w = acc0[c]!;
      if (w < d) continue; // a starved component keeps its old parameters
      g.logWeight[c] = Math.log(w / n);
      for (let i = 0; i < d; i++) {
        const m = acc1[c * d + i]! / w;
        g.mean[c * d + i] = m;
        g.invVar[c * d + i] = 1 / Math.max(VAR_FLOOR, acc2[c * d + i]! / w - m * m);
      }
    }
    updateNorm(g);
  }
  return g;
}

function updateNorm(g: Gmm) {
  for (let c = 0; c < g.k; c++) {
    let s = 0;
    for (let i = 0; i < g.d; i++) s += Math.log(g.invVar[c * g.d + i]!);
    g.logNorm[c] = g.logWeight[c]! + 0.5 * s - 0.5 * g.d * LOG_2PI;
  }
}

/** log p(x) under the GMM; fills `post` with component posteriors when given. */
function posteriors(g: Gmm, x: ArrayLike<number>, offset: number, post?: Float64Array): number {
  let max = -Infinity;
  const ll = post ?? new Float64Array(g.k);
  for (let c = 0; c < g.k; c++) {
    let q = 0;
    for (let i = 0; i < g.d; i++) {
      const diff = x[offset + i]! - g.mean[c * g.d + i]!;
      q += diff * diff * g.invVar[c * g.d + i]!;
    }
    ll[c] = g.logNorm[c]! - 0.5 * q;
    if (ll[c]! > max) max = ll[c]!;
  }
  let sum = 0;
  for (let c = 0; c < g.k; c++) sum += Math.exp(ll[c]! - max);
  const total = max + Math.log(sum);
  if (post) for (let c = 0; c < g.k; c++) post[c] = Math.exp(ll[c]! - total);
  return total;
}

function frameCounts(labels: Int32Array[], speakers: number): number[] {
  const counts = new Array<number>(speakers).fill(0);
  for (const l of labels) for (const s of l) if (s >= 0) counts[s]!++;
  return counts;
}

/** Training frames per speaker from the current labels, evenly thinned to `max`. */
function trainingSets(labels: Int32Array[], speakers: number, max: number): FrameRefs[] {
  const counts = frameCounts(labels, speakers);
  const sets = counts.map((c) => new Int32Array(2 * Math.min(c, max)));
  const seen = new Array<number>(speakers).fill(0);
  const filled = new Array<number>(speakers).fill(0);
  labels.forEach((l, r) =>
    l.forEach((s, f) => {
      if (s < 0) return;
      const size = sets[s]!.length / 2;
      // frame number seen[s] of counts[s] is taken when it crosses the next of `size` even steps
      if (filled[s]! < size && Math.floor((seen[s]! * size) / counts[s]!) === filled[s]) {
        sets[s]![2 * filled[s]!] = r;
        sets[s]![2 * filled[s]! + 1] = f;
        filled[s]!++;
      }
      seen[s]!++;
    }),
  );
  return sets;
}

/**
 * New labels per frame of every region. `labels` holds the starting speaker of every frame
 * (0…speakers-1); a speaker left with no frames is dropped from the models.
 */
export function resegment(
  regions: FeatureMatrix[],
  labels: Int32Array[],
  speakers: number,
  opts: Partial<ResegmentOptions> = {},
): Int32Array[] {
  const o = { ...RESEGMENT_DEFAULTS, ...opts };
  let current = labels;
  // a speaker left with less than a second of speech is dropped: one more pass without it
  const tiny = () => frameCounts(current, speakers).some((c) => c > 0 && c < o.minSpeakerFrames);
  for (let it = 0; it < o.iterations || (it < o.iterations + 2 && tiny()); it++) {
    const sets = trainingSets(current, speakers, o.maxTrainFrames);
    const counts = frameCounts(current, speakers);
    const live = counts.map((c, i) => (c >= o.minSpeakerFrames ? i : -1)).filter((i) => i >= 0);
    if (live.length < 2) return current.map((l) => l.fill(live[0] ?? 0));
    const models = live.map((s) => trainGmm(regions, sets[s]!, o.components, o.emIterations));
    current = regions.map((m) => viterbi(m, models, live, o.switchPenalty, o.minRun));
  }
  return current;
}

function viterbi(
  m: FeatureMatrix,
  models: Gmm[],
  ids: number[],
  penalty: number,
  minRun: number,
): Int32Array {
  const n = m.frames;
  const k = models.length;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const back = new Int8Array(n * k);
  let score = new Float64Array(k);
  let next = new Float64Array(k);
  const ll = new Float64Array(n * k);
  for (let f = 0; f < n; f++) {
    for (let s = 0; s < k; s++) ll[f * k + s] = posteriors(models[s]!, m.data, f * m.dim);
  }
  for (let s = 0; s < k; s++) score[s] = ll[s]!;
  for (let f = 1; f < n; f++) {
    let bestPrev = 0;
    for (let s = 1; s < k; s++) if (score[s]! > score[bestPrev]!) bestPrev = s;
    for (let s = 0; s < k; s++) {
      const switched = score[bestPrev]! - penalty;
      const stay = score[s]!;
      const from = stay >= switched ? s : bestPrev;
      back[f * k + s] = from;
      next[s] = Math.max(stay, switched) + ll[f * k + s]!;
    }
    [score, next] = [next, score];
  }
  let s = 0;
  for (let j = 1; j < k; j++) if (score[j]! > score[s]!) s = j;
  for (let f = n - 1; f >= 0; f--) {
    out[f] = s;
    s = back[f * k + s]!;
  }
  absorbShortRuns(out, minRun, ll, k);
  for (let f = 0; f < n; f++) out[f] = ids[out[f]!]!;
  return out;
}

/** Runs shorter than `minRun` frames join the neighbour whose model fits them better. */
export function absorbShortRuns(states: Int32Array, minRun: number, ll: Float64Array, k: number): void {
  for (let changed = true; changed;) {
    changed = false;
    const runs: { s: number; from: number; to: number }[] = [];
    for (let f = 0; f < states.length; f++) {
      const last = runs[runs.length - 1];
      if (last && last.s === states[f]) last.to = f + 1;
      else runs.push({ s: states[f]!, from: f, to: f + 1 });
    }
    if (runs.length < 2) return;
    // the shortest run first
    let i = 0;
    for (let j = 1; j < runs.length; j++)
      if (runs[j]!.to - runs[j]!.from < runs[i]!.to - runs[i]!.from) i = j;
    const r = runs[i]!;
    if (r.to - r.from >= minRun) return;
    const fit = (s: number) => {
      let t = 0;
      for (let f = r.from; f < r.to; f++) t += ll[f * k + s]!;
      return t;
    };
    const prev = runs[i - 1];
    const nextRun = runs[i + 1];
    const to = !prev ? nextRun!.s : !nextRun ? prev.s : fit(prev.s) >= fit(nextRun.s) ? prev.s : nextRun.s;
    states.fill(to, r.from, r.to);
    changed = true;
  }
}
