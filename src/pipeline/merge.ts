/** Stage 5: channel segments → transcript items with speakers, sorted by start time. Pure. */
import type { RecognizedSegment } from "../engines/asr/types.ts";
import type { TranscriptItem } from "../core/payloads.ts";

export const DEFAULT_TWO_CHANNEL_ALIASES = ["Agent", "User"];

/**
 * Alias for speaker `id`: the caller's alias if given, Agent/User for a two-channel call,
 * otherwise "Speaker N" (voices told apart on one channel have no known roles).
 */
export function speakerAlias(
  id: number,
  speakers: number,
  aliases: string[] | undefined,
  diarized = false,
): string {
  const given = aliases?.[id];
  if (given) return given;
  if (speakers === 2 && !diarized) return DEFAULT_TWO_CHANNEL_ALIASES[id]!;
  return `Speaker ${id}`;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Word times to the centisecond, like the items; confidence to three places. */
const wordsOf = (s: RecognizedSegment) =>
  (s.words ?? []).map((w) => ({
    word: w.word,
    start: round2(w.start),
    end: round2(w.end),
    confidence: w.confidence === null ? null : Math.round(w.confidence * 1000) / 1000,
  }));

export function mergeSpeakers(
  perSpeaker: RecognizedSegment[][],
  aliases: string[] | undefined,
  opts: { words?: boolean; diarized?: boolean | undefined } = {},
): TranscriptItem[] {
  const items = perSpeaker.flatMap((segments, id) =>
    segments
      .filter((s) => s.text.trim() !== "")
      .map((s) => ({
        text: s.text.trim(),
        time_start: round2(s.start),
        time_end: round2(s.end),
        speaker_id: id,
        speaker_alias: speakerAlias(id, perSpeaker.length, aliases, opts.diarized),
        ...(opts.words && { words: wordsOf(s) }),
      })),
  );
  return items.sort((a, b) => a.time_start - b.time_start || a.speaker_id - b.speaker_id);
}
