/**
 * Stage 2: decode and resample with ffmpeg to 16 kHz signed 16-bit PCM, as a stream of interleaved
 * blocks. Nothing here holds more than one pipe read of audio: a call of any length costs the same
 * memory. Consumers pull blocks (the pipe is paused while they work) and may stop early, which
 * stops ffmpeg.
 */
import { spawn } from "node:child_process";
import { AppError } from "../core/errors.ts";
import { SAMPLE_RATE } from "../engines/asr/types.ts";

/** One read of interleaved frames; `offset` is the index of its first frame in the channel. */
export interface PcmBlock {
  samples: Int16Array;
  channels: number;
  offset: number;
}

export async function* decodeStream(file: string, channels: number): AsyncGenerator<PcmBlock> {
  const child = spawn(
    "ffmpeg",
    [
      "-nostdin", "-v", "error", "-i", file, "-map", "0:a:0", "-ac", String(channels),
      "-ar", String(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1",
    ], // prettier-ignore
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    if (stderr.length < 8192) stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT" ? new Error("ffmpeg is not installed (apt-get install ffmpeg)", { cause: e }) : e,
      ),
    );
    child.on("close", (code) => resolve(code));
  });
  exited.catch(() => {}); // observed below; a consumer that stops early must not leave it unhandled

  const frameBytes = 2 * channels;
  let carry = Buffer.alloc(0);
  let offset = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const usable = bytes.length - (bytes.length % frameBytes);
      carry = Buffer.from(bytes.subarray(usable));
      if (usable === 0) continue;
      // a copy: pipe buffers are pooled and not always 2-byte aligned
      const samples = new Int16Array(usable / 2);
      Buffer.from(samples.buffer).set(bytes.subarray(0, usable));
      yield { samples, channels, offset };
      offset += usable / frameBytes;
    }
    const code = await exited;
    finished = true;
    if (code !== 0) {
      throw new AppError("unsupported_audio", "the audio could not be decoded", {
        cause: new Error(`ffmpeg exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`),
      });
    }
  } finally {
    if (!finished) child.kill("SIGKILL");
  }
}

/** Pure: channel `c` of an interleaved block, frames [from, to) relative to the block. */
export function channelSlice(block: PcmBlock, c: number, from = 0, to = frameCount(block)): Int16Array {
  const out = new Int16Array(Math.max(0, to - from));
  const { samples, channels } = block;
  for (let i = from, k = from * channels + c, j = 0; i < to; i++, k += channels) out[j++] = samples[k]!;
  return out;
}

export function frameCount(block: PcmBlock): number {
  return block.samples.length / block.channels;
}

/** The whole file as one array per channel. For tools and tests on short audio only. */
export async function decodeChannels(file: string, channels: number): Promise<Int16Array[]> {
  const parts: Int16Array[][] = Array.from({ length: channels }, () => []);
  for await (const block of decodeStream(file, channels)) {
    for (let c = 0; c < channels; c++) parts[c]!.push(channelSlice(block, c));
  }
  return parts.map((p) => concatPcm(...p));
}

export function concatPcm(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
