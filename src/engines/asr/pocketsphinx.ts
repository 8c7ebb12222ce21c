/**
 * Embedded recognizer: PocketSphinx 0.8+5prealpha (Debian `pocketsphinx` + `pocketsphinx-en-us`),
 * called in-process through koffi. English only, offline, low accuracy; it exists so the server
 * works with no external service. Each voiced clip is decoded as one utterance on one decoder
 * from a small pool; the heavy calls run on koffi's worker threads so the event loop stays free.
 *
 * Tuning, measured with `npx tsx bench/wer.ts` on the 2-core dev machine (VAD → recognizer, two
 * decoders; WER pooled per set; RTF = process CPU seconds / audio seconds, wall RTF is lower with
 * two cores busy but varied with machine load). LibriVox = 5 real read clips, 71 words;
 * flite = contact-centre lines by slt/rms/awb, 280 words:
 *   before (stock 5prealpha flags, VAD pad 200 ms):     LibriVox 31.0 %, flite 8.2 %, CPU RTF 0.40 / 0.25
 *   after  (defaults below, VAD pad 400 ms):            LibriVox 21.1 %, flite 7.5 %, CPU RTF 0.71 / 0.49
 *   chosen (stock beams, fwdflat off, bestpathlw 8, pad 400):  LibriVox 21.1 %, flite 7.9 %, CPU RTF 0.39 / 0.25
 *   (the wider beams above gave the same LibriVox score for twice the CPU, so they are not the default)
 * Other single changes from stock: -lw/-fwdflatlw/-bestpathlw all 8 → 33.8 / 6.4 %, all 10 → 59 / 19 %;
 * -bestpath no → 31.0 / 7.9 %; -wip 0.2 or 2 → ±1 word; fwdflat+wide beams+pad 400 → 23.9 / 6.8 % at
 * RTF 0.81. The sets are small (one word on LibriVox is 1.4 points), so treat gaps under ~3 points as noise.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import koffi, { type LibraryHandle } from "koffi";
import { runTool } from "../../pipeline/run-tool.ts";
import { mapBounded } from "./map-bounded.ts";
import {
  SAMPLE_RATE,
  type Clip,
  type RecognizeInput,
  type RecognizedSegment,
  type RecognizedWord,
  type Recognizer,
} from "./types.ts";
import { casingOf, cmuPhones, unigramArpa, vocabularyWords } from "./vocabulary.ts";

export const DEFAULT_MODEL_DIR = "/usr/share/pocketsphinx/model/en-us";

export interface PocketsphinxTuning {
  /** language weight of the first pass (-lw); the passes after it have their own weights */
  lw?: number;
  /** language weight of the flat-lexicon pass (-fwdflatlw) */
  fwdflatlw?: number;
  /** language weight of the lattice pass (-bestpathlw), the one that picks the final words */
  bestpathlw?: number;
  beam?: number;
  wbeam?: number;
  pbeam?: number;
  fwdflatbeam?: number;
  fwdflatwbeam?: number;
  /** cap on active HMMs per frame (-maxhmmpf), -1 for none */
  maxhmmpf?: number;
  /** word insertion penalty (-wip) */
  wip?: number;
  /** second, flat-lexicon pass (-fwdflat) */
  fwdflat?: boolean;
  /** lattice best-path rescoring (-bestpath) */
  bestpath?: boolean;
  /** any other decoder flag, name without the leading dash */
  extra?: Record<string, string | number | boolean>;
}

export interface PocketsphinxOptions {
  /** holds en-us/ (acoustic model), en-us.lm.bin and cmudict-en-us.dict */
  modelDir?: string;
  /** decoders kept (110–190 MB each); one per core */
  poolSize?: number;
  tuning?: PocketsphinxTuning;
  /** a gap between words longer than this starts a new segment */
  splitSilenceS?: number;
  /** share of the vocabulary's unigram model in the interpolated language model; default 0.2 */
  vocabularyWeight?: number;
}

/** PocketSphinx 0.8+5prealpha's own defaults (the "before" figures at the top of this file). */
export const STOCK_TUNING: Required<Omit<PocketsphinxTuning, "extra">> = {
  lw: 6.5,
  fwdflatlw: 8.5,
  bestpathlw: 9.5,
  beam: 1e-48,
  wbeam: 7e-29,
  pbeam: 1e-48,
  fwdflatbeam: 1e-64,
  fwdflatwbeam: 7e-29,
  maxhmmpf: 30000,
  wip: 0.65,
  fwdflat: true,
  bestpath: true,
};

