/**
 * whisper.cpp's ggml model file: its layout (the tensors `whisper_model_load` expects for given
 * hparams) and a check of a file against it, so a wrong, truncated or corrupt WHISPER_MODEL stops
 * the server at start-up with a message naming the problem. whisper.cpp's own loader says little
 * (its log goes nowhere in the binding) and accepts some broken files: one cut after the vocabulary
 * loads as an "empty model", one cut inside a tensor loads with part of the weights missing.
 *
 * File: magic 0x67676d6c; 11 int32 hparams; mel filters (int32 n_mel, int32 n_fft, floats);
 * vocabulary (int32 count; per token uint32 length + bytes); tensors until the end of the file
 * (int32 n_dims, int32 name length, int32 ggml type, int32 ne[n_dims] innermost first, name, data).
 * The same layout is written by scripts/make-ggml-model.ts (random weights for tests).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export const GGML_MAGIC = 0x67676d6c;
export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_F16 = 1;

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
  /** ggml file type, plus 1000 × quantization version for quantized files */
  ftype: number;
}

export const HPARAM_NAMES: readonly (keyof WhisperHparams)[] = [
  "n_vocab",
  "n_audio_ctx",
  "n_audio_state",
  "n_audio_head",
  "n_audio_layer",
  "n_text_ctx",
  "n_text_state",
  "n_text_head",
  "n_text_layer",
  "n_mels",
  "ftype",
];

/**
 * What a tensor holds, which decides its type: `matrix` the file's weight type (f16, or the
 * quantized type), `conv` f16 (f32 in an all-f32 file), `f32` always f32.
 */
export type TensorKind = "matrix" | "conv" | "f32";

export interface TensorLayout {
  name: string;
  /** ggml order: ne[0] is the innermost (contiguous) dimension */
  ne: number[];
  kind: TensorKind;
}

/** Every tensor whisper.cpp's loader creates for these hparams, in the PyTorch state-dict order. */
export function whisperTensorLayout(h: WhisperHparams): TensorLayout[] {
  const out: TensorLayout[] = [];
  const add = (name: string, ne: number[], kind: TensorKind) => out.push({ name, ne, kind });
  const norm = (p: string, n: number) => {
    add(`${p}.weight`, [n], "f32");
    add(`${p}.bias`, [n], "f32");
  };
  const attention = (p: string, n: number) => {
    add(`${p}.query.weight`, [n, n], "matrix");
    add(`${p}.query.bias`, [n], "f32");
    add(`${p}.key.weight`, [n, n], "matrix");
    add(`${p}.value.weight`, [n, n], "matrix");
    add(`${p}.value.bias`, [n], "f32");
    add(`${p}.out.weight`, [n, n], "matrix");
    add(`${p}.out.bias`, [n], "f32");
  };
  const mlp = (p: string, n: number) => {
    add(`${p}.mlp.0.weight`, [n, 4 * n], "matrix");
    add(`${p}.mlp.0.bias`, [4 * n], "f32");
    add(`${p}.mlp.2.weight`, [4 * n, n], "matrix");
    add(`${p}.mlp.2.bias`, [n], "f32");
    norm(`${p}.mlp_ln`, n);
  };
  const na = h.n_audio_state;
  add("encoder.positional_embedding", [na, h.n_audio_ctx], "f32");
  add("encoder.conv1.weight", [3, h.n_mels, na], "conv");
  add("encoder.conv1.bias", [1, na], "f32");
  add("encoder.conv2.weight", [3, na, na], "conv");
  add("encoder.conv2.bias", [1, na], "f32");
  for (let i = 0; i < h.n_audio_layer; i++) {
    attention(`encoder.blocks.${i}.attn`, na);
    norm(`encoder.blocks.${i}.attn_ln`, na);
    mlp(`encoder.blocks.${i}`, na);
  }
  norm("encoder.ln_post", na);
  const nt = h.n_text_state;
  add("decoder.positional_embedding", [nt, h.n_text_ctx], "f32");
  add("decoder.token_embedding.weight", [nt, h.n_vocab], "matrix");
  for (let i = 0; i < h.n_text_layer; i++) {
    attention(`decoder.blocks.${i}.attn`, nt);
    norm(`decoder.blocks.${i}.attn_ln`, nt);
    attention(`decoder.blocks.${i}.cross_attn`, nt);
    norm(`decoder.blocks.${i}.cross_attn_ln`, nt);
    mlp(`decoder.blocks.${i}`, nt);
  }
  norm("decoder.ln", nt);
  return out;
}

