/**
 * whisper.cpp (npm `@napi-rs/whisper`, native binary in the package) in a worker thread: the
 * binding's `full()` is synchronous and takes ~0.5-10 s per 30 s window, so it must not run on the
 * server's event loop. The thread loads the model once at start and serves one window at a time.
 *
 * About the binding (0.0.4; it bundles whisper.cpp 1.7.x, late 2024: ggml/src/ggml-cpu.c, DTW
 * and flash-attention options, the classic ggml .bin loader):
 * - Its `setupLogger` is never called: issue 11 saw it deadlock with the synchronous `full()`, and
 *   its hook rebuilds the callback's Box from the raw pointer on every message and drops it
 *   (freed after the first message). Without it the binding's own hook, installed when the module
 *   loads, drops every whisper.cpp/ggml message, which suits a server: we report errors ourselves.
 * - `full()` returns the text only. Times come from `onNewSegment`, a thread-safe callback queued
 *   while `full()` runs and delivered once the thread's event loop turns: we wait for them after
 *   `full()` returns, until they add up to the returned text.
 * - Word times: token timestamps with `maxLen = 1` + `splitOnWord`, so each segment is one word
 *   (whisper.cpp's own way to word-level output). Token probabilities are not exposed, so word
 *   confidence is null.
 * - Greedy decoding only: setting the beam-search strategy panics inside the binding and aborts the
 *   process.
 * - A thread that loaded the binding must hold a loaded model when it ends, or the process dies
 *   (SIGSEGV): after a failed load the thread loads a 1 MB all-zero model (minimalWhisperModel).
 */
import { createRequire } from "node:module";
import { createThreadRpc, serveThreadRpc } from "../../worker/thread-rpc.ts";
import { minimalWhisperModel } from "./whisper-model.ts";

export interface WhisperThreadOptions {
  model: string;
  /** threads whisper.cpp uses for one window */
  threads: number;
}

export interface WindowRequest {
  /** 16 kHz mono signed 16-bit */
  pcm: Int16Array;
  /** ISO 639-1, or "auto" */
  lang: string;
  /** whisper's initial prompt ("" for none) */
  prompt: string;
}

/** One word: text, start and end in centiseconds from the start of the window. */
export type TimedWord = [text: string, t0: number, t1: number];

type Request = { op: "load" } | ({ op: "window" } & WindowRequest);
/** A window's words, and how many 30 s encoder passes whisper.cpp made for it (it re-seeks when
 * the decoded segments stop short of the window's end). */
export interface WindowResult {
  words: TimedWord[];
  encoderPasses: number;
}

type Response = { multilingual: boolean } | WindowResult;

export interface WhisperThread {
  /** resolves once the model is loaded; rejects with whisper.cpp's error if it cannot be */
  load(): Promise<{ multilingual: boolean }>;
  transcribe(req: WindowRequest): Promise<WindowResult>;
  close(): Promise<void>;
}

export function createWhisperThread(opts: WhisperThreadOptions): WhisperThread {
  const rpc = createThreadRpc<Request, Response>(import.meta.url, opts);
  return {
    load: async () => (await rpc.call({ op: "load" })) as { multilingual: boolean },
    transcribe: async (req) => (await rpc.call({ op: "window", ...req })) as WindowResult,
    close: () => rpc.close(),
  };
}

// ---- the thread's half ----

type Binding = typeof import("@napi-rs/whisper");

/** Shortest input whisper.cpp decodes (it skips anything under 1 s). */
const MIN_SAMPLES = 16_000 + 800;

serveThreadRpc<Request, Response>(import.meta.url, (data) => {
  const opts = data as WhisperThreadOptions;
  const w = createRequire(import.meta.url)("@napi-rs/whisper") as Binding;
  let ctx: InstanceType<Binding["Whisper"]>;
  try {
    ctx = new w.Whisper(opts.model);
  } catch (e) {
    // A thread that loaded the binding but no model crashes the process when it ends (SIGSEGV,
    // 0.0.4), even on terminate(): hold the smallest model there is, and answer with the error.
    const failure = (e as Error).message;
    const sentinel = new w.Whisper(minimalWhisperModel());
    return () => {
      void sentinel;
      throw new Error(failure);
    };
  }
  const multilingual = ctx.isMultilingual !== 0;
  return async (req) => {
    if (req.op === "load") return { multilingual };
    const samples = new Float32Array(Math.max(req.pcm.length, MIN_SAMPLES));
    for (let i = 0; i < req.pcm.length; i++) samples[i] = req.pcm[i]! / 32768;
    const params = new w.WhisperFullParams(w.WhisperSamplingStrategy.Greedy);
    params.nThreads = opts.threads;
    params.language = multilingual ? req.lang : "en";
    params.printProgress = false;
    params.printRealtime = false;
    params.printTimestamps = false;
    params.tokenTimestamps = true;
    params.maxLen = 1;
    params.splitOnWord = true;
    if (req.prompt) params.initialPrompt = req.prompt;
    const words: TimedWord[] = [];
    params.onNewSegment = (s) => words.push([s.text, s.start, s.end]);
    let encoderPasses = 0;
    params.onEncoderBegin = () => encoderPasses++;
    const text = ctx.full(params, samples);
    await segmentsDelivered(words, text);
    return { words, encoderPasses };
  };
});

/** Waits (≤ 1 s) until the queued segment callbacks have all run: their texts make up `text`. */
async function segmentsDelivered(words: TimedWord[], text: string): Promise<void> {
  const want = text.replace(/\s+/g, "");
  const have = () =>
    words
      .map((x) => x[0])
      .join("")
      .replace(/\s+/g, "");
  const deadline = Date.now() + 1000;
  for (let i = 0; have() !== want && Date.now() < deadline; i++) {
    await new Promise((r) => (i < 100 ? setImmediate(r) : setTimeout(r, 5)));
  }
}