/**
 * Chosen with bench/wer.ts. Stock beams: the wider ones (1e-60/1e-40/1e-60) scored the same on
 * LibriVox at twice the CPU. The flat pass cost time and lost words on real speech.
 */
export const DEFAULT_TUNING: Required<Omit<PocketsphinxTuning, "extra">> = {
  ...STOCK_TUNING,
  bestpathlw: 8,
  fwdflat: false,
};

const INSTALL_HINT = "install the Debian packages pocketsphinx and pocketsphinx-en-us";

// ---- native binding (loaded once per process) ----

type Ptr = bigint | null;
type AsyncFn = { async: (...args: unknown[]) => void };
type Fn<A extends unknown[], R> = ((...args: A) => R) & AsyncFn;

interface Lib {
  cmd_ln_parse_r: Fn<[Ptr, Ptr, number, string[], number], Ptr>;
  cmd_ln_free_r: Fn<[Ptr], number>;
  ps_args: Fn<[], Ptr>;
  ps_init: Fn<[Ptr], Ptr>;
  ps_free: Fn<[Ptr], number>;
  ps_start_stream: Fn<[Ptr], number>;
  ps_start_utt: Fn<[Ptr], number>;
  ps_process_raw: Fn<[Ptr, Ptr, number, number, number], number>;
  ps_end_utt: Fn<[Ptr], number>;
  ps_seg_iter: Fn<[Ptr], Ptr>;
  ps_seg_next: Fn<[Ptr], Ptr>;
  ps_seg_word: Fn<[Ptr], string | null>;
  ps_seg_frames: Fn<[Ptr, number[], number[]], void>;
  ps_seg_prob: Fn<[Ptr, number[], number[], number[]], number>;
  ps_get_logmath: Fn<[Ptr], Ptr>;
  logmath_exp: Fn<[Ptr, number], number>;
  logmath_init: Fn<[number, number, number], Ptr>;
  logmath_free: Fn<[Ptr], number>;
  ngram_model_read: Fn<[Ptr, string, number, Ptr], Ptr>;
  ngram_model_get_counts: Fn<[Ptr], Ptr>;
  ngram_word: Fn<[Ptr, number], string | null>;
  ngram_model_free: Fn<[Ptr], number>;
  ngram_model_retain: Fn<[Ptr], Ptr>;
  ngram_model_set_init: Fn<[Ptr, Ptr[], string[], number[], number], Ptr>;
  ngram_model_set_lookup: Fn<[Ptr, string], Ptr>;
  ps_get_config: Fn<[Ptr], Ptr>;
  ps_get_lm: Fn<[Ptr, string], Ptr>;
  ps_set_lm: Fn<[Ptr, string, Ptr], number>;
  ps_set_search: Fn<[Ptr, string], number>;
  ps_unset_search: Fn<[Ptr, string], number>;
  ps_lookup_word: Fn<[Ptr, string], Ptr>;
  ckd_free: Fn<[Ptr], void>;
  ps_add_word: Fn<[Ptr, string, string, number], number>;
}

let lib: Lib | undefined;

