/**
 * Speaker diarization of one channel from its voiced regions' MFCCs: the speech frames (pauses
 * left out), normalised over the call → BIC change points inside each region, pieces of at most
 * 3 s → BIC clustering of the pieces into `min`…`max` speakers → GMM/Viterbi resegmentation of
 * every frame → time ranges per speaker, speaker 0 being whoever speaks first. Pure and
 * synchronous: the server runs it in the audio worker thread during the scan. The features' arrays
 * are reused as scratch: read them before.
 *
 * Measured with bench/diarization.ts (README "Speakers"); the defaults below were chosen there:
 * 40 mel bands rather than 24 took two-speaker DER at 16 kHz from 11.7 to 8.2 %, leaving pauses
 * out of the models from 44 % (a "silence speaker") to 12 %; pieces of at most 3 s together with
 * dropping a speaker left with under 1 s of speech made the one-or-two decision right on all 8
 * one-voice calls at 16 kHz (was 5).
 */
import type { TimeRange } from "../../engines/asr/types.ts";
import { clusterSegments, type ClusterOptions } from "./cluster.ts";
import { frameEdge, type RegionFeatures } from "./features.ts";
import { accumulate, emptyStats, type FeatureMatrix, type Stats } from "./gaussian.ts";
import { resegment, type ResegmentOptions } from "./resegment.ts";
import { MFCC_DEFAULTS } from "./mfcc.ts";
import { changePoints, type ChangeOptions } from "./segment.ts";

export interface SpeakerHints {
  min: number;
  max: number;
}

/** A call has two parties; one voice alone stays one speaker. */
export const DEFAULT_SPEAKER_HINTS: SpeakerHints = { min: 1, max: 2 };
export const MAX_SPEAKERS = 10;

export interface DiarizeOptions {
  /** which MFCCs to use: [first, end) of the stored coefficients */
  dims: [number, number];
  /** frames this far below the call's loud ones (95th percentile of c0) are pauses, not voices */
  quietDb: number;
  change: Partial<ChangeOptions>;
  /** speech frames: longer segments are cut in equal parts before clustering */
  maxSegment: number;
  cluster: Pick<ClusterOptions, "lambda" | "threshold">;
  resegment: Partial<ResegmentOptions> | false;
}

export const DIARIZE_DEFAULTS: DiarizeOptions = {
  dims: [1, 20],
  quietDb: 35,
  change: {},
  maxSegment: 300,
  // λ 0.9: two-voice DER 8.9 → 7.2 % at 16 kHz, but 2 of 8 one-voice calls split in two
  cluster: { lambda: 1, threshold: 0 },
  resegment: {},
};

export interface Diarization {
  /** per speaker (0 speaks first), voiced ranges in time order */
  regions: TimeRange[][];
}

/** Whole regions to speaker 0: what the pipeline did before diarization. */
export const oneSpeaker = (regions: TimeRange[]): Diarization => ({
  regions: [regions.map((r) => ({ ...r }))],
});

export function diarize(
  features: RegionFeatures[],
  hints: SpeakerHints = DEFAULT_SPEAKER_HINTS,
  opts: Partial<DiarizeOptions> = {},
): Diarization {
  const o = { ...DIARIZE_DEFAULTS, ...opts };
  const ranges = features.map((f) => f.range);
  if (hints.max <= 1) return oneSpeaker(ranges);
  const speech = speechFrames(features, o.dims, o.quietDb);

  // segments: pieces of regions between change points, none longer than maxSegment (a missed
  // change then still leaves pure pieces for the clustering to find)
  const segments: { region: number; from: number; to: number }[] = [];
  speech.forEach(({ m }, region) => {
    if (m.frames === 0) return;
    const cuts = [0, ...changePoints(m, o.change), m.frames];
    for (let i = 1; i < cuts.length; i++) {
      const [from, to] = [cuts[i - 1]!, cuts[i]!];
      const parts = Math.ceil((to - from) / o.maxSegment);
      for (let k = 0; k < parts; k++) {
        segments.push({
          region,
          from: from + Math.round(((to - from) * k) / parts),
          to: from + Math.round(((to - from) * (k + 1)) / parts),
        });
      }
    }
  });
  if (segments.length === 0) return oneSpeaker(ranges);
  const d = o.dims[1] - o.dims[0];
  const stats: Stats[] = segments.map((s) => accumulate(emptyStats(d), speech[s.region]!.m, s.from, s.to));
  const clustering = clusterSegments(stats, { min: hints.min, max: hints.max, ...o.cluster });
  if (clustering.count <= 1) return oneSpeaker(ranges);

  let labels: Int32Array[] = speech.map(({ m }) => new Int32Array(m.frames).fill(-1));
  segments.forEach((s, i) => labels[s.region]!.fill(clustering.labels[i]!, s.from, s.to));
  if (o.resegment) {
    labels = resegment(
      speech.map((s) => s.m),
      labels,
      clustering.count,
      o.resegment,
    );
  }
  return toRanges(
    features,
    labels.map((l, r) => spread(l, speech[r]!.index, features[r]!.frames)),
  );
}

