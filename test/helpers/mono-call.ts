/**
 * One-channel calls with several voices taking turns (flite voices, or espeak-ng ones written
 * `espeak:<voice>`), with the reference turns (speech extents, trimmed of the synthesiser's
 * leading and trailing silence) for diarization tests and the DER benchmark.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Turn } from "../../src/pipeline/diarization/der.ts";
import { concatPcm, RATE, readPcm16, sayPcm, silence, tempDir, writeWav } from "./audio.ts";

export interface MonoTurn {
  voice: string;
  text: string;
}

export interface MonoCall {
  path: string;
  duration: number;
  /** speech extents, speaker = the turn's voice */
  reference: Turn[];
}

/** Samples of `text` in `voice` ("slt", "rms", …, "espeak:en-us+f3", or "file:<wav>" for a recording). */
export function voicePcm(text: string, voice: string): Int16Array {
  if (voice.startsWith("file:")) return readPcm16(voice.slice(5));
  if (!voice.startsWith("espeak:")) return sayPcm(text, voice);
  const { dir, cleanup } = tempDir("callscribe-espeak-");
  try {
    const raw = join(dir, "e.wav");
    execFileSync("espeak-ng", ["-v", voice.slice(7), "-s", "165", "-w", raw, text], { stdio: "pipe" });
    return readPcm16(raw);
  } finally {
    cleanup();
  }
}

/** [first, end) sample of the clip's speech: 10 ms frames louder than 3 % of its loudest one. */
export function speechExtent(pcm: Int16Array): [number, number] {
  const hop = RATE / 100;
  const rms: number[] = [];
  for (let i = 0; i + hop <= pcm.length; i += hop) {
    let s = 0;
    for (let j = i; j < i + hop; j++) s += pcm[j]! * pcm[j]!;
    rms.push(Math.sqrt(s / hop));
  }
  const floor = Math.max(50, 0.03 * Math.max(0, ...rms));
  const first = rms.findIndex((r) => r > floor);
  if (first < 0) return [0, 0];
  let last = rms.length - 1;
  while (rms[last]! <= floor) last--;
  return [first * hop, (last + 1) * hop];
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Lays the turns out one after another on one channel, the pause before each drawn from
 * [minGapS, maxGapS] (the synthesiser's own silence is trimmed first).
 */
export function makeMonoCall(
  dir: string,
  turns: MonoTurn[],
  opts: { name?: string; minGapS?: number; maxGapS?: number; seed?: number; leadS?: number } = {},
): MonoCall {
  const rand = seeded(opts.seed ?? 7);
  const [minGap, maxGap] = [opts.minGapS ?? 0.3, opts.maxGapS ?? 1.0];
  const parts: Int16Array[] = [silence(opts.leadS ?? 0.5)];
  let t = parts[0]!.length;
  const reference: Turn[] = [];
  turns.forEach((turn, i) => {
    const pcm = voicePcm(turn.text, turn.voice);
    const [a, b] = speechExtent(pcm);
    if (i > 0) {
      const gap = silence(minGap + (maxGap - minGap) * rand());
      parts.push(gap);
      t += gap.length;
    }
    parts.push(pcm.subarray(a, b));
    reference.push({
      start: t / RATE,
      end: (t + b - a) / RATE,
      speaker: turn.voice.startsWith("file:") ? "recording" : turn.voice,
    });
    t += b - a;
  });
  parts.push(silence(0.5));
  const all = concatPcm(...parts);
  const path = writeWav(join(dir, opts.name ?? "mono-call.wav"), all);
  return { path, duration: all.length / RATE, reference };
}

/** The same call as a phone line delivers it: 8 kHz µ-law WAV. */
export function toMulaw(path: string, out: string): string {
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", path, "-ar", "8000", "-acodec", "pcm_mulaw", out]);
  return out;
}