function loadLib(): Lib {
  if (lib) return lib;
  let sb: LibraryHandle;
  let ps: LibraryHandle;
  try {
    sb = koffi.load("libsphinxbase.so.3");
    ps = koffi.load("libpocketsphinx.so.3");
  } catch (e) {
    throw new Error(`PocketSphinx library not found (libpocketsphinx.so.3): ${INSTALL_HINT}`, { cause: e });
  }
  // Logging off for the whole process. Not via -logfn: every ps_init would then reopen the global
  // log FILE, racing with decoders writing to it on other threads.
  sb.func("void err_set_logfp(void *fp)")(null);
  const f = (h: LibraryHandle, decl: string) => h.func(decl) as unknown;
  lib = {
    cmd_ln_parse_r: f(
      sb,
      "void *cmd_ln_parse_r(void *inout, void *defn, int argc, const char **argv, int strict)",
    ),
    cmd_ln_free_r: f(sb, "int cmd_ln_free_r(void *cmdln)"),
    ps_args: f(ps, "void *ps_args()"),
    ps_init: f(ps, "void *ps_init(void *config)"),
    ps_free: f(ps, "int ps_free(void *ps)"),
    ps_start_stream: f(ps, "int ps_start_stream(void *ps)"),
    ps_start_utt: f(ps, "int ps_start_utt(void *ps)"),
    ps_process_raw: f(ps, "int ps_process_raw(void *ps, void *data, size_t n, int no_search, int full_utt)"),
    ps_end_utt: f(ps, "int ps_end_utt(void *ps)"),
    ps_seg_iter: f(ps, "void *ps_seg_iter(void *ps)"),
    ps_seg_next: f(ps, "void *ps_seg_next(void *seg)"),
    ps_seg_word: f(ps, "const char *ps_seg_word(void *seg)"),
    ps_seg_frames: f(ps, "void ps_seg_frames(void *seg, _Out_ int *sf, _Out_ int *ef)"),
    ps_seg_prob: f(ps, "int ps_seg_prob(void *seg, _Out_ int *ascr, _Out_ int *lscr, _Out_ int *lback)"),
    ps_get_logmath: f(ps, "void *ps_get_logmath(void *ps)"),
    logmath_exp: f(sb, "double logmath_exp(void *lmath, int logb_p)"),
    logmath_init: f(sb, "void *logmath_init(double base, int shift, int use_table)"),
    logmath_free: f(sb, "int logmath_free(void *lmath)"),
    ngram_model_read: f(sb, "void *ngram_model_read(void *config, const char *file, int type, void *lmath)"),
    ngram_model_get_counts: f(sb, "const uint32_t *ngram_model_get_counts(void *model)"),
    ngram_word: f(sb, "const char *ngram_word(void *model, int32_t wid)"),
    ngram_model_free: f(sb, "int ngram_model_free(void *model)"),
    ngram_model_retain: f(sb, "void *ngram_model_retain(void *model)"),
    ngram_model_set_init: f(
      sb,
      "void *ngram_model_set_init(void *config, void **models, const char **names, const float *weights, int n)",
    ),
    ngram_model_set_lookup: f(sb, "void *ngram_model_set_lookup(void *set, const char *name)"),
    ps_get_config: f(ps, "void *ps_get_config(void *ps)"),
    ps_get_lm: f(ps, "void *ps_get_lm(void *ps, const char *name)"),
    ps_set_lm: f(ps, "int ps_set_lm(void *ps, const char *name, void *lm)"),
    ps_set_search: f(ps, "int ps_set_search(void *ps, const char *name)"),
    ps_unset_search: f(ps, "int ps_unset_search(void *ps, const char *name)"),
    // returns a copy the caller frees
    ps_lookup_word: f(ps, "void *ps_lookup_word(void *ps, const char *word)"),
    ckd_free: f(sb, "void ckd_free(void *ptr)"),
    ps_add_word: f(ps, "int ps_add_word(void *ps, const char *word, const char *phones, int update)"),
  } as Lib;
  return lib;
}

function callAsync<R>(fn: AsyncFn, ...args: unknown[]): Promise<R> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, res: R) => (err ? reject(err) : resolve(res)));
  });
}

// ---- decoder ----

interface Word {
  word: string;
  /** first and last 10 ms frame, inclusive, relative to the utterance */
  sf: number;
  ef: number;
  /** posterior probability from the lattice (bestpath), 0–1 */
  prob: number;
}

/** PocketSphinx's name for the search ps_init builds from -lm. */
const DEFAULT_SEARCH = "_default";
const VOCABULARY_SEARCH = "vocabulary";
const NGRAM_ARPA = 1;

class Decoder {
  private buf: Ptr = null;
  private cap = 0;
  /** the vocabulary the current search boosts ("" = the stock language model) */
  vocabularyKey = "";
  /** words added to this decoder's dictionary for a vocabulary; they stay until it is freed */
  readonly added = new Set<string>();
  private constructor(
    private readonly l: Lib,
    private ps: Ptr,
  ) {}

  static async create(l: Lib, argv: string[]): Promise<Decoder> {
    const config = l.cmd_ln_parse_r(null, l.ps_args(), argv.length, argv, 1);
    if (!config) throw new Error(`PocketSphinx rejected its options: ${argv.join(" ")}`);
    try {
      const ps = await callAsync<Ptr>(l.ps_init, config);
      if (!ps) throw new Error("PocketSphinx could not load its model (ps_init failed)");
      return new Decoder(l, ps);
    } finally {
      l.cmd_ln_free_r(config); // ps_init keeps its own reference
    }
  }

