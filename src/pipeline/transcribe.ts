/**
 * The audio pipeline: probe → scan (streamed decode, duplicate channels dropped, VAD, diarization
 * of a lone channel) → second streamed decode cutting voiced clips → recognizer (speakers in
 * parallel) → merge speakers. Each
 * stage is its own module; this file only wires them.
 */
import { AppError, toAppError } from "../core/errors.ts";
import type { Transcript } from "../core/payloads.ts";
import type { Recognizer } from "../engines/asr/types.ts";
import { MAX_VOCABULARY_TERMS, mergeVocabulary } from "../engines/asr/vocabulary.ts";
import { formatItems, type TranscriptFormat } from "./format-text.ts";
import { mergeSpeakers } from "./merge.ts";
import { readClips } from "./clips.ts";
import { channelRanges, redactAudioFile } from "./redact-audio.ts";
import { inProcessRedactor, type Redactor } from "../redaction/redact-thread.ts";
import type { RedactionRequest } from "../redaction/policies.ts";
import type { ScanAudio } from "./prepare.ts";
import { DEFAULT_SPEAKER_HINTS, type SpeakerHints } from "./diarization/diarize.ts";
import { probeAudio } from "./probe.ts";

export interface PipelineDeps {
  recognizer: Recognizer;
  /** first pass: channel comparison and VAD (in the server: a worker thread, see audio-thread.ts) */
  scan: ScanAudio;
  /** longer audio is refused right after the probe, before anything is decoded */
  maxAudioSeconds?: number;
  /** the server's terms to listen for on every call (ASR_VOCABULARY) */
  vocabulary?: readonly string[];
  /** tell voices apart on one-channel audio (DIARIZATION=on, the default); off: one speaker */
  diarization?: boolean;
  /** PII redaction (`redact_pii`); in the server a worker thread (redaction/redact-thread.ts) */
  redactor?: Pick<Redactor, "redact">;
  now?: () => number;
}

export interface TranscribeRequest {
  audioPath: string;
  audioName: string;
  lang: string;
  speakerAliases?: string[] | undefined;
  /** add `words` (times, confidence) to each item */
  wordTimestamps?: boolean | undefined;
  /** formatted: digits, sentence case, final stops in each item's text (default: plain, as recognized) */
  format?: TranscriptFormat | undefined;
  /** the request's terms to listen for (PipelineDeps.vocabulary is added) */
  vocabulary?: string[] | undefined;
  /**
   * `redact_pii`: PII in the text and words replaced by labels before formatting; with `audio`, the
   * file at audioPath is replaced by one beeped over the same words (word timings are recognized
   * for it even when the caller did not ask for them)
   */
  redact?: RedactionRequest | undefined;
  /** how many speakers one-channel audio has (default 1–2: a call); {1, 1} turns diarization off */
  speakers?: SpeakerHints | undefined;
  /** seconds of audio done of the total, as recognition goes (silence counts as done with its speech) */
  onProgress?: (done: number, total: number) => void;
}

/** Pure: refuses audio longer than the limit (unknown durations are decided by the decoder). */
export function checkDuration(duration: number | null, maxSeconds: number | undefined): void {
  if (duration === null || maxSeconds === undefined || duration <= maxSeconds) return;
  const fmt = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s)} s`);
  throw new AppError(
    "audio_too_long",
    `the audio is ${fmt(duration)} long; this server takes at most ${fmt(maxSeconds)} (MAX_AUDIO_SECONDS)`,
  );
}

export async function transcribeFile(req: TranscribeRequest, deps: PipelineDeps): Promise<Transcript> {
  const info = await probeAudio(req.audioPath);
  checkDuration(info.duration, deps.maxAudioSeconds);
  const plan = await deps.scan(req.audioPath, info.channels, {
    speakers: deps.diarization === false ? undefined : (req.speakers ?? DEFAULT_SPEAKER_HINTS),
  });
  const { regions, decodedSeconds } = plan;
  const total = info.duration ?? decodedSeconds;
  const voiced = regions.flat().reduce((n, r) => n + r.end - r.start, 0);
  let voicedDone = 0;
  const onVoicedDone = (seconds: number) => {
    voicedDone += seconds;
    req.onProgress?.(voiced > 0 ? Math.min(total, (total * voicedDone) / voiced) : total, total);
  };
  req.onProgress?.(voiced > 0 ? 0 : total, total);
  const vocabulary = mergeVocabulary(deps.vocabulary, req.vocabulary).slice(0, MAX_VOCABULARY_TERMS * 2);
  const reader = readClips(req.audioPath, info.channels, plan);
  let perSpeaker;
  try {
    perSpeaker = await Promise.all(
      plan.speakers.map((_, i) =>
        deps.recognizer.recognize({
          clips: reader.clips(i),
          lang: req.lang,
          onVoicedDone,
          wordTimestamps: req.wordTimestamps || Boolean(req.redact),
          vocabulary,
        }),
      ),
    );
  } catch (err) {
    throw toAppError(err, "inference_failed");
  } finally {
    reader.close();
  }

  let items = mergeSpeakers(perSpeaker, req.speakerAliases, {
    words: req.wordTimestamps || Boolean(req.redact),
    diarized: plan.diarized,
  });
  if (req.redact) {
    const redactor = deps.redactor ?? inProcessRedactor;
    const redacted = await redactor.redact(items, { policies: req.redact.policies, lang: req.lang });
    items = redacted.items;
    if (req.redact.audio) {
      const ranges = channelRanges(redacted.spans, plan.speakers, info.channels, info.duration);
      await redactAudioFile(req.audioPath, info, ranges);
    }
    if (!req.wordTimestamps) items = items.map(({ words: _, ...item }) => item);
  }

  return {
    id: req.audioName,
    metadata: {
      sample_rate: info.sampleRate,
      mode: "POST",
      timestamp: Math.floor((deps.now?.() ?? Date.now()) / 1000),
      lang: req.lang,
      codec: info.codec,
      transcribed_mode: "POST",
      num_of_channels: info.channels,
      audio_duration: Math.round((info.duration ?? decodedSeconds) * 100) / 100,
    },
    transcript: formatItems(items, req.format ?? "plain", req.lang),
  };
}
