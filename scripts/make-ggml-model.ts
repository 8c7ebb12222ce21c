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

export const GGML_MAGIC = 0x67676d6c;

export type ModelSize = "tiny" | "base";

export interface WhisperHparams {
  n_vocab: number;
  n_audio_ctx: number;
  n_audio_state: number;
  n_audio_head: number;
  n_audio_layer: number;
  n_text_ctx: number;
  n_text_state: number;
  n_text_head: number;
  n_text_layer: number;
  n_mels: number;
  ftype: number;
}

/** OpenAI's multilingual tiny and base models, as in their checkpoints' `dims`. */
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
const GGML_TYPE_F32 = 0;
const GGML_TYPE_F16 = 1;
/** bump when the generated content changes, so cached files are not reused */
const FORMAT_VERSION = 1;

type Init =
  | { kind: "uniform"; scale: number }
  | { kind: "const"; value: number }
  | { kind: "sinusoids" };

export interface TensorSpec {
  name: string;
  /** ggml order: ne[0] is the innermost (contiguous) dimension */
  ne: number[];
  type: typeof GGML_TYPE_F32 | typeof GGML_TYPE_F16;
  init: Init;
}

/** Every tensor whisper.cpp expects, in the order of the PyTorch state dict. */
export function tensorSpecs(h: WhisperHparams): TensorSpec[] {
  const wtype = h.ftype === 1 ? GGML_TYPE_F16 : GGML_TYPE_F32;
  const out: TensorSpec[] = [];
  const f32 = (name: string, ne: number[], init: Init) => out.push({ name, ne, type: GGML_TYPE_F32, init });
  const mat = (name: string, nIn: number, nOut: number) =>
    out.push({ name, ne: [nIn, nOut], type: wtype, init: { kind: "uniform", scale: 1 / Math.sqrt(nIn) } });
  const bias = (name: string, n: number) => f32(name, [n], { kind: "uniform", scale: 0.02 });
  const norm = (prefix: string, n: number) => {
    f32(`${prefix}.weight`, [n], { kind: "const", value: 1 });
    f32(`${prefix}.bias`, [n], { kind: "const", value: 0 });
  };
  const attention = (prefix: string, n: number) => {
    mat(`${prefix}.query.weight`, n, n);
    bias(`${prefix}.query.bias`, n);
    mat(`${prefix}.key.weight`, n, n);
    mat(`${prefix}.value.weight`, n, n);
    bias(`${prefix}.value.bias`, n);
    mat(`${prefix}.out.weight`, n, n);
    bias(`${prefix}.out.bias`, n);
  };
  const mlp = (prefix: string, n: number) => {
    mat(`${prefix}.mlp.0.weight`, n, 4 * n);
    bias(`${prefix}.mlp.0.bias`, 4 * n);
    mat(`${prefix}.mlp.2.weight`, 4 * n, n);
    bias(`${prefix}.mlp.2.bias`, n);
    norm(`${prefix}.mlp_ln`, n);
  };

  const na = h.n_audio_state;
  f32("encoder.positional_embedding", [na, h.n_audio_ctx], { kind: "sinusoids" });
  const conv = (name: string, nIn: number) => {
    const scale = 1 / Math.sqrt(3 * nIn);
    const vtype = wtype === GGML_TYPE_F32 ? GGML_TYPE_F32 : GGML_TYPE_F16;
    out.push({ name: `${name}.weight`, ne: [3, nIn, na], type: vtype, init: { kind: "uniform", scale } });
    f32(`${name}.bias`, [1, na], { kind: "uniform", scale: 0.02 });
  };
  conv("encoder.conv1", h.n_mels);
  conv("encoder.conv2", na);
  for (let i = 0; i < h.n_audio_layer; i++) {
    const p = `encoder.blocks.${i}`;
    attention(`${p}.attn`, na);
    norm(`${p}.attn_ln`, na);
    mlp(p, na);
  }
  norm("encoder.ln_post", na);

  const nt = h.n_text_state;
  f32("decoder.positional_embedding", [nt, h.n_text_ctx], { kind: "uniform", scale: Number(process.env.CS_DPE ?? 0.02) });
  // Larger than the other weights: the logits are this matrix times a unit-variance state, and a
  // spread of a few units keeps the random decoder from sitting on a flat distribution.
  out.push({
    name: "decoder.token_embedding.weight",
    ne: [nt, h.n_vocab],
    type: wtype,
    init: { kind: "uniform", scale: Number(process.env.CS_TE ?? 0.5) },
  });
  for (let i = 0; i < h.n_text_layer; i++) {
    const p = `decoder.blocks.${i}`;
    attention(`${p}.attn`, nt);
    norm(`${p}.attn_ln`, nt);
    attention(`${p}.cross_attn`, nt);
    norm(`${p}.cross_attn_ln`, nt);
    mlp(p, nt);
  }
  norm("decoder.ln", nt);
  return out;
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

function fill(spec: TensorSpec, rand: () => number): Buffer {
  const n = spec.ne.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  const init = spec.init;
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
  if (spec.type === GGML_TYPE_F32) return Buffer.from(values.buffer);
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
    ints(
      h.n_vocab,
      h.n_audio_ctx,
      h.n_audio_state,
      h.n_audio_head,
      h.n_audio_layer,
      h.n_text_ctx,
      h.n_text_state,
      h.n_text_head,
      h.n_text_layer,
      h.n_mels,
      h.ftype,
    );
    ints(h.n_mels, 201);
    writeSync(fd, Buffer.from(melFilters(h.n_mels).buffer));
    const vocab = vocabulary();
    const parts: Buffer[] = [Buffer.from(new Int32Array([vocab.length]).buffer)];
    for (const t of vocab) parts.push(Buffer.from(new Int32Array([t.length]).buffer), t);
    writeSync(fd, Buffer.concat(parts));
    const rand = prng(seed);
    for (const spec of tensorSpecs(h)) {
      const name = Buffer.from(spec.name);
      ints(spec.ne.length, name.length, spec.type, ...spec.ne);
      writeSync(fd, name);
      writeSync(fd, fill(spec, rand));
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