  /**
   * Without added words a decoder can serve any request. Words added for one request's vocabulary
   * would leak into every later request on it, so it is replaced rather than reused for a
   * vocabulary that does not contain them.
   */
  canServe(v: PreparedVocabulary | null): boolean {
    for (const w of this.added) if (!v?.wordSet.has(w)) return false;
    return true;
  }

  /**
   * Switches the search to one whose language model is the stock model interpolated with a
   * unigram model of the vocabulary's words (weight `weight`), adding words the dictionary lacks
   * with flite's pronunciations. The stock search is kept, so switching back costs nothing.
   */
  async useVocabulary(v: PreparedVocabulary | null, weight: number): Promise<void> {
    const key = v?.key ?? "";
    if (key === this.vocabularyKey) return;
    const l = this.l;
    // Leave the vocabulary search before it is freed or replaced.
    if (l.ps_set_search(this.ps, DEFAULT_SEARCH) < 0) throw new Error("PocketSphinx lost its default search");
    if (this.vocabularyKey) l.ps_unset_search(this.ps, VOCABULARY_SEARCH);
    this.vocabularyKey = "";
    if (!v) return;
    for (const word of v.words) {
      const known = l.ps_lookup_word(this.ps, word);
      if (known) {
        l.ckd_free(known);
        continue;
      }
      const phones = v.pronunciations.get(word);
      if (!phones) continue;
      if (l.ps_add_word(this.ps, word, phones, 0) < 0)
        throw new Error(`PocketSphinx refused the word ${word}`);
      this.added.add(word);
    }
    const config = l.ps_get_config(this.ps);
    const main = l.ngram_model_set_lookup(l.ps_get_lm(this.ps, DEFAULT_SEARCH), "default");
    if (!main) throw new Error("PocketSphinx's default language model is not loaded");
    const boost = await callAsync<Ptr>(
      l.ngram_model_read,
      config,
      v.arpaPath,
      NGRAM_ARPA,
      l.ps_get_logmath(this.ps),
    );
    if (!boost) throw new Error(`PocketSphinx could not read the vocabulary model ${v.arpaPath}`);
    // Ownership as in this sphinxbase (checked with refcounts): the set retains its models and the
    // search retains the set, so this code drops the references it holds itself.
    const set = l.ngram_model_set_init(
      config,
      [main, boost],
      ["default", "vocabulary"],
      [1 - weight, weight],
      2,
    );
    l.ngram_model_free(boost);
    if (!set) throw new Error("PocketSphinx could not combine the vocabulary with its language model");
    const ok = await callAsync<number>(l.ps_set_lm, this.ps, VOCABULARY_SEARCH, set);
    l.ngram_model_free(set);
    if (ok < 0 || l.ps_set_search(this.ps, VOCABULARY_SEARCH) < 0) {
      throw new Error("PocketSphinx could not build a search for the vocabulary");
    }
    this.vocabularyKey = key;
  }

  async decode(pcm: Int16Array): Promise<Word[]> {
    const l = this.l;
    if (pcm.length > this.cap) {
      if (this.buf) koffi.free(this.buf);
      this.cap = Math.max(pcm.length, SAMPLE_RATE * 30);
      this.buf = koffi.alloc("int16_t", this.cap) as bigint;
    }
    // A native copy, so the worker thread reads memory V8 cannot move.
    new Int16Array(koffi.view(this.buf, pcm.length * 2)).set(pcm);
    // A new stream per utterance makes word frames relative to this region.
    if (l.ps_start_stream(this.ps) < 0 || l.ps_start_utt(this.ps) < 0) throw new Error("ps_start_utt failed");
    // full_utt=1: one block with the whole utterance, which batch CMN (the model's -cmn) needs.
    const n = await callAsync<number>(l.ps_process_raw, this.ps, this.buf, pcm.length, 0, 1);
    const end = await callAsync<number>(l.ps_end_utt, this.ps);
    if (n < 0 || end < 0) throw new Error("PocketSphinx failed to decode an utterance");
    const words: Word[] = [];
    const logmath = l.ps_get_logmath(this.ps);
    // With -bestpath the iterator runs the lattice search, so it is off-thread too.
    for (let seg = await callAsync<Ptr>(l.ps_seg_iter, this.ps); seg; seg = l.ps_seg_next(seg)) {
      const sf = [0];
      const ef = [0];
      const scores: [number[], number[], number[]] = [[0], [0], [0]];
      l.ps_seg_frames(seg, sf, ef);
      const post = l.ps_seg_prob(seg, ...scores);
      const prob = Math.min(1, Math.max(0, l.logmath_exp(logmath, post)));
      words.push({ word: l.ps_seg_word(seg) ?? "", sf: sf[0]!, ef: ef[0]!, prob });
    }
    return words;
  }

