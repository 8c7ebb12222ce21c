/**
 * Recognizer backed by any OpenAI-compatible `POST /v1/audio/transcriptions` server (whisper.cpp
 * server, faster-whisper servers, vLLM, LocalAI, OpenAI, Groq). Whisper pays one 30 s encoder
 * window per call, so voiced clips are packed into batches of up to ~25 s (0.3 s of silence
 * between regions) and the returned segment times are mapped back to channel time.
 */
import {
  SAMPLE_RATE,
  type Clip,
  type RecognizeInput,
  type RecognizedSegment,
  type RecognizedWord,
  type Recognizer,
} from "./types.ts";
import { createOpenAiHttp } from "../openai-http.ts";

export interface OpenAiRecognizerOptions {
  /** server base URL, or the full .../v1/audio/transcriptions URL */
  url: string;
  apiKey?: string;
  /** default "whisper-1" */
  model?: string;
  /** per request; default 120 s */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** voiced audio per request, silence gaps included; default 25 s */
  maxBatchS?: number;
  /** silence inserted between regions of one batch; default 0.3 s */
  gapS?: number;
}

/** Where one region sits in a batch WAV and in the channel. */
interface Piece {
  batchStart: number;
  batchEnd: number;
  channelStart: number;
}

interface Batch {
  pcm: Int16Array;
  pieces: Piece[];
}

export function createOpenAiRecognizer(opts: OpenAiRecognizerOptions): Recognizer {
  const endpoint = transcriptionsUrl(opts.url);
  const http = createOpenAiHttp({
    endpoint,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs ?? 120_000,
    fetch: opts.fetch,
    label: "transcription",
  });
  const { shownUrl, excerpt } = http;
  const model = opts.model ?? "whisper-1";
  const maxBatchS = opts.maxBatchS ?? 25;
  const gapS = opts.gapS ?? 0.3;

  async function transcribe(batch: Batch, input: RecognizeInput): Promise<RecognizedSegment[]> {
    const words = input.wordTimestamps ?? false;
    const form = new FormData();
    form.append("file", new Blob([encodeWav(batch.pcm)], { type: "audio/wav" }), "audio.wav");
    form.append("model", model);
    if (input.lang) form.append("language", input.lang);
    // Whisper reads the prompt as preceding text: the spellings it holds become likelier.
    if (input.vocabulary?.length) form.append("prompt", input.vocabulary.join(", "));
    form.append("response_format", "verbose_json");
    form.append("timestamp_granularities[]", "segment");
    if (words) form.append("timestamp_granularities[]", "word");
    const { json, status, text } = await http.postJson(form);
    const segments = mapResponse(json, batch.pieces, status, text);
    return words ? attachWords(segments, wordsOf(json, batch.pieces)) : segments;
  }

  function mapResponse(json: unknown, pieces: Piece[], status: number, body: string): RecognizedSegment[] {
    const r = json as { text?: unknown; segments?: unknown };
    if (typeof r !== "object" || r === null) {
      throw new Error(
        `transcription server ${shownUrl} sent an unexpected body (HTTP ${status}): ${excerpt(body)}`,
      );
    }
    const segs = Array.isArray(r.segments)
      ? (r.segments as { start?: unknown; end?: unknown; text?: unknown }[])
      : [];
    const out: RecognizedSegment[] = [];
    for (const s of segs) {
      const text = typeof s.text === "string" ? s.text.trim() : "";
      if (!text || typeof s.start !== "number" || typeof s.end !== "number") continue;
      out.push({ ...toChannelTime(pieces, s.start, Math.max(s.start, s.end)), text });
    }
    // Servers that ignore verbose_json still return the text: give it the batch's span.
    if (segs.length === 0 && typeof r.text === "string" && r.text.trim()) {
      const first = pieces[0]!;
      const last = pieces[pieces.length - 1]!;
      out.push({
        start: round(first.channelStart),
        end: round(last.channelStart + last.batchEnd - last.batchStart),
        text: r.text.trim(),
      });
    }
    return out;
  }

  // An API key must never reach a log line, even if the server echoes it back.

  return {
    name: "openai",
    languages: null,
    async recognize(input: RecognizeInput): Promise<RecognizedSegment[]> {
      const out: RecognizedSegment[] = [];
      // One request at a time: a local whisper server gains nothing from parallel calls.
      for await (const batch of batchClips(input.clips, maxBatchS, gapS)) {
        out.push(...(await transcribe(batch, input)));
        input.onVoicedDone?.(batch.pieces.reduce((n, p) => n + p.batchEnd - p.batchStart, 0));
      }
      return out.sort((a, b) => a.start - b.start);
    },
    async close(): Promise<void> {},
  };
}

