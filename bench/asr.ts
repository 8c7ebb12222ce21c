/**
 * Recognizer benchmark: the same 60 s two-channel call (flite voices taking turns, as in
 * bench/pipeline.ts) through the server's pipeline (ffprobe, decode + VAD in the audio thread,
 * voiced clips to the recognizer, both channels in parallel) with each recognizer:
 *   - PocketSphinx, the embedded default (two decoders);
 *   - local Whisper (@napi-rs/whisper, whisper.cpp) with the "tiny" and "base" layouts and random
 *     weights (scripts/make-ggml-model.ts): the text is meaningless, the cost is whisper.cpp's
 *     (one encoder pass per window of up to 30 s, and a decoder that emits tokens and timestamps
 *     like a trained one).
 * Each measurement runs in its own child process so its peak RSS (VmHWM) is its own; models are
 * loaded and decoders warmed up before the clock starts. RTF = wall seconds per call second; CPU
 * = process CPU seconds (all threads) per call second; calls = recognizer calls (PocketSphinx: one
 * per voiced clip; Whisper: one per window, with its encoder passes in brackets).
 *
 *   npm run bench:asr            (THREADS=1,2 adds Whisper rows per thread count)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureGgmlModel, type ModelSize } from "../scripts/make-ggml-model.ts";
import { createPocketsphinxRecognizer } from "../src/engines/asr/pocketsphinx.ts";
import { clipsOf, type Recognizer } from "../src/engines/asr/types.ts";
import { createWhisperRecognizer, type WhisperRecognizer } from "../src/engines/asr/whisper.ts";
import { createAudioThread } from "../src/pipeline/audio-thread.ts";
import { transcribeFile } from "../src/pipeline/transcribe.ts";
import { sayPcm } from "../test/helpers/audio.ts";
import { writeMinuteCall } from "../test/helpers/call.ts";
import { execFileSync } from "node:child_process";

const CALL_S = 60;

interface Engine {
  label: string;
  kind: "pocketsphinx" | "whisper";
  size?: ModelSize;
  threads?: number;
}

interface Measure {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  items: number;
  words: number;
  calls: number;
  /** Whisper: 30 s encoder passes (one per call, more when whisper re-seeks inside a window) */
  encoderPasses: number | null;
  loadS: number;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Child side: one engine on the call, printed as JSON on the last line. */
async function runOne(engine: Engine, file: string): Promise<Measure> {
  const t0 = performance.now();
  let recognizer: Recognizer;
  let whisper: WhisperRecognizer | undefined;
  if (engine.kind === "whisper") {
    whisper = createWhisperRecognizer({ model: ensureGgmlModel(engine.size!), threads: engine.threads });
    await whisper.load();
    recognizer = whisper;
  } else {
    recognizer = createPocketsphinxRecognizer();
    const warm = sayPcm("warm up the decoders");
    await Promise.all(
      [0, 1].map(() => recognizer.recognize({ clips: clipsOf(warm, [{ start: 0, end: 1 }]), lang: "en" })),
    );
  }
  const loadS = (performance.now() - t0) / 1000;
  // recognizer calls: one per clip for PocketSphinx, one per window (≤ 30 s) for Whisper
  let calls = 0;
  const inner = recognizer;
  recognizer = {
    ...inner,
    recognize: (input) =>
      inner.recognize({
        ...input,
        onVoicedDone: (s) => {
          calls++;
          input.onVoicedDone?.(s);
        },
      }),
    close: () => inner.close(),
  };
  const audio = createAudioThread();
  try {
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const t = await transcribeFile(
      { audioPath: file, audioName: path.basename(file), lang: "en" },
      { recognizer, scan: (f, c) => audio.scan(f, c) },
    );
    const wallS = (performance.now() - t1) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      wallS,
      cpuS: (cpu.user + cpu.system) / 1e6,
      peakRssMb: peakRssMb(),
      items: t.transcript.length,
      words: t.transcript.reduce((n, i) => n + i.text.split(" ").length, 0),
      calls,
      encoderPasses: whisper?.stats.encoderPasses ?? null,
      loadS,
    };
  } finally {
    await audio.close();
    await recognizer.close();
  }
}

function measure(engine: Engine, file: string): Measure {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", import.meta.filename, "--child", JSON.stringify(engine), file],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Measure;
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    console.log(JSON.stringify(await runOne(JSON.parse(args[1]!) as Engine, args[2]!)));
    return;
  }
  const threadCounts = process.env.THREADS
    ? process.env.THREADS.split(",").map(Number)
    : [Math.min(4, Math.max(1, Math.floor(os.availableParallelism() / 2)))];
  const engines: Engine[] = [{ label: "PocketSphinx (2 decoders)", kind: "pocketsphinx" }];
  for (const size of ["tiny", "base"] as const) {
    // written once per size and cached in the temp directory (not timed)
    const bytes = readFileSync(ensureGgmlModel(size)).length;
    for (const threads of threadCounts) {
      engines.push({
        label: `Whisper ${size}, random (${Math.round(bytes / 1e6)} MB), ${threads} thr`,
        kind: "whisper",
        size,
        threads,
      });
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-bench-asr-"));
  try {
    const file = writeMinuteCall(dir);
    const load = os.loadavg()[0]!.toFixed(1);
    console.log(
      `60 s two-channel call through the pipeline, ${os.availableParallelism()} cores (load ${load}); one run each`,
    );
    console.log(
      "engine                                  |  wall s    RTF | CPU s  CPU/s | peak RSS | load s | calls (enc.) | items  words",
    );
    for (const engine of engines) {
      const m = measure(engine, file);
      console.log(
        `${engine.label.padEnd(39)} | ${m.wallS.toFixed(1).padStart(6)}  ${(m.wallS / CALL_S).toFixed(3)} | ` +
          `${m.cpuS.toFixed(1).padStart(5)}  ${(m.cpuS / CALL_S).toFixed(3)} | ${String(m.peakRssMb).padStart(5)} MB | ` +
          `${m.loadS.toFixed(1).padStart(6)} | ${`${m.calls}${m.encoderPasses === null ? "" : ` (${m.encoderPasses})`}`.padStart(12)} | ${String(m.items).padStart(5)}  ${String(m.words).padStart(5)}`,
      );
    }
    console.log(`load average after the run: ${os.loadavg()[0]!.toFixed(1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