  free(): void {
    if (this.ps) this.l.ps_free(this.ps);
    if (this.buf) koffi.free(this.buf);
    this.ps = null;
    this.buf = null;
  }
}

/**
 * Up to `size` decoders, created on first demand (ps_init takes ~0.5 s and 110–190 MB) and reused.
 * Jobs queue FIFO for a free decoder.
 */
class DecoderPool {
  private readonly created: Decoder[] = [];
  private readonly idle: Decoder[] = [];
  private readonly queue: { run: (d: Decoder) => void; fail: (e: unknown) => void }[] = [];
  private creating = 0;
  private active = 0;
  private onIdle: (() => void) | undefined;
  closed = false;

  constructor(
    private readonly factory: () => Promise<Decoder>,
    private readonly size: number,
  ) {}

  /** Runs `fn` as one piece of work that close() waits for; refused once the pool is closing. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("recognizer is closed");
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (this.active === 0) this.onIdle?.();
    }
  }

  /**
   * A decoder for `job`; call it inside hold(). An idle decoder that `prefer`s is taken first; one
   * that is not `usable` is replaced by a new one.
   */
  async use<T>(
    job: (d: Decoder) => Promise<T>,
    pick: { prefer?: (d: Decoder) => boolean; usable?: (d: Decoder) => boolean } = {},
  ): Promise<T> {
    let d: Decoder | undefined = await this.acquire(pick.prefer);
    try {
      if (pick.usable && !pick.usable(d)) {
        const old = d;
        d = undefined;
        d = await this.replace(old);
      }
      return await job(d);
    } finally {
      if (d) this.release(d);
      // a failed replacement leaves a place free: let a waiting job try to fill it
      else if (this.queue.length) void this.grow();
    }
  }

  private async replace(old: Decoder): Promise<Decoder> {
    this.created.splice(this.created.indexOf(old), 1);
    old.free();
    this.creating++;
    try {
      const d = await this.factory();
      this.created.push(d);
      return d;
    } finally {
      this.creating--;
    }
  }

  private acquire(prefer?: (d: Decoder) => boolean): Promise<Decoder> {
    const i = prefer ? this.idle.findIndex(prefer) : -1;
    const free = i >= 0 ? this.idle.splice(i, 1)[0] : this.idle.pop();
    if (free) return Promise.resolve(free);
    const wait = new Promise<Decoder>((run, fail) => this.queue.push({ run, fail }));
    if (this.created.length + this.creating < this.size) void this.grow();
    return wait;
  }

  private async grow(): Promise<void> {
    this.creating++;
    try {
      const d = await this.factory();
      if (this.closed && this.active === 0) return d.free();
      this.created.push(d);
      this.release(d);
    } catch (e) {
      // Nothing else will serve the queue if no decoder exists at all.
      if (this.created.length === 0 && this.creating === 1) for (const w of this.queue.splice(0)) w.fail(e);
      else this.queue.shift()?.fail(e);
    } finally {
      this.creating--;
    }
  }

  private release(d: Decoder): void {
    const next = this.queue.shift();
    if (next) next.run(d);
    else this.idle.push(d);
  }

