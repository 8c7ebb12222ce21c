/**
 * Stage 7 (`redact_pii_audio`): the stored audio with a 1 kHz beep over every redacted word, on the
 * channel of the speaker who said it (every channel of a mono call, or of a stereo one whose sides
 * carry the same signal). ffmpeg does it in one pass: per channel, a `volume` filter switched to 0
 * over the spans and a `sine` source switched on over the same spans (`asendcmd`), mixed back;
 * the result replaces the file
 * (written beside it, then renamed over it: the original is gone, never half-replaced).
 *
 * The spans come from the word timings, widened by 0.15 s on each side (a recognizer's word edges
 * are ±0.1–0.3 s off); the audio is cut into 10 ms frames first so that a switch happens within
 * 10 ms of a span's edge. Same sample rate, channels, duration and container as before (WAV keeps
 * its PCM codec, e.g. µ-law; formats ffmpeg cannot write back become WAV under the same name).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TimeRange } from "../engines/asr/types.ts";
import type { AudioInfo } from "./probe.ts";
import { runTool } from "./run-tool.ts";

export const REDACTION_PAD_S = 0.15;
/** The beep: 1 kHz at -18 dBFS (ffmpeg's `sine` default amplitude, 1/8). */
export const BEEP_HZ = 1000;

export interface SpeakerSpan extends TimeRange {
  speakerId: number;
}

/**
 * Pure: the time ranges to beep on each channel of the file. `speakers` is the pipeline's plan (the
 * channel each speaker was transcribed from; diarized speakers share theirs). A file with one
 * distinct channel is beeped on every channel, and channels dropped as duplicates of another always
 * follow it.
 */
export function channelRanges(
  spans: readonly SpeakerSpan[],
  speakers: readonly number[],
  channels: number,
  duration: number | null,
  pad = REDACTION_PAD_S,
): TimeRange[][] {
  const all = Array.from({ length: channels }, (_, c) => c);
  const dropped = all.filter((c) => !speakers.includes(c));
  const per: TimeRange[][] = all.map(() => []);
  for (const s of spans) {
    const own = speakers.length > 1 && s.speakerId < speakers.length;
    const targets = own ? [speakers[s.speakerId]!, ...dropped] : all;
    const start = Math.max(0, s.start - pad);
    const end = duration === null ? s.end + pad : Math.min(duration, s.end + pad);
    if (end > start) for (const c of targets) per[c]!.push({ start, end });
  }
  return per.map((ranges) => {
    const merged: TimeRange[] = [];
    for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
      const last = merged.at(-1);
      if (last && r.start <= last.end + 0.02) last.end = Math.max(last.end, r.end);
      else merged.push({ ...r });
    }
    return merged;
  });
}

const t3 = (x: number) => Number(x.toFixed(3));

/**
 * Pure: `asendcmd` commands switching a named `volume` filter to `on` inside the ranges and back
 * to `off` after each. (Commands rather than one `enable` expression: ffmpeg's expression parser
 * gives up on a few hundred `between()` terms, and a long call has that many redacted words.)
 */
export function volumeCommands(
  target: string,
  ranges: readonly TimeRange[],
  on: number,
  off: number,
): string {
  return ranges
    .map(
      (r) =>
        `${t3(r.start)}-${t3(r.end)} [enter] volume@${target} volume ${on}, [leave] volume@${target} volume ${off};`,
    )
    .join("\n");
}

export interface RedactionGraph {
  /** the filtergraph: input [0:a], output [out] */
  graph: string;
  /** command files the graph reads, by the name passed to `fileFor` */
  commands: Array<{ name: string; text: string }>;
}