/** ggml types a whisper.cpp file can hold: [elements per block, bytes per block, name]. */
const GGML_TYPES: Record<number, [number, number, string]> = {
  0: [1, 4, "f32"],
  1: [1, 2, "f16"],
  2: [32, 18, "q4_0"],
  3: [32, 20, "q4_1"],
  6: [32, 22, "q5_0"],
  7: [32, 24, "q5_1"],
  8: [32, 34, "q8_0"],
  10: [256, 84, "q2_K"],
  11: [256, 110, "q3_K"],
  12: [256, 144, "q4_K"],
  13: [256, 176, "q5_K"],
  14: [256, 210, "q6_K"],
  30: [1, 2, "bf16"],
};

/** The ggml type of a model's big matrices for its ftype (ggml_ftype_to_ggml_type). */
const FTYPE_WTYPE: Record<number, number> = {
  0: 0,
  1: 1,
  2: 2,
  3: 3,
  7: 8,
  8: 6,
  9: 7,
  10: 10,
  11: 11,
  12: 12,
  13: 13,
  14: 14,
};
const GGML_QNT_VERSION_FACTOR = 1000;

export class WhisperModelError extends Error {}

export interface WhisperModelInfo {
  hparams: WhisperHparams;
  /** "tiny", "base", … from the encoder depth, as whisper.cpp names it */
  type: string;
  /** multilingual (n_vocab ≥ 51865) or English-only (".en" models) */
  multilingual: boolean;
  /** tokens stored in the file (whisper.cpp adds the special ones up to n_vocab) */
  storedTokens: number;
  tensors: number;
  bytes: number;
}

