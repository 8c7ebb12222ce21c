/**
 * Writes a Whisper model in whisper.cpp's ggml format with the real layout of OpenAI's "tiny" or
 * "base" multilingual model and random weights. whisper.cpp loads and runs it like the real file
 * (same hparams, tensor names, shapes and types, so the same memory and compute), but the text it
 * produces is meaningless: tests and the benchmark use it for the contract, the time mapping and
 * the cost of inference, never for accuracy. No model can be downloaded where this project is built.
 *
 * Layout (whisper.cpp `whisper_model_load`, written as models/convert-pt-to-ggml.py does):
 *   magic 0x67676d6c; 11 int32 hparams (n_vocab, n_audio_ctx, n_audio_state, n_audio_head,
 *   n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype);
 *   mel filters (int32 n_mel, int32 n_fft, n_mel*n_fft float32: the real Slaney filterbank);
 *   vocab (int32 count, then int32 length + bytes per token: 50257 byte-level tokens, synthetic
 *   but with the 256 single bytes first, so any prompt can be tokenized; whisper.cpp adds the
 *   1608 special and timestamp tokens up to n_vocab 51865 itself, as for the real files);
 *   tensors (int32 n_dims, int32 name length, int32 type, int32 ne[n_dims] innermost first, name,
 *   raw data): f16 for matrices and convolutions, f32 for vectors, conv biases and positional
 *   embeddings (ftype 1, like the published ggml-tiny.bin / ggml-base.bin).
 *
 * Deterministic (seeded PRNG) and cached: `ensureGgmlModel` writes each size+seed once to the
 * temp directory. CLI: `npx tsx scripts/make-ggml-model.ts [tiny|base] [--seed N] [--out FILE]`.
 */
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  GGML_MAGIC,
  GGML_TYPE_F16,
  GGML_TYPE_F32,
  HPARAM_NAMES,
  whisperTensorLayout,
  type TensorLayout,
  type WhisperHparams,
} from "../src/engines/asr/whisper-model.ts";

export type ModelSize = "tiny" | "base";

/** OpenAI's multilingual tiny and base models, as in their checkpoints' `dims`; ftype 1 = f16. */
export const HPARAMS: Record<ModelSize, WhisperHparams> = {
  tiny: {
    n_vocab: 51865,
    n_audio_ctx: 1500,
    n_audio_state: 384,
    n_audio_head: 6,
    n_audio_layer: 4,
    n_text_ctx: 448,
    n_text_state: 384,
    n_text_head: 6,
    n_text_layer: 4,
    n_mels: 80,
    ftype: 1,
  },
  base: {
    n_vocab: 51865,
    n_audio_ctx: 1500,
    n_audio_state: 512,
    n_audio_head: 8,
    n_audio_layer: 6,
    n_text_ctx: 448,
    n_text_state: 512,
    n_text_head: 8,
    n_text_layer: 6,
    n_mels: 80,
    ftype: 1,
  },
};

/** Tokens in the vocab section of a multilingual file (GPT-2's byte-level BPE size). */
const N_TEXT_TOKENS = 50257;
/** bump when the generated content changes, so cached files are not reused */
const FORMAT_VERSION = 2;

type Init = { kind: "uniform"; scale: number } | { kind: "const"; value: number } | { kind: "sinusoids" };

/**
 * How each tensor is filled. Matrices and convolutions: uniform ±1/√fan-in (PyTorch's default);
 * biases small; layer norms 1 and 0; the encoder's positional embedding the real sinusoids. The
 * decoder's positional and token embeddings are larger on purpose: with the small values everywhere
 * a random decoder repeats one token (the tied embedding makes it its own best next token) up to
 * the 220-token cap, which whisper.cpp treats as a failed decode and retries at five higher
 * temperatures with five sampled decoders each. With position dominating the residual stream and
 * logits spread by several units, it emits varied, confident tokens with timestamps and segments,
 * ending a window like a trained model does, so the decode cost in the benchmark is of the right
 * order (about 20-40 words per window for this seed; a trained model's count follows the speech).
 */
