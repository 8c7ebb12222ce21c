/**
 * Diarization of one channel of a file: a streamed decode that keeps MFCCs of the voiced frames
 * only (~10 KB per second of speech, never the samples), then `diarize`. Runs inside the scan (the
 * audio worker thread in the server), after the VAD pass has found the voiced regions: decoding
 * again costs ~1 s per call-hour, far less than holding the features of every frame in pass 1.
 */
import type { TimeRange } from "../../engines/asr/types.ts";
import { channelSlice, decodeStream } from "../decode.ts";
import { diarize, type Diarization, type SpeakerHints } from "./diarize.ts";
import { collectFeatures } from "./features.ts";

export async function diarizeChannel(
  file: string,
  channels: number,
  channel: number,
  regions: TimeRange[],
  hints: SpeakerHints,
): Promise<Diarization> {
  const sink = collectFeatures(regions);
  for await (const block of decodeStream(file, channels)) {
    sink.push(channels === 1 ? block.samples : channelSlice(block, channel));
  }
  return diarize(sink.finish(), hints);
}