  /** Lets queued and running jobs finish, then frees every decoder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.active > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    for (const d of this.created.splice(0)) d.free();
    this.idle.length = 0;
  }
}

// ---- recognizer ----

export function createPocketsphinxRecognizer(opts: PocketsphinxOptions = {}): Recognizer {
  const modelDir = opts.modelDir ?? DEFAULT_MODEL_DIR;
  const files = {
    hmm: join(modelDir, "en-us"),
    lm: join(modelDir, "en-us.lm.bin"),
    dict: join(modelDir, "cmudict-en-us.dict"),
  };
  for (const p of Object.values(files)) {
    if (!existsSync(p)) throw new Error(`PocketSphinx model file missing: ${p} (${INSTALL_HINT})`);
  }
  const l = loadLib();
  let argv: Promise<string[]> | undefined;
  const poolSize = Math.max(1, opts.poolSize ?? 2);
  const splitSilenceS = opts.splitSilenceS ?? 0.6;

  const pool = new DecoderPool(async () => {
    argv ??= lmDictionary(l, files.lm, files.dict).then((dict) => buildArgv({ ...files, dict }, opts.tuning));
    return Decoder.create(l, await argv);
  }, poolSize);

  const vocabularyWeight = opts.vocabularyWeight ?? 0.2;
  async function decodeClip(clip: Clip, vocabulary: PreparedVocabulary | null): Promise<RecognizedSegment[]> {
    if (clip.pcm.length < SAMPLE_RATE / 20) return [];
    const key = vocabulary?.key ?? "";
    const words = await pool.use(
      async (d) => {
        await d.useVocabulary(vocabulary, vocabularyWeight);
        return d.decode(clip.pcm);
      },
      { prefer: (d) => d.vocabularyKey === key, usable: (d) => d.canServe(vocabulary) },
    );
    return wordsToSegments(words, clip.start, clip.end, splitSilenceS);
  }

  return {
    name: "pocketsphinx",
    // the Debian package ships the US English acoustic model and dictionary only
    languages: ["en"],
    // input.lang is not used: the only model installed is US English.
    async recognize(input: RecognizeInput): Promise<RecognizedSegment[]> {
      // Up to one clip per decoder in flight for each channel: a long channel uses every decoder,
      // and clips not yet decoded wait in ffmpeg's pipe, not in memory.
      const terms = input.vocabulary ?? [];
      // inside hold(): a close() that comes while the vocabulary is prepared waits for this call
      const parts = await pool.hold(async () => {
        const vocabulary = await prepareVocabulary(terms);
        return mapBounded(input.clips, poolSize, async (clip) => {
          const segments = await decodeClip(clip, vocabulary);
          input.onVoicedDone?.(clip.end - clip.start);
          return segments;
        });
      });
      return withCasing(parts.flat(), terms).sort((a, b) => a.start - b.start);
    },
    close: () => pool.close(),
  };
}

/**
 * The dictionary cut down to the words the language model knows (72k of cmudict's 135k entries):
 * the search can use no other word, and every unused entry costs memory in every decoder (~8 MB
 * each). Written once to the temp directory, named after both source files.
 */
async function lmDictionary(l: Lib, lm: string, dict: string): Promise<string> {
  const id = createHash("sha256")
    .update(
      [lm, dict]
        .map((f) => {
          const st = statSync(f);
          return `${f}:${st.size}:${st.mtimeMs}`;
        })
        .join("|"),
    )
    .digest("hex")
    .slice(0, 16);
  const out = join(os.tmpdir(), `callscribe-${id}.dict`);
  if (existsSync(out)) return out;
  const vocab = await lmVocabulary(l, lm);
  const lines = (await readFile(dict, "utf8")).split("\n");
  const kept = lines.filter((line) => vocab.has(line.slice(0, line.indexOf(" ")).replace(/\(\d+\)$/, "")));
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, kept.join("\n") + "\n");
  await rename(tmp, out);
  return out;
}

async function lmVocabulary(l: Lib, lm: string): Promise<Set<string>> {
  const logmath = l.logmath_init(1.0001, 0, 0);
  const NGRAM_AUTO = 0;
  const model = await callAsync<Ptr>(l.ngram_model_read, null, lm, NGRAM_AUTO, logmath);
  try {
    if (!model) throw new Error(`PocketSphinx could not read its language model ${lm}`);
    const [unigrams] = koffi.decode(l.ngram_model_get_counts(model), "uint32_t", 1) as number[];
    const vocab = new Set<string>();
    for (let wid = 0; wid < unigrams!; wid++) vocab.add(l.ngram_word(model, wid) ?? "");
    return vocab;
  } finally {
    if (model) l.ngram_model_free(model);
    l.logmath_free(logmath);
  }
}

/** A vocabulary ready for a decoder: its words, their pronunciations, its unigram model on disk. */
export interface PreparedVocabulary {
  key: string;
  words: string[];
  wordSet: Set<string>;
  /** flite's pronunciation of each word; used for words the dictionary lacks */
  pronunciations: Map<string, string>;
  arpaPath: string;
}

