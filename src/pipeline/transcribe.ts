/**
 * The audio pipeline: probe → decode per channel → drop duplicate channels → VAD → recognizer
 * (channels in parallel) → merge speakers. Each stage is its own module; this file only wires them.
 */
import { AppError, toAppError } from "../core/errors.ts";
import type { Transcript } from "../core/payloads.ts";
import type { Recognizer, TimeRange } from "../engines/asr/types.ts";
import { SAMPLE_RATE } from "../engines/asr/types.ts";
import { distinctChannels } from "./channels.ts";
import { decodeChannels } from "./decode.ts";
import { mergeSpeakers } from "./merge.ts";
import { probeAudio } from "./probe.ts";

export interface VoiceDetector {
  detect(pcm: Int16Array): TimeRange[];
}

export interface PipelineDeps {
  recognizer: Recognizer;
  vad: VoiceDetector;
  now?: () => number;
}

export interface TranscribeRequest {
  audioPath: string;
  audioName: string;
  lang: string;
  speakerAliases?: string[] | undefined;
}

export async function transcribeFile(req: TranscribeRequest, deps: PipelineDeps): Promise<Transcript> {
  const info = await probeAudio(req.audioPath);
  const channels = await decodeChannels(req.audioPath, info.channels);
  const decodedSeconds = (channels[0]?.length ?? 0) / SAMPLE_RATE;
  if (decodedSeconds === 0) throw new AppError("unsupported_audio", "the audio contains no samples");

  const speakers = distinctChannels(channels).map((i) => channels[i]!);
  let perSpeaker;
  try {
    perSpeaker = await Promise.all(
      speakers.map((pcm) =>
        deps.recognizer.recognize({ pcm, regions: deps.vad.detect(pcm), lang: req.lang }),
      ),
    );
  } catch (err) {
    throw toAppError(err, "inference_failed");
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
    transcript: mergeSpeakers(perSpeaker, req.speakerAliases),
  };
}
