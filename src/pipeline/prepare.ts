/**
 * Stages 2-4 as one unit of CPU work: decode to 16 kHz per channel, drop duplicate channels, find
 * the voiced regions. It runs in a worker thread in the server (`audio-thread.ts`): every loop over
 * the samples stays off the event loop.
 */
import { AppError } from "../core/errors.ts";
import { SAMPLE_RATE, type TimeRange } from "../engines/asr/types.ts";
import { distinctChannels } from "./channels.ts";
import { decodeChannels } from "./decode.ts";

export interface PreparedAudio {
  /** the channels worth transcribing (one per speaker), 16 kHz mono each */
  speakers: Int16Array[];
  /** voiced regions per speaker */
  regions: TimeRange[][];
  decodedSeconds: number;
}

export type PrepareAudio = (file: string, channels: number) => Promise<PreparedAudio>;

export async function prepareAudio(
  file: string,
  channels: number,
  vad: { detect(pcm: Int16Array): TimeRange[] },
): Promise<PreparedAudio> {
  const decoded = await decodeChannels(file, channels);
  const decodedSeconds = (decoded[0]?.length ?? 0) / SAMPLE_RATE;
  if (decodedSeconds === 0) throw new AppError("unsupported_audio", "the audio contains no samples");
  const speakers = distinctChannels(decoded).map((i) => decoded[i]!);
  return { speakers, regions: speakers.map((pcm) => vad.detect(pcm)), decodedSeconds };
}
