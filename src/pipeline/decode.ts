/**
 * Stage 2: decode and resample with ffmpeg to 16 kHz signed 16-bit PCM, one array per channel.
 * One ffmpeg process per file; the channels are de-interleaved here.
 */
import { AppError } from "../core/errors.ts";
import { SAMPLE_RATE } from "../engines/asr/types.ts";
import { runTool, ToolError } from "./run-tool.ts";

/** Pure: interleaved s16le bytes → one Int16Array per channel. */
export function deinterleave(buf: Buffer, channels: number): Int16Array[] {
  const frames = Math.floor(buf.length / 2 / channels);
  const all = new Int16Array(buf.buffer, buf.byteOffset, frames * channels);
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let i = 0, k = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[c]![i] = all[k++]!;
  }
  return out;
}

export async function decodeChannels(file: string, channels: number): Promise<Int16Array[]> {
  let raw: Buffer;
  try {
    raw = await runTool("ffmpeg", [
      "-nostdin", "-v", "error", "-i", file, "-map", "0:a:0", "-ac", String(channels),
      "-ar", String(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1",
    ]); // prettier-ignore
  } catch (err) {
    if (err instanceof ToolError) {
      throw new AppError("unsupported_audio", "the audio could not be decoded", { cause: err });
    }
    throw err;
  }
  // ffmpeg's s16le buffers are not guaranteed 2-byte aligned within a pooled ArrayBuffer
  const aligned = raw.byteOffset % 2 === 0 ? raw : Buffer.from(raw);
  return deinterleave(aligned, channels);
}