const pronunciationCache = new Map<string, string | null>();

/** flite's letter-to-sound rules (`t2p`), for words the CMU dictionary does not have. */
async function pronounce(word: string): Promise<string | null> {
  const cached = pronunciationCache.get(word);
  if (cached !== undefined) return cached;
  const out = await runTool("t2p", [word], { timeoutMs: 10_000, debianPackage: "flite" });
  const phones = cmuPhones(out.toString());
  if (pronunciationCache.size > 10_000) pronunciationCache.clear();
  pronunciationCache.set(word, phones);
  return phones;
}

const prepared = new Map<string, Promise<PreparedVocabulary>>();

/** Prepared once per distinct vocabulary (the channels of a call ask at the same time). */
export function prepareVocabulary(terms: readonly string[]): Promise<PreparedVocabulary | null> {
  const words = vocabularyWords(terms);
  if (words.length === 0) return Promise.resolve(null);
  const key = words.join(" ");
  let p = prepared.get(key);
  if (!p) {
    if (prepared.size >= 64) prepared.clear();
    p = prepareWords(key, words);
    prepared.set(key, p);
    p.catch(() => prepared.delete(key));
  }
  return p;
}

async function prepareWords(key: string, words: string[]): Promise<PreparedVocabulary> {
  const pronunciations = new Map<string, string>();
  for (const w of words) {
    const phones = await pronounce(w);
    if (phones) pronunciations.set(w, phones);
  }
  const id = createHash("sha256").update(key).digest("hex").slice(0, 16);
  const arpaPath = join(os.tmpdir(), `callscribe-vocabulary-${id}.arpa`);
  if (!existsSync(arpaPath)) {
    const tmp = `${arpaPath}.${randomUUID()}.tmp`;
    await writeFile(tmp, unigramArpa(words));
    await rename(tmp, arpaPath);
  }
  return { key, words, wordSet: new Set(words), pronunciations, arpaPath };
}

/** Vocabulary words come back spelled as the caller wrote them ("acme" → "Acme"). */
function withCasing(segments: RecognizedSegment[], terms: readonly string[]): RecognizedSegment[] {
  if (terms.length === 0) return segments;
  const spell = casingOf(terms);
  return segments.map((s) => {
    const words = s.words?.map((w) => ({ ...w, word: spell(w.word) }));
    return { ...s, text: s.text.split(" ").map(spell).join(" "), ...(words && { words }) };
  });
}

function buildArgv(files: { hmm: string; lm: string; dict: string }, t: PocketsphinxTuning = {}): string[] {
  const o = {
    ...DEFAULT_TUNING,
    ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)),
  };
  const flags: Record<string, string | number | boolean> = {
    hmm: files.hmm,
    lm: files.lm,
    dict: files.dict,
    ...Object.fromEntries(Object.entries(o).filter(([k]) => k !== "extra")),
    ...(t.extra ?? {}),
  };
  return Object.entries(flags).flatMap(([k, v]) => [
    `-${k}`,
    typeof v === "boolean" ? (v ? "yes" : "no") : String(v),
  ]);
}

const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;

/** Drops fillers, strips "(2)" variants, and splits at long inner silences. Exported for tests. */
export function wordsToSegments(
  words: Word[],
  offset: number,
  regionEnd: number,
  splitSilenceS = 0.6,
): RecognizedSegment[] {
  const out: RecognizedSegment[] = [];
  let cur: { start: number; end: number; words: RecognizedWord[] } | undefined;
  const flush = () => {
    if (cur)
      out.push({
        start: round(cur.start),
        end: round(Math.min(regionEnd, cur.end)),
        text: cur.words.map((w) => w.word).join(" "),
        words: cur.words,
      });
  };
  for (const w of words) {
    if (FILLER.test(w.word)) continue;
    const text = w.word.replace(/\(\d+\)$/, "");
    if (!text) continue;
    const start = offset + w.sf / 100;
    const end = Math.min(regionEnd, offset + (w.ef + 1) / 100);
    const word = { word: text, start: round(start), end: round(end), confidence: w.prob };
    if (cur && start - cur.end <= splitSilenceS) {
      cur.words.push(word);
      cur.end = end;
    } else {
      flush();
      cur = { start, end, words: [word] };
    }
  }
  flush();
  return out;
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
