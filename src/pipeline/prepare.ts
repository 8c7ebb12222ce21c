/**
 * Stages 2-4, first passes: decode the call as a stream, compare its channels, and find the voiced
 * regions of each distinct one. Only the plan comes out (regions in seconds), never the samples: memory does not
 * grow with the call. It runs in a worker thread in the server (`audio-thread.ts`), so every loop
 * over the samples stays off the event loop. The second pass (`clips.ts`) decodes again and hands
 * the voiced clips to the recognizer.
 */
import { AppError } from "../core/errors.ts";
import { SAMPLE_RATE, type TimeRange } from "../engines/asr/types.ts";
import { compareChannels } from "./channels.ts";
import { channelSlice, decodeStream, frameCount, type PcmBlock } from "./decode.ts";
import type { Vad } from "./vad.ts";

export interface AudioPlan {
  /** the channels worth transcribing (one per speaker), by index in the file */
  speakers: number[];
  /** voiced regions per speaker */
  regions: TimeRange[][];
  decodedSeconds: number;
}

export type ScanAudio = (file: string, channels: number) => Promise<AudioPlan>;

/**
 * Pass 1 compares the channels and runs the VAD on the first; each other distinct channel gets a
 * pass of its own (decoding is ~1 s per call-hour, the VAD ~40 s), so one detector (one ONNX
 * session) serves every channel and a duplicated channel costs no VAD at all.
 */
export async function scanAudio(file: string, channels: number, vad: Vad): Promise<AudioPlan> {
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
  return { speakers, regions, decodedSeconds: frames / SAMPLE_RATE };
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
