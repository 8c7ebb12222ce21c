/**
 * Stages 2-4, first passes: decode the call as a stream, compare its channels, and find the voiced
 * regions of each distinct one. Only the plan comes out (regions in seconds), never the samples: memory does not
 * grow with the call. It runs in a worker thread in the server (`audio-thread.ts`), so every loop
 * over the samples stays off the event loop. When one distinct channel is left and diarization is
 * asked for, a further streamed pass splits its voiced regions between speakers
 * (`diarization/channel.ts`). The second pass (`clips.ts`) decodes again and hands the voiced clips
 * to the recognizer.
 */
import { AppError } from "../core/errors.ts";
import { SAMPLE_RATE, type TimeRange } from "../engines/asr/types.ts";
import { compareChannels } from "./channels.ts";
import { channelSlice, decodeStream, frameCount, type PcmBlock } from "./decode.ts";
import { diarizeChannel } from "./diarization/channel.ts";
import type { SpeakerHints } from "./diarization/diarize.ts";
import type { Vad } from "./vad.ts";

export interface AudioPlan {
  /**
   * the channel each speaker's clips come from, by index in the file: one speaker per distinct
   * channel, or (diarized) several speakers of the same channel
   */
  speakers: number[];
  /** voiced regions per speaker (diarized: split at speaker changes) */
  regions: TimeRange[][];
  decodedSeconds: number;
  /** the speakers were told apart by voice on one channel (not by channel) */
  diarized?: boolean;
}

export interface ScanOptions {
  /** diarize one-channel audio (or channels carrying one signal) into this many speakers */
  speakers?: SpeakerHints | undefined;
}

export type ScanAudio = (file: string, channels: number, opts?: ScanOptions) => Promise<AudioPlan>;

/**
 * Pass 1 compares the channels and runs the VAD on the first; each other distinct channel gets a
 * pass of its own (decoding is ~1 s per call-hour, the VAD ~40 s), so one detector (one ONNX
 * session) serves every channel and a duplicated channel costs no VAD at all.
 */
export async function scanAudio(
  file: string,
  channels: number,
  vad: Vad,
  opts: ScanOptions = {},
): Promise<AudioPlan> {
  const comparison = compareChannels(channels);
  let frames = 0;
  const first = await detectChannel(file, channels, 0, vad, (block) => {
    comparison.add(block);
    frames += frameCount(block);
  });
  if (frames === 0) throw new AppError("unsupported_audio", "the audio contains no samples");
  const speakers = comparison.distinct();
  const regions = [first];
  for (const c of speakers.slice(1)) regions.push(await detectChannel(file, channels, c, vad));
  const decodedSeconds = frames / SAMPLE_RATE;
  if (speakers.length === 1 && (opts.speakers?.max ?? 1) > 1 && first.length > 0) {
    const found = await diarizeChannel(file, channels, speakers[0]!, first, opts.speakers!);
    if (found.regions.length > 1) {
      return {
        speakers: found.regions.map(() => speakers[0]!),
        regions: found.regions,
        decodedSeconds,
        diarized: true,
      };
    }
  }
  return { speakers, regions, decodedSeconds };
}

async function detectChannel(
  file: string,
  channels: number,
  c: number,
  vad: Vad,
  onBlock?: (block: PcmBlock) => void,
): Promise<TimeRange[]> {
  const detector = vad.stream();
  try {
    for await (const block of decodeStream(file, channels)) {
      onBlock?.(block);
      detector.push(channels === 1 ? block.samples : channelSlice(block, c));
    }
  } catch (err) {
    detector.finish(); // back to the pool
    throw err;
  }
  return detector.finish();
}
