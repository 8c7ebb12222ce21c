/**
 * Pipeline benchmark: real-time factor of the full server pipeline (ffprobe + ffmpeg decode +
 * silero VAD + PocketSphinx, channels in parallel) on a 60 s two-channel call, next to the
 * recognizer alone on the same audio (each channel decoded whole, one after the other: what you
 * would get by feeding the recognizer directly). Both are measured in the same run.
 *
 *   npm run bench            (RUNS=3 by default)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPocketsphinxRecognizer } from "../src/engines/asr/pocketsphinx.ts";
import { SAMPLE_RATE } from "../src/engines/asr/types.ts";
import { decodeChannels } from "../src/pipeline/decode.ts";
import { transcribeFile } from "../src/pipeline/transcribe.ts";
import { prepareAudio } from "../src/pipeline/prepare.ts";
import { createVad } from "../src/pipeline/vad.ts";
import { concatPcm, sayPcm, silence, writeWav } from "../test/helpers/audio.ts";
import { CALL_SCRIPT } from "../test/helpers/call.ts";

const RUNS = Number(process.env.RUNS ?? 3);
const TARGET_S = 60;

function makeCall(dir: string): { file: string; seconds: number } {
  const lines = CALL_SCRIPT.map((l) => ({
    speaker: l.speaker,
    pcm: sayPcm(l.text, l.speaker ? "rms" : "slt"),
  }));
  const ch: Int16Array[][] = [[], []];
  let t = 0;
  for (let i = 0; t < TARGET_S; i++) {
    const line = lines[i % lines.length]!;
    const len = line.pcm.length / SAMPLE_RATE + 0.7;
    if (t + len > TARGET_S) break;
    ch[line.speaker]!.push(line.pcm, silence(0.7));
    ch[1 - line.speaker]!.push(silence(len));
    t += len;
  }
  const pad = (parts: Int16Array[]) => {
    const pcm = concatPcm(...parts);
    return concatPcm(pcm, silence(TARGET_S - pcm.length / SAMPLE_RATE));
  };
  const file = writeWav(path.join(dir, "call60.wav"), [pad(ch[0]!), pad(ch[1]!)]);
  return { file, seconds: TARGET_S };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up: model pages, JIT
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-bench-"));
  const recognizer = createPocketsphinxRecognizer();
  const vad = createVad();
  try {
    const { file, seconds } = makeCall(dir);
    const channels = await decodeChannels(file, 2);
    const whole = (pcm: Int16Array) => [{ start: 0, end: pcm.length / SAMPLE_RATE }];

    const alone = await time(async () => {
      for (const pcm of channels) await recognizer.recognize({ pcm, regions: whole(pcm), lang: "en" });
    });
    const pipeline = await time(() =>
      transcribeFile(
        { audioPath: file, audioName: "call60.wav", lang: "en" },
        { recognizer, prepare: (f, c) => prepareAudio(f, c, vad) },
      ),
    );
    const cpus = os.cpus().length;
    const audio = seconds * 2;
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(46)} ${median(xs).toFixed(2).padStart(6)} s   RTF ${(median(xs) / seconds).toFixed(3)} per call-second, ${(median(xs) / audio).toFixed(3)} per channel-second`;
    console.log(`60 s two-channel call (${audio} s of channel audio), ${cpus} cores, median of ${RUNS} runs`);
    console.log(row("recognizer alone (whole channels, sequential)", alone));
    console.log(row("full pipeline (probe+decode+VAD+ASR parallel)", pipeline));
    console.log(
      `speed-up of the pipeline over the recognizer alone: ${(median(alone) / median(pipeline)).toFixed(2)}x`,
    );
    console.log(`ffmpeg: ${execFileSync("ffmpeg", ["-version"]).toString().split("\n")[0]}`);
  } finally {
    await recognizer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
