/**
 * The recognizer boundary: 16 kHz mono speech in, timed text out. Implementations decide how to use
 * the voiced clips (decode each separately, or batch them into fewer backend calls).
 */
export interface TimeRange {
  /** seconds from the start of the channel */
  start: number;
  end: number;
}

export interface RecognizedSegment extends TimeRange {
  text: string;
  /** the words with their times (seconds from the start of the channel), when the engine gives them */
  words?: RecognizedWord[];
}

export interface RecognizedWord extends TimeRange {
  word: string;
  /** 0–1 (PocketSphinx: the word's lattice posterior); null when the engine gives none */
  confidence: number | null;
}

/** One voiced region of a channel with its samples (16 kHz, mono, signed 16-bit). */
export interface Clip extends TimeRange {
  pcm: Int16Array;
}

export interface RecognizeInput {
  /**
   * The voiced regions of one channel in time order, produced while the call is decoded: a
   * recognizer pulls them as it has room, so a long call is never held in memory.
   */
  clips: AsyncIterable<Clip>;
  /** ISO 639-1 hint, e.g. "en" */
  lang: string;
  /** called as voiced audio is done, with its length in seconds (progress reporting) */
  onVoicedDone?: (seconds: number) => void;
  /** word times are wanted (engines that must ask for them, like OpenAI's, do so only then) */
  wordTimestamps?: boolean | undefined;
  /**
   * Terms the caller expects (names, products), request and server lists merged, at most 100:
   * PocketSphinx adds and boosts them, Whisper gets them as its initial prompt, OpenAI as `prompt`.
   */
  vocabulary?: readonly string[] | undefined;
}

export interface Recognizer {
  readonly name: string;
  /** language codes (ISO 639-1) it can recognize; null when it takes any (the backend decides) */
  readonly languages: readonly string[] | null;
  /** Returns segments with times in seconds from the start of the channel, sorted by start. */
  recognize(input: RecognizeInput): Promise<RecognizedSegment[]>;
  close(): Promise<void>;
}

export const SAMPLE_RATE = 16000;

/** The clips of a channel held in memory (tools, tests, the benchmark's "recognizer alone"). */
export async function* clipsOf(pcm: Int16Array, regions: TimeRange[]): AsyncGenerator<Clip> {
  for (const r of regions) {
    const s0 = Math.max(0, Math.round(r.start * SAMPLE_RATE));
    const s1 = Math.min(pcm.length, Math.round(r.end * SAMPLE_RATE));
    if (s1 > s0) yield { start: s0 / SAMPLE_RATE, end: s1 / SAMPLE_RATE, pcm: pcm.subarray(s0, s1) };
  }
}