function initOf(t: TensorLayout): Init {
  if (t.name === "encoder.positional_embedding") return { kind: "sinusoids" };
  if (t.name === "decoder.positional_embedding") return { kind: "uniform", scale: 8.7 }; // std 5
  if (t.name === "decoder.token_embedding.weight") return { kind: "uniform", scale: 0.87 }; // std 0.5
  const norm = /(_ln|ln_post|^decoder\.ln)\.(weight|bias)$/.exec(t.name);
  if (norm) return { kind: "const", value: norm[2] === "weight" ? 1 : 0 };
  if (t.kind === "conv") return { kind: "uniform", scale: 1 / Math.sqrt(t.ne[0]! * t.ne[1]!) };
  if (t.kind === "matrix") return { kind: "uniform", scale: 1 / Math.sqrt(t.ne[0]!) };
  return { kind: "uniform", scale: 0.02 };
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest (the values here are small and finite). */
export function toHalf(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  return (sign | (exp << 10) | (mant >>> 13)) + ((mant >>> 12) & 1);
}

/** librosa.filters.mel(sr=16000, n_fft=400, n_mels) with Slaney scale and norm, as Whisper uses. */
export function melFilters(nMels: number, sr = 16000, nFft = 400): Float32Array {
  const nFreq = nFft / 2 + 1;
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  const hzToMel = (f: number) => (f < minLogHz ? f / fSp : minLogMel + Math.log(f / minLogHz) / logstep);
  const melToHz = (m: number) => (m < minLogMel ? m * fSp : minLogHz * Math.exp(logstep * (m - minLogMel)));
  const maxMel = hzToMel(sr / 2);
  const melF = Array.from({ length: nMels + 2 }, (_, i) => melToHz((maxMel * i) / (nMels + 1)));
  const out = new Float32Array(nMels * nFreq);
  for (let m = 0; m < nMels; m++) {
    const enorm = 2 / (melF[m + 2]! - melF[m]!);
    for (let k = 0; k < nFreq; k++) {
      const f = (k * sr) / nFft;
      const lower = (f - melF[m]!) / (melF[m + 1]! - melF[m]!);
      const upper = (melF[m + 2]! - f) / (melF[m + 2]! - melF[m + 1]!);
      out[m * nFreq + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return out;
}

/** The 256 single bytes, then made-up syllable words with GPT-2's leading space, all distinct. */
function vocabulary(): Buffer[] {
  const out: Buffer[] = [];
  for (let b = 0; b < 256; b++) out.push(Buffer.from([b]));
  const c = "bdfgklmnprstvz";
  const v = "aeiou";
  const syllables: string[] = [];
  for (const x of c) for (const y of v) syllables.push(x + y);
  const seen = new Set<string>();
  for (let i = 0; out.length < N_TEXT_TOKENS - 1; i++) {
    let n = i;
    let word = "";
    do {
      word += syllables[n % syllables.length];
      n = Math.floor(n / syllables.length);
    } while (n > 0);
    const token = i % 2 === 0 ? ` ${word}` : word;
    if (seen.has(token)) continue;
    seen.add(token);
    out.push(Buffer.from(token, "latin1"));
  }
  out.push(Buffer.from("<|endoftext|>"));
  return out;
}

function fill(spec: TensorLayout, type: number, rand: () => number): Buffer {
  const n = spec.ne.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  const init = initOf(spec);
  if (init.kind === "const") values.fill(init.value);
  else if (init.kind === "uniform") for (let i = 0; i < n; i++) values[i] = (rand() * 2 - 1) * init.scale;
  else {
    // Whisper's encoder positional embedding: sinusoids, ne = [channels, positions]
    const [channels, length] = spec.ne as [number, number];
    const half = channels / 2;
    const inc = Math.log(10000) / (half - 1);
    for (let t = 0; t < length; t++)
      for (let i = 0; i < half; i++) {
        const a = t * Math.exp(-inc * i);
        values[t * channels + i] = Math.sin(a);
        values[t * channels + half + i] = Math.cos(a);
      }
  }
  if (type === GGML_TYPE_F32) return Buffer.from(values.buffer);
  const half = new Uint16Array(n);
  for (let i = 0; i < n; i++) half[i] = toHalf(values[i]!);
  return Buffer.from(half.buffer);
}

/** Writes the model to `file` (atomically: a temp file renamed into place). */
export function writeGgmlModel(file: string, size: ModelSize, seed = 1): void {
  const h = HPARAMS[size];
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    const ints = (...v: number[]) => writeSync(fd, Buffer.from(new Int32Array(v).buffer));
    writeSync(fd, Buffer.from(new Uint32Array([GGML_MAGIC]).buffer));
    ints(...HPARAM_NAMES.map((k) => h[k]));
    ints(h.n_mels, 201);
    writeSync(fd, Buffer.from(melFilters(h.n_mels).buffer));
    const vocab = vocabulary();
    const parts: Buffer[] = [Buffer.from(new Int32Array([vocab.length]).buffer)];
    for (const t of vocab) parts.push(Buffer.from(new Int32Array([t.length]).buffer), t);
    writeSync(fd, Buffer.concat(parts));
    const rand = prng(seed);
    const wtype = h.ftype === 0 ? GGML_TYPE_F32 : GGML_TYPE_F16;
    for (const spec of whisperTensorLayout(h)) {
      const type = spec.kind === "f32" ? GGML_TYPE_F32 : wtype;
      const name = Buffer.from(spec.name);
      ints(spec.ne.length, name.length, type, ...spec.ne);
      writeSync(fd, name);
      writeSync(fd, fill(spec, type, rand));
    }
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/** The cached model for `size` and `seed` in the temp directory, written on first use. */
export function ensureGgmlModel(size: ModelSize = "tiny", seed = 1, dir = os.tmpdir()): string {
  const file = join(dir, `callscribe-ggml-${size}-random-s${seed}-v${FORMAT_VERSION}.bin`);
  if (!existsSync(file)) writeGgmlModel(file, size, seed);
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const seed = Number(opt("--seed") ?? 1);
  const out = opt("--out");
  const size = (args[0] ?? "tiny") as ModelSize;
  if (!(size in HPARAMS) || !Number.isInteger(seed)) {
    console.error("usage: tsx scripts/make-ggml-model.ts [tiny|base] [--seed N] [--out FILE]");
    process.exit(2);
  }
  const t0 = Date.now();
  let file: string;
  if (out) writeGgmlModel((file = resolve(out)), size, seed);
  else file = ensureGgmlModel(size, seed);
  console.error(`${size} (seed ${seed}) in ${Date.now() - t0} ms`);
  console.log(file);
}