const MODEL_TYPES: Record<number, string> = { 4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large" };

/** Reads the file a piece at a time (the weights are skipped, not read). */
class Reader {
  pos = 0;
  private readonly fd: number;
  readonly size: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, "r");
    const st = fstatSync(this.fd);
    if (!st.isFile()) {
      closeSync(this.fd);
      throw new WhisperModelError("not a regular file");
    }
    this.size = st.size;
  }
  bytes(n: number, what: string): Buffer {
    if (this.pos + n > this.size) {
      throw new WhisperModelError(
        `truncated: ${what} needs ${n} bytes at offset ${this.pos}, the file ends at ${this.size}`,
      );
    }
    const b = Buffer.alloc(n);
    readSync(this.fd, b, 0, n, this.pos);
    this.pos += n;
    return b;
  }
  int32(what: string): number {
    return this.bytes(4, what).readInt32LE(0);
  }
  skip(n: number, what: string): void {
    if (this.pos + n > this.size) {
      throw new WhisperModelError(
        `truncated: ${what} needs ${n} bytes at offset ${this.pos}, the file ends at ${this.size}`,
      );
    }
    this.pos += n;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Checks a ggml Whisper model file without loading its weights: magic, hparams, mel filters,
 * vocabulary, then every tensor's name, shape, type and size against whisperTensorLayout, and that
 * nothing is missing, repeated or left over. Throws WhisperModelError naming the first problem.
 */
export function inspectWhisperModel(file: string): WhisperModelInfo {
  let r: Reader;
  try {
    r = new Reader(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new WhisperModelError(
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "not readable (permission denied)"
          : code === "EISDIR"
            ? "is a directory, not a model file"
            : e instanceof WhisperModelError
              ? e.message
              : (e as Error).message,
    );
  }
  try {
    return inspect(r);
  } finally {
    r.close();
  }
}

function inspect(r: Reader): WhisperModelInfo {
  if (r.size < 4 + 4 * HPARAM_NAMES.length) {
    throw new WhisperModelError(`too short for a ggml model (${r.size} bytes)`);
  }
  const magic = r.bytes(4, "magic").readUInt32LE(0);
  if (magic !== GGML_MAGIC) {
    const ascii = Buffer.from([magic & 0xff, (magic >> 8) & 0xff, (magic >> 16) & 0xff, magic >>> 24]);
    const hint =
      ascii.toString("latin1") === "GGUF" ? " (a GGUF file: whisper.cpp needs the ggml .bin format)" : "";
    throw new WhisperModelError(
      `not a whisper.cpp ggml model: bad magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x${GGML_MAGIC.toString(16)}${hint}`,
    );
  }
  const h = {} as WhisperHparams;
  for (const k of HPARAM_NAMES) h[k] = r.int32(`hparam ${k}`);
  checkHparams(h);
  const wtype = FTYPE_WTYPE[h.ftype % GGML_QNT_VERSION_FACTOR]!;

  const nMel = r.int32("mel filters");
  const nFft = r.int32("mel filters");
  if (nMel !== h.n_mels || nFft < 1 || nFft > 4096) {
    throw new WhisperModelError(
      `bad mel filter header (n_mel ${nMel}, n_fft ${nFft}; n_mels is ${h.n_mels})`,
    );
  }
  r.skip(nMel * nFft * 4, "mel filters");

  const storedTokens = r.int32("vocabulary size");
  if (storedTokens < 0 || storedTokens > h.n_vocab) {
    throw new WhisperModelError(`bad vocabulary size ${storedTokens} (n_vocab ${h.n_vocab})`);
  }
  for (let i = 0; i < storedTokens; i++) {
    const len = r.bytes(4, `vocabulary token ${i}`).readUInt32LE(0);
    if (len > 1024) throw new WhisperModelError(`bad vocabulary: token ${i} is ${len} bytes long`);
    r.skip(len, `vocabulary token ${i}`);
  }

  const expected = new Map(whisperTensorLayout(h).map((t) => [t.name, t]));
  const seen = new Set<string>();
  while (r.pos < r.size) {
    const at = r.pos;
    if (r.size - at < 16) throw new WhisperModelError(`${r.size - at} stray bytes after the last tensor`);
    const nDims = r.int32("tensor header");
    const nameLen = r.int32("tensor header");
    const type = r.int32("tensor header");
    if (nDims < 1 || nDims > 4 || nameLen < 1 || nameLen > 256) {
      throw new WhisperModelError(
        `corrupt tensor header at offset ${at} (n_dims ${nDims}, name length ${nameLen})`,
      );
    }
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(r.int32("tensor shape"));
    const name = r.bytes(nameLen, "tensor name").toString("latin1");
    const spec = expected.get(name);
    if (!spec) throw new WhisperModelError(`unknown tensor '${printable(name)}' at offset ${at}`);
    if (seen.has(name)) throw new WhisperModelError(`tensor '${name}' appears twice`);
    seen.add(name);
    const want = [...spec.ne, 1, 1, 1].slice(0, 4).join("×");
    if ([...ne, 1, 1, 1].slice(0, 4).join("×") !== want) {
      throw new WhisperModelError(
        `tensor '${name}' has shape ${ne.join("×")}, expected ${spec.ne.join("×")}`,
      );
    }
    const info = GGML_TYPES[type];
    if (!info) throw new WhisperModelError(`tensor '${name}' has unknown ggml type ${type}`);
    const wantType =
      spec.kind === "f32" ? GGML_TYPE_F32 : spec.kind === "conv" && wtype !== 0 ? GGML_TYPE_F16 : wtype;
    if (type !== wantType) {
      throw new WhisperModelError(
        `tensor '${name}' is ${info[2]}, expected ${GGML_TYPES[wantType]?.[2] ?? wantType} for ftype ${h.ftype}`,
      );
    }
    const [block, bytes] = info;
    if (ne[0]! % block !== 0)
      throw new WhisperModelError(`tensor '${name}' rows do not fit ${info[2]} blocks`);
    const n = ne.reduce((a, b) => a * b, 1);
    r.skip((n / block) * bytes, `tensor '${name}' data`);
  }
  if (seen.size === 0) throw new WhisperModelError("no tensors after the vocabulary (the file is cut short)");
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  if (missing.length) {
    throw new WhisperModelError(
      `${missing.length} of ${expected.size} tensors missing (the file is cut short?), first: '${missing[0]}'`,
    );
  }
  return {
    hparams: h,
    type: MODEL_TYPES[h.n_audio_layer] ?? "unknown",
    multilingual: h.n_vocab >= 51865,
    storedTokens,
    tensors: seen.size,
    bytes: r.size,
  };
}

function checkHparams(h: WhisperHparams): void {
  const bad = (why: string) => {
    const all = HPARAM_NAMES.map((k) => `${k}=${h[k]}`).join(" ");
    return new WhisperModelError(`implausible hparams (${why}): ${all}`);
  };
  const inRange = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!inRange(h.n_vocab, 1000, 1_000_000)) throw bad("n_vocab");
  if (!inRange(h.n_audio_ctx, 1, 100_000) || !inRange(h.n_text_ctx, 1, 100_000)) throw bad("context");
  if (!inRange(h.n_audio_layer, 1, 128) || !inRange(h.n_text_layer, 1, 128)) throw bad("layers");
  for (const [state, head] of [
    [h.n_audio_state, h.n_audio_head],
    [h.n_text_state, h.n_text_head],
  ] as const) {
    if (!inRange(state, 1, 65_536) || !inRange(head, 1, 1024) || state % head !== 0) throw bad("state/heads");
  }
  if (h.n_audio_state !== h.n_text_state) throw bad("n_audio_state ≠ n_text_state");
  if (h.n_mels !== 80 && h.n_mels !== 128) throw bad("n_mels");
  if (FTYPE_WTYPE[h.ftype % GGML_QNT_VERSION_FACTOR] === undefined || h.ftype < 0) throw bad("ftype");
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 80);
}

