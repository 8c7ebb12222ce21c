/**
 * The recognizer boundary: 16 kHz mono speech in, timed text out. Implementations decide how to use
 * the voiced regions (decode each separately, or batch them into fewer backend calls).
 */
export interface TimeRange {
  /** seconds from the start of the channel */
  start: number;
  end: number;
}

export interface RecognizedSegment extends TimeRange {
  text: string;
}

export interface RecognizeInput {
  /** whole channel, 16 kHz, mono, signed 16-bit */
  pcm: Int16Array;
  /** voiced regions found by the VAD, sorted, non-overlapping, in seconds */
  regions: TimeRange[];
  /** ISO 639-1 hint, e.g. "en" */
  lang: string;
  /** called as voiced audio is done, with its length in seconds (progress reporting) */
  onVoicedDone?: (seconds: number) => void;
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