/**
 * The frames worth modelling, per region: those within `quietDb` of the call's loud frames (pauses,
 * breaths and line noise inside a voiced region would otherwise form a "speaker" of their own),
 * with the chosen coefficients normalised to zero mean and unit variance over the call. Written
 * over the regions' own arrays (an hour of speech holds ~29 MB of features: no second copy).
 */
function speechFrames(features: RegionFeatures[], [lo, hi]: [number, number], quietDb: number) {
  const c0 = (f: RegionFeatures, k: number) => f.data[k * f.dim]!;
  const all = new Float32Array(features.reduce((n, f) => n + f.frames, 0));
  let j = 0;
  for (const f of features) for (let k = 0; k < f.frames; k++) all[j++] = c0(f, k);
  all.sort();
  const q = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? 0;
  // c0 is Σ log(band energy) / √bands: 10 dB is ln(10)·√bands
  const tenDb = Math.LN10 * Math.sqrt(MFCC_DEFAULTS.melBands);
  const threshold = Math.max(q(0.95) - (quietDb / 10) * tenDb, (q(0.05) + q(0.95)) / 2);
  const d = hi - lo;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  let n = 0;
  const kept = features.map((f) => {
    const index: number[] = [];
    for (let k = 0; k < f.frames; k++) {
      if (c0(f, k) < threshold) continue;
      index.push(k);
      for (let i = 0; i < d; i++) {
        const x = f.data[k * f.dim + lo + i]!;
        mean[i]! += x;
        sq[i]! += x * x;
      }
    }
    n += index.length;
    return Int32Array.from(index);
  });
  const scale = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    mean[i] = mean[i]! / Math.max(1, n);
    scale[i] = 1 / Math.sqrt(Math.max(1e-8, sq[i]! / Math.max(1, n) - mean[i]! * mean[i]!));
  }
  const row = new Float64Array(d);
  return features.map((f, r) => {
    const index = kept[r]!;
    // kept row `j` comes from frame index[j] ≥ j, and d ≤ dim: writing it never reaches a later frame
    index.forEach((k, j) => {
      for (let i = 0; i < d; i++) row[i] = (f.data[k * f.dim + lo + i]! - mean[i]!) * scale[i]!;
      f.data.set(row, j * d);
    });
    const m: FeatureMatrix = { data: f.data.subarray(0, index.length * d), dim: d, frames: index.length };
    return { m, index };
  });
}

/** Labels of the kept frames → every frame of the region: a pause goes half to each side. */
export function spread(labels: Int32Array, index: Int32Array, frames: number): Int32Array {
  const out = new Int32Array(frames).fill(-1);
  if (index.length === 0) return out;
  for (let i = 0; i < index.length; i++) {
    const from = i === 0 ? 0 : Math.ceil((index[i - 1]! + index[i]!) / 2);
    const to = i === index.length - 1 ? frames : Math.ceil((index[i]! + index[i + 1]!) / 2);
    out.fill(labels[i]!, from, to);
  }
  return out;
}

/** Frame labels → time ranges per speaker, renumbered by first appearance; boundaries between frames. */
export function toRanges(features: RegionFeatures[], labels: Int32Array[]): Diarization {
  const order = new Map<number, number>();
  const pieces: { speaker: number; range: TimeRange }[] = [];
  let last = 0;
  features.forEach((f, r) => {
    const l = labels[r]!;
    if (l.length === 0 || l[0] === -1) {
      // no frame to judge by (too short, or only quiet ones): the previous speaker's
      pieces.push({ speaker: last, range: { ...f.range } });
      return;
    }
    let start = f.range.start;
    for (let k = 1; k <= l.length; k++) {
      if (k < l.length && l[k] === l[k - 1]) continue;
      const end = k === l.length ? f.range.end : round3(frameEdge(f.firstFrame + k));
      if (end > start) pieces.push({ speaker: l[k - 1]!, range: { start, end } });
      last = l[k - 1]!;
      start = end;
    }
  });
  pieces.sort((a, b) => a.range.start - b.range.start);
  for (const p of pieces) if (!order.has(p.speaker)) order.set(p.speaker, order.size);
  const regions: TimeRange[][] = Array.from({ length: Math.max(1, order.size) }, () => []);
  for (const p of pieces) regions[order.get(p.speaker) ?? 0]!.push(p.range);
  return { regions };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
