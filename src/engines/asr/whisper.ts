/**
 * Local Whisper, in process: whisper.cpp through npm `@napi-rs/whisper` (native binary shipped in
 * the package), with the operator's ggml model file (WHISPER_MODEL). Every whisper.cpp call pays
 * one 30 s encoder window however little audio it holds, so the voiced clips of a channel are
 * packed, as they arrive, into windows of up to 30 s (0.3 s of silence between clips), each
 * decoded in one call on a worker thread (whisper-thread.ts); word times come back in window time
 * and are mapped to channel time, clamped inside the clip they fall in. Items never span two clips.
 *
 * Memory stays bounded on long calls: a channel holds at most the window being decoded and the one
 * being filled; clips not yet read wait in the clip reader (bounded) or in ffmpeg's pipe.
 */
import os from "node:os";
import { mapBounded } from "./map-bounded.ts";
import { batchClips } from "./openai.ts";
import type { RecognizeInput, RecognizedSegment, RecognizedWord, Recognizer } from "./types.ts";
import { inspectWhisperModel, WhisperModelError, type WhisperModelInfo } from "./whisper-model.ts";
import { createWhisperThread, type TimedWord } from "./whisper-thread.ts";

export interface WhisperOptions {
  /** path to a whisper.cpp ggml model (ggml-base.bin, ggml-small.en-q5_1.bin, …) */
  model: string;
  /**
   * threads for one whisper.cpp call; default half the cores (1-4). ggml's threads spin while they
   * wait for each other, so with more threads than free cores a call slows down many times over
   * (measured here: 14.6 s of CPU for a 5 s window with 2 threads on 2 busy cores, 1.2 s with 1).
   */
  threads?: number;
  /** audio per call, silence gaps included; default 30 s (one encoder window) */
  maxWindowS?: number;
  /** silence inserted between clips of one window; default 0.3 s */
  gapS?: number;
  /** a gap between words longer than this starts a new item; default 0.6 s */
  splitSilenceS?: number;
}

export interface WhisperStats {
  /** whisper.cpp calls (windows of up to maxWindowS) */
  windows: number;
  /** 30 s encoder passes: one per window, more when whisper re-seeks inside one */
  encoderPasses: number;
  words: number;
}

export interface WhisperRecognizer extends Recognizer {
  readonly model: WhisperModelInfo;
  /** totals since the recognizer was created */
  readonly stats: Readonly<WhisperStats>;
  /** Loads the model in its thread now; rejects (WhisperModelError) if whisper.cpp cannot. */
  load(): Promise<void>;
}

/** whisper.cpp's language list, in token order (large-v3 adds "yue"). */
const WHISPER_LANGUAGES = (
  "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt la mi ml " +
  "cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am " +
  "yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue"
).split(" ");

/**
 * Checks the model file (synchronously: header, vocabulary and every tensor, without reading the
 * weights) and returns the recognizer; `load()` then loads it in the worker thread. Throws
 * WhisperModelError naming the file and the problem.
 */