/** Pure: the ffmpeg filtergraph for those ranges; `fileFor(name)` is where command file `name` will be. */
export function redactionGraph(
  ranges: readonly TimeRange[][],
  sampleRate: number,
  fileFor: (name: string) => string,
  beep = true,
): RedactionGraph {
  const frame = Math.max(1, Math.round(sampleRate / 100));
  const n = ranges.length;
  const lines: string[] = [];
  const commands: RedactionGraph["commands"] = [];
  const cmd = (name: string, text: string) => {
    commands.push({ name, text });
    return `asendcmd=f='${fileFor(name)}'`;
  };
  const split = n > 1 ? `,asplit=${n}${ranges.map((_, c) => `[s${c}]`).join("")}` : "[s0]";
  lines.push(`[0:a]asetnsamples=n=${frame}:p=0${split}`);
  ranges.forEach((r, c) => {
    const pick = n > 1 ? `pan=mono|c0=c${c},` : "";
    // amerge needs one sample format on every input (amix gives float, an untouched channel its own)
    const out = n > 1 ? `,aformat=sample_fmts=fltp:channel_layouts=mono[o${c}]` : "[out]";
    if (r.length === 0) {
      lines.push(n > 1 ? `[s${c}]pan=mono|c0=c${c}${out}` : "[s0]anull[out]");
      return;
    }
    const mute = `${cmd(`c${c}-mute.cmd`, volumeCommands(`m${c}`, r, 0, 1))},volume@m${c}=volume=1`;
    if (!beep) {
      lines.push(`[s${c}]${pick}${mute}${out}`);
      return;
    }
    lines.push(`[s${c}]${pick}${mute}[m${c}]`);
    lines.push(
      `sine=frequency=${BEEP_HZ}:sample_rate=${sampleRate},asetnsamples=n=${frame}:p=0,` +
        `${cmd(`c${c}-beep.cmd`, volumeCommands(`t${c}`, r, 1, 0))},volume@t${c}=volume=0[t${c}]`,
    );
    lines.push(`[m${c}][t${c}]amix=inputs=2:duration=first:dropout_transition=0:normalize=0${out}`);
  });
  if (n > 1) lines.push(`${ranges.map((_, c) => `[o${c}]`).join("")}amerge=inputs=${n}[out]`);
  return { graph: lines.join(";\n"), commands };
}

/** Pure: how to write the result so it stays the kind of file it was (null: as WAV). */
export function outputFormat(file: string, codec: string): string[] | null {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case ".wav":
      return ["-f", "wav", "-c:a", codec.startsWith("pcm_") ? codec : "pcm_s16le"];
    case ".flac":
      return ["-f", "flac", "-c:a", "flac"];
    case ".mp3":
      return ["-f", "mp3", "-c:a", "libmp3lame"];
    case ".ogg":
    case ".oga":
      return ["-f", "ogg", "-c:a", codec === "opus" ? "libopus" : codec === "flac" ? "flac" : "libvorbis"];
    case ".opus":
      return ["-f", "opus", "-c:a", "libopus"];
    case ".m4a":
    case ".mp4":
    case ".aac":
      return ["-f", ext === ".aac" ? "adts" : "mp4", "-c:a", "aac"];
    case ".webm":
      return ["-f", "webm", "-c:a", "libopus"];
    default:
      return null;
  }
}

/** Beeps (or silences) the ranges in `file`, replacing it. Nothing to redact: the file is left as it is. */
export async function redactAudioFile(
  file: string,
  info: AudioInfo,
  ranges: readonly TimeRange[][],
  opts: { beep?: boolean } = {},
): Promise<void> {
  if (ranges.every((r) => r.length === 0)) return;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.redact-${randomUUID()}`);
  // the graph and its command files in a directory of our own naming (quoted inside the graph)
  const work = await mkdtemp(path.join(os.tmpdir(), "callscribe-redact-"));
  const { graph, commands } = redactionGraph(
    ranges,
    info.sampleRate,
    (name) => path.join(work, name),
    opts.beep ?? true,
  );
  const script = path.join(work, "graph.txt");
  await writeFile(script, graph);
  for (const c of commands) await writeFile(path.join(work, c.name), c.text);
  const run = (format: string[]) =>
    runTool(
      "ffmpeg",
      ["-v", "error", "-nostdin", "-y", "-i", file, "-filter_complex_script", script, "-map", "[out]"].concat(
        ["-ar", String(info.sampleRate), ...format, tmp],
      ),
      { timeoutMs: 120_000 + (info.duration ?? 3600) * 1000 },
    );
  try {
    const same = outputFormat(file, info.codec);
    try {
      await run(same ?? ["-f", "wav", "-c:a", "pcm_s16le"]);
    } catch (err) {
      if (!same) throw err;
      await run(["-f", "wav", "-c:a", "pcm_s16le"]); // no encoder for the original format here
    }
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}
