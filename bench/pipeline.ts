/**
 * Pipeline benchmark: 1-, 10- and 60-minute two-channel calls (flite voices taking turns, as in a
 * real call each channel is silent while the other speaks) through the server's pipeline (ffprobe,
 * streamed decode + channel comparison + silero VAD in a worker thread, second streamed decode
 * cutting voiced clips, PocketSphinx on both channels in parallel), next to the recognizer alone
 * on the same audio (each channel decoded whole in 20 s pieces, no VAD, one channel after the
 * other: what you get by feeding the recognizer directly). Every measurement runs in its own child
 * process so its peak RSS (VmHWM) is its own; decoders are warmed up before the clock starts.
 *
 *   npm run bench:pipeline            (MINUTES=1,10,60 by default)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPocketsphinxRecognizer } from "../src/engines/asr/pocketsphinx.ts";
import { clipsOf, SAMPLE_RATE, type TimeRange } from "../src/engines/asr/types.ts";
import { createAudioThread } from "../src/pipeline/audio-thread.ts";
import { decodeChannels } from "../src/pipeline/decode.ts";
import { transcribeFile } from "../src/pipeline/transcribe.ts";
import { sayPcm } from "../test/helpers/audio.ts";
import { writeMinuteCall } from "../test/helpers/call.ts";

const MINUTES = (process.env.MINUTES ?? "1,10,60").split(",").map(Number);
const PIECE_S = 20;

interface Measure {
  wallS: number;
  peakRssMb: number;
  words: number;
}

function makeCall(dir: string, minute: string, minutes: number): string {
  if (minutes === 1) return minute;
  const file = path.join(dir, `call-${minutes}min.wav`);
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-stream_loop",
    String(minutes - 1),
    "-i",
    minute,
    "-c",
    "copy",
    file,
  ]);
  return file;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Child side: one measurement, printed as JSON on the last line. */
async function runOne(mode: "pipeline" | "alone", file: string): Promise<Measure> {
  const recognizer = createPocketsphinxRecognizer();
  const warm = sayPcm("warm up the decoders");
  await Promise.all(
    [0, 1].map(() => recognizer.recognize({ clips: clipsOf(warm, [{ start: 0, end: 1 }]), lang: "en" })),
  );
  const audio = createAudioThread();
  try {
    const t0 = performance.now();
    let words = 0;
    if (mode === "pipeline") {
      const t = await transcribeFile(
        { audioPath: file, audioName: path.basename(file), lang: "en" },
        { recognizer, scan: (f, c) => audio.scan(f, c) },
      );
      words = t.transcript.reduce((n, i) => n + i.text.split(" ").length, 0);
    } else {
      // one channel in memory at a time, in pieces the decoder can take as one utterance
      for (let c = 0; c < 2; c++) {
        const pcm = (await decodeChannels(file, 2))[c]!;
        const pieces: TimeRange[] = [];
        for (let s = 0; s < pcm.length / SAMPLE_RATE; s += PIECE_S)
          pieces.push({ start: s, end: s + PIECE_S });
        const segs = await recognizer.recognize({ clips: clipsOf(pcm, pieces), lang: "en" });
        words += segs.reduce((n, s) => n + s.text.split(" ").length, 0);
      }
    }
    return { wallS: (performance.now() - t0) / 1000, peakRssMb: peakRssMb(), words };
  } finally {
    await audio.close();
    await recognizer.close();
  }
}

function measure(mode: "pipeline" | "alone", file: string): Measure {
  const out = execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, mode, file], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Measure;
}

async function main() {
  const [mode, file] = process.argv.slice(2);
  if (mode === "pipeline" || mode === "alone") {
    console.log(JSON.stringify(await runOne(mode, file!)));
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-bench-"));
  try {
    const minute = writeMinuteCall(dir);
    console.log(
      `two-channel calls, ${os.cpus().length} cores; RTF = wall seconds per call second; one run each`,
    );
    console.log(
      "call     | pipeline wall   RTF    peak RSS | recognizer alone wall   RTF    peak RSS | speed-up | words (pipeline / alone)",
    );
    const rss: number[] = [];
    for (const minutes of MINUTES) {
      const file = makeCall(dir, minute, minutes);
      const seconds = minutes * 60;
      const p = measure("pipeline", file);
      const a = measure("alone", file);
      rss.push(p.peakRssMb);
      const cell = (m: Measure) =>
        `${m.wallS.toFixed(1).padStart(7)} s ${(m.wallS / seconds).toFixed(3)} ${String(m.peakRssMb).padStart(6)} MB`;
      console.log(
        `${String(minutes).padStart(3)} min  | ${cell(p)}       | ${cell(a)}               | ${(a.wallS / p.wallS).toFixed(2)}x    | ${p.words} / ${a.words}`,
      );
    }
    const spread = (Math.max(...rss) / Math.min(...rss) - 1) * 100;
    console.log(`pipeline peak RSS from ${MINUTES[0]} to ${MINUTES.at(-1)} min: +${spread.toFixed(0)} %`);
    console.log(`ffmpeg: ${execFileSync("ffmpeg", ["-version"]).toString().split("\n")[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