export function createWhisperRecognizer(opts: WhisperOptions): WhisperRecognizer {
  let model: WhisperModelInfo;
  try {
    model = inspectWhisperModel(opts.model);
  } catch (e) {
    throw new WhisperModelError(`WHISPER_MODEL ${opts.model}: ${(e as Error).message}`, { cause: e });
  }
  const threads = opts.threads ?? Math.min(4, Math.max(1, Math.floor(os.availableParallelism() / 2)));
  const maxWindowS = opts.maxWindowS ?? 30;
  const gapS = opts.gapS ?? 0.3;
  const splitSilenceS = opts.splitSilenceS ?? 0.6;
  const thread = createWhisperThread({ model: opts.model, threads });
  // large-v3 has one more language token than the others; English-only models have none
  const languages = model.multilingual
    ? WHISPER_LANGUAGES.slice(0, model.hparams.n_vocab - 51765 - 1)
    : ["en"];
  let closed = false;
  const stats: WhisperStats = { windows: 0, encoderPasses: 0, words: 0 };

  return {
    name: "whisper",
    languages,
    model,
    stats,
    async load() {
      try {
        await thread.load();
      } catch (e) {
        throw new WhisperModelError(
          `WHISPER_MODEL ${opts.model}: whisper.cpp could not load it (${(e as Error).message})`,
          { cause: e },
        );
      }
    },
    async recognize(input: RecognizeInput): Promise<RecognizedSegment[]> {
      if (closed) throw new Error("recognizer is closed");
      const prompt = (input.vocabulary ?? []).join(", ");
      const primary = input.lang.toLowerCase().split(/[-_]/)[0]!;
      const lang = languages.includes(primary) ? primary : "auto";
      // Two windows per channel in flight: one decoding, the next queued behind it, so the thread
      // never waits for a window to be cut.
      const parts = await mapBounded(batchClips(input.clips, maxWindowS, gapS), 2, async (batch) => {
        const { words, encoderPasses } = await thread.transcribe({ pcm: batch.pcm, lang, prompt });
        stats.windows++;
        stats.encoderPasses += encoderPasses;
        stats.words += words.length;
        input.onVoicedDone?.(batch.pieces.reduce((n, p) => n + p.batchEnd - p.batchStart, 0));
        return wordsToItems(words, batch.pieces, splitSilenceS);
      });
      return parts.flat().sort((a, b) => a.start - b.start);
    },
    async close() {
      closed = true;
      await thread.close();
    },
  };
}

/** Where one clip sits in a window and in the channel (seconds). */
export interface Piece {
  batchStart: number;
  batchEnd: number;
  channelStart: number;
}

/** whisper.cpp's markers for non-speech ("[BLANK_AUDIO]", "[Music]"), not words anyone said */
const MARKER = /^(\[[^\]]*\]|\([^)]*\))$/;

/**
 * Pure: whisper's word segments (centiseconds of window time) → items in channel time. Each word
 * belongs to the clip its midpoint is nearest to and is clamped inside it; words starting after the
 * window's audio (whisper pads every window to 30 s with silence) are dropped. An item ends at a
 * clip boundary, at a silence longer than `splitSilenceS`, or after a sentence-final word.
 */
export function wordsToItems(words: TimedWord[], pieces: Piece[], splitSilenceS = 0.6): RecognizedSegment[] {
  const out: RecognizedSegment[] = [];
  const audioEnd = pieces.length ? pieces[pieces.length - 1]!.batchEnd : 0;
  let cur: { piece: number; words: RecognizedWord[] } | undefined;
  const flush = () => {
    if (!cur) return;
    const ws = cur.words;
    out.push({
      start: ws[0]!.start,
      end: ws[ws.length - 1]!.end,
      text: ws.map((w) => w.word).join(" "),
      words: ws,
    });
    cur = undefined;
  };
  for (const [raw, t0, t1] of words) {
    const text = raw.trim();
    if (!text || MARKER.test(text)) continue;
    const a = t0 / 100;
    const b = Math.max(a, t1 / 100);
    if (a >= audioEnd) continue;
    const p = nearestPiece(pieces, (a + b) / 2);
    const piece = pieces[p]!;
    const place = (t: number) =>
      round(piece.channelStart + Math.min(Math.max(t, piece.batchStart), piece.batchEnd) - piece.batchStart);
    const word: RecognizedWord = { word: text, start: place(a), end: place(b), confidence: null };
    const last = cur?.words[cur.words.length - 1];
    if (
      !cur ||
      !last ||
      cur.piece !== p ||
      word.start - last.end > splitSilenceS ||
      /[.?!]$/.test(last.word)
    ) {
      flush();
      cur = { piece: p, words: [] };
    }
    // whisper's token times can step back a little; keep each item's words in order
    if (last && cur.words.length > 0 && word.start < last.start) word.start = last.start;
    if (word.end < word.start) word.end = word.start;
    cur.words.push(word);
  }
  flush();
  return out;
}

function nearestPiece(pieces: Piece[], t: number): number {
  let best = 0;
  let bestDist = Infinity;
  pieces.forEach((p, i) => {
    const d = t < p.batchStart ? p.batchStart - t : t > p.batchEnd ? t - p.batchEnd : 0;
    if (d < bestDist) {
      best = i;
      bestDist = d;
    }
  });
  return best;
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
