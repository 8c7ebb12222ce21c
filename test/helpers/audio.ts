/**
 * Test-audio helpers built on the Debian tools (flite, sox, ffmpeg). Everything is 16 kHz mono
 * signed 16-bit unless a function says otherwise.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const RATE = 16000;

/** flite voices that ship with Debian's flite package. */
export type FliteVoice = "slt" | "rms" | "awb" | "kal" | "kal16";

/** A temporary directory; call the returned cleanup when done. */
export function tempDir(prefix = "callscribe-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Synthesises `text` with flite and writes a 16 kHz mono 16-bit WAV to `outPath`. */
export function say(text: string, voice: FliteVoice | string = "slt", outPath: string): string {
  const { dir, cleanup } = tempDir("callscribe-say-");
  try {
    const raw = join(dir, "flite.wav");
    execFileSync("flite", ["-voice", voice, "-t", text, "-o", raw], { stdio: "pipe" });
    execFileSync("sox", [raw, "-r", String(RATE), "-c", "1", "-b", "16", outPath], { stdio: "pipe" });
    return outPath;
  } finally {
    cleanup();
  }
}

/** Decodes any audio file ffmpeg understands to 16 kHz mono s16le samples (first channel by default). */
export function readPcm16(path: string, opts: { channel?: number } = {}): Int16Array {
  const args = ["-v", "error", "-i", path];
  if (opts.channel !== undefined) args.push("-af", `pan=mono|c0=c${opts.channel}`);
  args.push("-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", String(RATE), "-");
  const buf = execFileSync("ffmpeg", args, { maxBuffer: 1 << 30 });
  // Copy out: the Buffer may sit at an odd offset inside Node's pool (host is little-endian).
  return new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + (buf.length & ~1)));
}

/** Synthesises `text` and returns the samples directly. */
export function sayPcm(text: string, voice: FliteVoice | string = "slt"): Int16Array {
  const { dir, cleanup } = tempDir("callscribe-say-");
  try {
    return readPcm16(say(text, voice, join(dir, "say.wav")));
  } finally {
    cleanup();
  }
}

export function silence(seconds: number): Int16Array {
  return new Int16Array(Math.round(seconds * RATE));
}

/** Low-level white noise, e.g. to stand in for line hiss. `amplitude` is in sample units. */
export function noise(seconds: number, amplitude = 100, seed = 1): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = Math.round((s / 0xffffffff - 0.5) * 2 * amplitude);
  }
  return out;
}

export { concatPcm } from "../../src/pipeline/decode.ts";

/** Builds a canonical 44-byte-header PCM WAV (mono, or interleaved when given several channels). */
export function wavBytes(channels: Int16Array | Int16Array[], rate = RATE): Buffer {
  const chans = Array.isArray(channels) ? channels : [channels];
  const n = Math.max(0, ...chans.map((c) => c.length));
  const dataLen = n * chans.length * 2;
  const buf = Buffer.alloc(44 + dataLen);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + dataLen, 4);
  buf.write("WAVEfmt ", 8, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(chans.length, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * chans.length * 2, 28);
  buf.writeUInt16LE(chans.length * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(dataLen, 40);
  let off = 44;
  for (let i = 0; i < n; i++) {
    for (const c of chans) {
      buf.writeInt16LE(c[i] ?? 0, off);
      off += 2;
    }
  }
  return buf;
}

export function writeWav(path: string, channels: Int16Array | Int16Array[], rate = RATE): string {
  writeFileSync(path, wavBytes(channels, rate));
  return path;
}