/**
 * The smallest file whisper.cpp loads (all-zero weights, 8-wide, one layer each side, ~1 MB): the
 * Whisper thread loads it first, because a thread that has loaded the binding but never a model
 * crashes the process when it ends (SIGSEGV in @napi-rs/whisper 0.0.4), e.g. after the real model
 * failed to load.
 */
export function minimalWhisperModel(): Buffer {
  const h: WhisperHparams = {
    n_vocab: 51865,
    n_audio_ctx: 1500,
    n_audio_state: 8,
    n_audio_head: 1,
    n_audio_layer: 1,
    n_text_ctx: 448,
    n_text_state: 8,
    n_text_head: 1,
    n_text_layer: 1,
    n_mels: 80,
    ftype: 1,
  };
  const parts: Buffer[] = [];
  const ints = (...v: number[]) => parts.push(Buffer.from(new Int32Array(v).buffer));
  parts.push(Buffer.from(new Uint32Array([GGML_MAGIC]).buffer));
  ints(...HPARAM_NAMES.map((k) => h[k]));
  ints(h.n_mels, 201);
  parts.push(Buffer.alloc(h.n_mels * 201 * 4));
  ints(0); // no stored tokens: whisper.cpp names them all
  for (const t of whisperTensorLayout(h)) {
    const type = t.kind === "f32" ? GGML_TYPE_F32 : GGML_TYPE_F16;
    const name = Buffer.from(t.name);
    ints(t.ne.length, name.length, type, ...t.ne);
    parts.push(name, Buffer.alloc(t.ne.reduce((a, b) => a * b, 1) * (type === GGML_TYPE_F32 ? 4 : 2)));
  }
  return Buffer.concat(parts);
}