/** Packs consecutive clips into batches of at most maxBatchS seconds, as the clips arrive. */
export async function* batchClips(
  clips: AsyncIterable<Clip>,
  maxBatchS = 25,
  gapS = 0.3,
): AsyncGenerator<Batch> {
  const gap = Math.round(gapS * SAMPLE_RATE);
  let group: Clip[] = [];
  let length = 0;
  for await (const clip of clips) {
    if (clip.pcm.length === 0) continue;
    const add = (group.length ? gap : 0) + clip.pcm.length;
    if (group.length && length + add > maxBatchS * SAMPLE_RATE) {
      yield joinClips(group, gap);
      group = [];
      length = 0;
    }
    length += (group.length ? gap : 0) + clip.pcm.length;
    group.push(clip);
  }
  if (group.length) yield joinClips(group, gap);
}

/** Pure: one batch WAV's samples with `gap` zero samples between clips, and where each clip sits. */
export function joinClips(group: Clip[], gap: number): Batch {
  const total = group.reduce((n, c) => n + c.pcm.length, 0) + gap * (group.length - 1);
  const pcm = new Int16Array(total);
  const pieces: Piece[] = [];
  let off = 0;
  for (const c of group) {
    pcm.set(c.pcm, off);
    pieces.push({
      batchStart: off / SAMPLE_RATE,
      batchEnd: (off + c.pcm.length) / SAMPLE_RATE,
      channelStart: c.start,
    });
    off += c.pcm.length + gap;
  }
  return { pcm, pieces };
}

/** Pure: the response's `words` (OpenAI: top level; some servers: per segment) in channel time. */
export function wordsOf(json: unknown, pieces: Piece[]): RecognizedWord[] {
  const r = json as { words?: unknown; segments?: Array<{ words?: unknown }> };
  const raw = Array.isArray(r?.words)
    ? r.words
    : (r?.segments ?? []).flatMap((s) => (Array.isArray(s?.words) ? s.words : []));
  const out: RecognizedWord[] = [];
  for (const w of raw as Array<{ word?: unknown; start?: unknown; end?: unknown; probability?: unknown }>) {
    const word = typeof w?.word === "string" ? w.word.trim() : "";
    if (!word || typeof w.start !== "number" || typeof w.end !== "number") continue;
    const confidence = typeof w.probability === "number" ? w.probability : null;
    out.push({ word, ...toChannelTime(pieces, w.start, Math.max(w.start, w.end)), confidence });
  }
  return out;
}

/** Pure: each word goes to the segment its midpoint falls in (or the nearest one). */
export function attachWords(segments: RecognizedSegment[], words: RecognizedWord[]): RecognizedSegment[] {
  const out = segments.map((s) => ({ ...s, words: [] as RecognizedWord[] }));
  if (out.length === 0) return out;
  for (const w of words) {
    const mid = (w.start + w.end) / 2;
    const dist = (s: RecognizedSegment) => (mid < s.start ? s.start - mid : mid > s.end ? mid - s.end : 0);
    out.reduce((best, s) => (dist(s) < dist(best) ? s : best)).words.push(w);
  }
  return out;
}

/**
 * Maps a batch-time span to channel time. A segment inside one region (found by its midpoint) is
 * shifted by that region's offset; a segment the server stretched across several regions keeps
 * its start in the first and its end in the last, each clamped to its region.
 */
export function toChannelTime(pieces: Piece[], start: number, end: number): { start: number; end: number } {
  const home = pieceAt(pieces, (start + end) / 2);
  const a = start < home.batchStart ? pieceAt(pieces, start) : home;
  const b = end > home.batchEnd ? pieceAt(pieces, end) : home;
  const map = (p: Piece, t: number) =>
    p.channelStart + Math.min(Math.max(t, p.batchStart), p.batchEnd) - p.batchStart;
  const s = map(a, start);
  return { start: round(s), end: round(Math.max(s, map(b, end))) };
}

function pieceAt(pieces: Piece[], t: number): Piece {
  let best = pieces[0]!;
  let bestDist = Infinity;
  for (const p of pieces) {
    const d = t < p.batchStart ? p.batchStart - t : t > p.batchEnd ? t - p.batchEnd : 0;
    if (d < bestDist) {
      best = p;
      bestDist = d;
    }
  }
  return best;
}

/** 16-bit mono PCM WAV with the canonical 44-byte header. */
export function encodeWav(pcm: Int16Array, rate = SAMPLE_RATE): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(44 + pcm.length * 2);
  const v = new DataView(out.buffer);
  const ascii = (off: number, s: string) => [...s].forEach((c, i) => v.setUint8(off + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + pcm.length * 2, true);
  ascii(8, "WAVEfmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) v.setInt16(44 + i * 2, pcm[i]!, true);
  return out;
}

export function transcriptionsUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/v1\/audio\/transcriptions$/.test(trimmed) ? trimmed : `${trimmed}/v1/audio/transcriptions`;
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
