/** Stage 1: what is this file? ffprobe → codec, sample rate, channels, duration. */
import { AppError } from "../core/errors.ts";
import { runTool, ToolError } from "./run-tool.ts";

export interface AudioInfo {
  codec: string;
  sampleRate: number;
  channels: number;
  /** seconds */
  duration: number | null;
}

interface FfprobeOutput {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
  }>;
  format?: { duration?: string };
}

const num = (s: string | undefined): number | null => {
  const n = s === undefined ? NaN : Number(s);
  return Number.isFinite(n) ? n : null;
};

/** Pure: ffprobe JSON → AudioInfo, or null when there is no usable audio stream. */
export function parseProbe(output: FfprobeOutput): AudioInfo | null {
  const stream = output.streams?.find((s) => s.codec_type === "audio");
  if (!stream || !stream.channels) return null;
  return {
    codec: stream.codec_name ?? "",
    sampleRate: num(stream.sample_rate) ?? 0,
    channels: stream.channels,
    duration: num(output.format?.duration) ?? num(stream.duration),
  };
}

export async function probeAudio(file: string): Promise<AudioInfo> {
  let raw: Buffer;
  try {
    raw = await runTool(
      "ffprobe",
      ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file],
      { timeoutMs: 30_000 },
    );
  } catch (err) {
    if (err instanceof ToolError) {
      const why = err.stderr.trim().split("\n").pop() ?? "";
      throw new AppError("unsupported_audio", `the file is not decodable audio (${clean(why, file)})`, {
        cause: err,
      });
    }
    throw err;
  }
  const info = parseProbe(JSON.parse(raw.toString("utf8")) as FfprobeOutput);
  if (!info)
    throw new AppError("unsupported_audio", "the file is not decodable audio (no audio stream found)");
  return info;
}

/** ffprobe messages start with the file path, which is ours, not the caller's. */
const clean = (msg: string, file: string) => msg.replaceAll(file, "input").replace(/^input:\s*/, "");
