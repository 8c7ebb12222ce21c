/**
 * Streamed feature extraction: the channel's samples go through block by block and only the frames
 * whose centre lies in a voiced region are turned into MFCCs and kept (a few floats per 10 ms of
 * speech; no PCM is held beyond one 25 ms window).
 */
import { SAMPLE_RATE, type TimeRange } from "../../engines/asr/types.ts";
import type { FeatureMatrix } from "./gaussian.ts";
import { createMfcc, FRAME_HOP, FRAME_LEN, type MfccOptions } from "./mfcc.ts";

export interface RegionFeatures extends FeatureMatrix {
  range: TimeRange;
  /** index of the region's first frame on the channel's 10 ms grid */
  firstFrame: number;
}

export interface FeatureSink {
  /** the channel's next samples (16 kHz mono), in order */
  push(pcm: Int16Array): void;
  /** one matrix per region (a region shorter than a frame gets an empty one) */
  finish(): RegionFeatures[];
}

/** Frames of the 10 ms grid whose centre lies in [start, end) seconds. */
export function framesOf(r: TimeRange): { first: number; end: number } {
  const half = FRAME_LEN / 2;
  const first = Math.max(0, Math.ceil((r.start * SAMPLE_RATE - half) / FRAME_HOP));
  const end = Math.max(first, Math.ceil((r.end * SAMPLE_RATE - half) / FRAME_HOP));
  return { first, end };
}

/** Time (seconds) of the boundary between frame k-1 and frame k (a frame's centre ± 5 ms). */
export const frameEdge = (k: number) => (k * FRAME_HOP + FRAME_LEN / 2 - FRAME_HOP / 2) / SAMPLE_RATE;

export function collectFeatures(regions: TimeRange[], opts: MfccOptions = {}): FeatureSink {
  const mfcc = createMfcc(opts);
  const dim = mfcc.coefficients;
  const out: RegionFeatures[] = regions.map((range) => {
    const { first, end } = framesOf(range);
    return {
      range,
      firstFrame: first,
      frames: end - first,
      dim,
      data: new Float32Array((end - first) * dim),
    };
  });
  let region = 0;
  let k = out[0]?.firstFrame ?? 0; // next frame to compute
  // samples [bufStart, bufStart + bufLen) of the channel
  let buf = new Int16Array(0);
  let bufStart = 0;
  const frame = new Float64Array(FRAME_LEN);

  /** Computes every frame whose samples are all in the buffer (or all, zero-padded, at the end). */
  const drain = (final: boolean) => {
    while (region < out.length) {
      const r = out[region]!;
      if (k >= r.firstFrame + r.frames) {
        region++;
        if (region < out.length) k = Math.max(k, out[region]!.firstFrame);
        continue;
      }
      const s0 = k * FRAME_HOP;
      if (!final && s0 + FRAME_LEN > bufStart + buf.length) return;
      for (let i = 0; i < FRAME_LEN; i++) frame[i] = buf[s0 - bufStart + i] ?? 0;
      const previous = s0 > bufStart ? buf[s0 - bufStart - 1]! : frame[0]!;
      mfcc.compute(frame, previous, r.data, (k - r.firstFrame) * dim);
      k++;
    }
  };

  return {
    push(pcm) {
      // keep only what the next frame needs (from one sample before it)
      const keepFrom = Math.max(bufStart, k * FRAME_HOP - 1);
      const kept = keepFrom - bufStart < buf.length ? buf.subarray(keepFrom - bufStart) : new Int16Array(0);
      const end = bufStart + buf.length + pcm.length;
      if (region >= out.length || k * FRAME_HOP >= end) {
        // nothing to compute yet: remember only the tail a frame starting later could need
        const tail = pcm.subarray(Math.max(0, pcm.length - 1));
        buf = Int16Array.from(tail);
        bufStart = end - tail.length;
        return;
      }
      const next = new Int16Array(kept.length + pcm.length);
      next.set(kept);
      next.set(pcm, kept.length);
      buf = next;
      bufStart = end - next.length;
      drain(false);
    },
    finish() {
      drain(true);
      return out;
    },
  };
}
