/**
 * Word error rate and speed of the embedded path (VAD → PocketSphinx) on
 *   (a) the LibriVox clips of Debian pocketsphinx-testdata, with their reference transcription;
 *   (b) contact-centre style sentences spoken by flite voices (agent = slt, customer = rms, plus
 *       awb reading both parts), laid out as channels with pauses and faint noise;
 *   (c) telephony: set (b) through 8 kHz µ-law and back, as a phone line delivers it;
 *   (d) brands: a call naming "Acme" and "Northwind" three times each (test/helpers/brand-call.ts).
 * Each set has a vocabulary (its names and rare words), used by the "vocabulary" row.
 *
 *   npx tsx bench/wer.ts                      # stock vs tuned (defaults) vs tuned + vocabulary
 *   npx tsx bench/wer.ts --lw 8 --pad 300     # one setting (--beam --wbeam --pbeam --wip --fwdflatlw
 *                                             #   --bestpathlw --maxhmmpf --fwdflat
 *                                             #   no --bestpath no --minsil MS --threshold X)
 *   npx tsx bench/wer.ts --sweep              # the grid used to pick the defaults, then --refine, --final
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  createPocketsphinxRecognizer,
  STOCK_TUNING,
  type PocketsphinxTuning,
} from "../src/engines/asr/pocketsphinx.ts";
import { SAMPLE_RATE, clipsOf } from "../src/engines/asr/types.ts";
import { corpusWer } from "../src/engines/asr/wer.ts";
import { createVad, type VadOptions } from "../src/pipeline/vad.ts";
import { concatPcm, noise, readPcm16, say, sayPcm, silence, writeWav } from "../test/helpers/audio.ts";
import { BRAND_LINES, BRAND_TERMS } from "../test/helpers/brand-call.ts";

interface Clip {
  pcm: Int16Array;
  reference: string;
}

interface TestSet {
  clips: Clip[];
  vocabulary: string[];
}

const LIBRIVOX = "/usr/share/pocketsphinx/test/data/librivox";

function librivoxSet(): Clip[] {
  const lines = readFileSync(join(LIBRIVOX, "transcription"), "utf8").trim().split("\n");
  return lines.map((line) => {
    const m = /^<s>\s*(.*?)\s*<\/s>\s*\((.+)\)$/.exec(line.trim());
    if (!m) throw new Error(`bad transcription line: ${line}`);
    return { pcm: readPcm16(join(LIBRIVOX, `${m[2]}.wav`)), reference: m[1]! };
  });
}

const CALL: [voice: string, text: string][] = [
  ["slt", "Thank you for calling customer support, my name is Sarah, how can I help you today?"],
  ["rms", "Hi, I am calling about my last bill, I think I was charged twice this month."],
  ["slt", "I am sorry to hear that. Can I have your account number please?"],
  ["rms", "Sure, it is four five seven two nine one."],
  ["slt", "Thank you. I can see two payments on the fifth of March."],
  ["slt", "I will refund the second payment to your card within five working days."],
  ["rms", "That is great, thank you so much for your help."],
  ["slt", "Is there anything else I can help you with today?"],
  ["rms", "Yes, I would also like to change my delivery address."],
  ["slt", "No problem. What is the new address?"],
  ["rms", "I want to cancel my subscription because the service is too expensive."],
  ["slt", "Let me transfer you to our retention team, please hold the line."],
];

function fliteSet(): Clip[] {
  const dir = WORK_DIR;
  // awb (Scottish male) reads every line as a third channel, for a less voice-specific figure.
  return ["slt", "rms", "awb"].map((voice, v) => {
    const parts: Int16Array[] = [silence(0.7)];
    const said: string[] = [];
    CALL.forEach(([who, text], i) => {
      if (who !== voice && voice !== "awb") return;
      const path = join(dir, `${voice}-${i}.wav`);
      if (!existsSync(path)) say(text, voice, path);
      parts.push(readPcm16(path), silence(1 + ((i * 7) % 5) * 0.3));
      said.push(text);
    });
    const pcm = concatPcm(...parts);
    const hiss = noise(pcm.length / SAMPLE_RATE, 40, v + 1);
    for (let i = 0; i < pcm.length; i++) pcm[i] = pcm[i]! + hiss[i]!;
    return { pcm, reference: said.join(" ") };
  });
}

const WORK_DIR = join(tmpdir(), "callscribe-bench-wer");

/** A phone line: 8 kHz µ-law (G.711), then back to 16 kHz for the recognizer. */
function throughMulaw(clip: Clip, i: number): Clip {
  const wav = writeWav(join(WORK_DIR, `line-${i}.wav`), clip.pcm);
  const ulaw = join(WORK_DIR, `line-${i}.ulaw.wav`);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", wav, "-ar", "8000", "-c:a", "pcm_mulaw", ulaw]);
  return { pcm: readPcm16(ulaw), reference: clip.reference };
}

function brandSet(): Clip[] {
  const pcm = concatPcm(...BRAND_LINES.flatMap(([voice, text]) => [sayPcm(text, voice), silence(1)]));
  return [{ pcm, reference: BRAND_LINES.map(([, text]) => text).join(" ") }];
}

function sets(): Record<string, TestSet> {
  mkdirSync(WORK_DIR, { recursive: true });
  const flite = fliteSet();
  const callTerms = ["Sarah", "retention", "subscription"];
  return {
    librivox: { clips: librivoxSet(), vocabulary: ["Dashwood", "amiable", "prudently"] },
    flite: { clips: flite, vocabulary: callTerms },
    telephony: { clips: flite.map(throughMulaw), vocabulary: callTerms },
    brands: { clips: brandSet(), vocabulary: BRAND_TERMS },
  };
}

interface Setting {
  label: string;
  tuning?: PocketsphinxTuning;
  vad?: VadOptions;
  /** pass each set's vocabulary */
  vocabulary?: boolean;
}

interface Score {
  wer: number;
  detail: string;
  rtfWall: number;
  rtfCpu: number;
}

async function run(setting: Setting, sets: Record<string, TestSet>): Promise<Record<string, Score>> {
  const vad = createVad(setting.vad);
  const rec = createPocketsphinxRecognizer({ tuning: setting.tuning });
  const out: Record<string, Score> = {};
  try {
    // Warm-up: creates both decoders so their load time is not counted.
    const warm = silence(1);
    warm[100] = 1000;
    await Promise.all(
      [0, 1].map(() => rec.recognize({ clips: clipsOf(warm, [{ start: 0, end: 1 }]), lang: "en" })),
    );
    for (const [name, { clips, vocabulary }] of Object.entries(sets)) {
      const audio = clips.reduce((s, c) => s + c.pcm.length / SAMPLE_RATE, 0);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // Channels run concurrently, as the server would run the two sides of a call.
      const hyps = await Promise.all(
        clips.map(async (c) => {
          const segs = await rec.recognize({
            clips: clipsOf(c.pcm, vad.detect(c.pcm)),
            lang: "en",
            ...(setting.vocabulary && { vocabulary }),
          });
          return segs.map((s) => s.text).join(" ");
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const w = corpusWer(clips.map((c, i) => ({ reference: c.reference, hypothesis: hyps[i]! })));
      out[name] = {
        wer: w.wer,
        detail: `S${w.substitutions} D${w.deletions} I${w.insertions} /${w.refWords}`,
        rtfWall: wall / audio,
        rtfCpu: (cpu.user + cpu.system) / 1e6 / audio,
      };
      if (process.env.WER_VERBOSE)
        hyps.forEach((h, i) => console.log(`  [${name}] ref: ${clips[i]!.reference}\n  hyp: ${h}`));
    }
  } finally {
    await rec.close();
  }
  return out;
}

// PocketSphinx 0.8+5prealpha's own defaults, for the "before" figures.
const STOCK: PocketsphinxTuning = STOCK_TUNING;
const STOCK_VAD: VadOptions = { padMs: 200, minSilenceMs: 300 };

const lws = (lw: number, fwdflatlw = lw, bestpathlw = lw) => ({ lw, fwdflatlw, bestpathlw });
const WIDE = {
  beam: 1e-60,
  wbeam: 1e-40,
  pbeam: 1e-60,
  fwdflatbeam: 1e-80,
  fwdflatwbeam: 1e-40,
  maxhmmpf: -1,
};

/** The default run: where the defaults and a vocabulary take each set from stock. */
const COMPARE: Setting[] = [
  { label: "stock", tuning: STOCK, vad: STOCK_VAD },
  { label: "tuned" },
  { label: "tuned+vocabulary", vocabulary: true },
];

const SWEEP: Setting[] = [
  { label: "stock", tuning: STOCK, vad: STOCK_VAD },
  { label: "defaults" },
  ...[8, 10].map((lw) => ({ label: `all lw ${lw}`, tuning: { ...STOCK, ...lws(lw) }, vad: STOCK_VAD })),
  { label: "lw 6.5/8.5/11", tuning: { ...STOCK, ...lws(6.5, 8.5, 11) }, vad: STOCK_VAD },
  { label: "wide beams", tuning: { ...STOCK, ...WIDE }, vad: STOCK_VAD },
  { label: "no fwdflat", tuning: { ...STOCK, fwdflat: false }, vad: STOCK_VAD },
  { label: "no bestpath", tuning: { ...STOCK, bestpath: false }, vad: STOCK_VAD },
  { label: "wip 0.2", tuning: { ...STOCK, wip: 0.2 }, vad: STOCK_VAD },
  { label: "wip 2", tuning: { ...STOCK, wip: 2 }, vad: STOCK_VAD },
  ...[100, 300, 400].map((padMs) => ({ label: `pad ${padMs}`, tuning: STOCK, vad: { ...STOCK_VAD, padMs } })),
  { label: "minsil 600", tuning: STOCK, vad: { ...STOCK_VAD, minSilenceMs: 600 } },
];

// Second round: combinations of what helped in SWEEP.
const NOFF = { ...STOCK, fwdflat: false };
const REFINE: Setting[] = [
  { label: "noff pad400", tuning: NOFF, vad: { ...STOCK_VAD, padMs: 400 } },
  { label: "noff pad500", tuning: NOFF, vad: { ...STOCK_VAD, padMs: 500 } },
  { label: "noff wide p300", tuning: { ...NOFF, ...WIDE }, vad: { ...STOCK_VAD, padMs: 300 } },
  { label: "noff wide p400", tuning: { ...NOFF, ...WIDE }, vad: { ...STOCK_VAD, padMs: 400 } },
  {
    label: "noff wide p400 wip.2",
    tuning: { ...NOFF, ...WIDE, wip: 0.2 },
    vad: { ...STOCK_VAD, padMs: 400 },
  },
  {
    label: "noff wide p400 bplw8",
    tuning: { ...NOFF, ...WIDE, bestpathlw: 8 },
    vad: { ...STOCK_VAD, padMs: 400 },
  },
  {
    label: "noff wide p400 bplw11",
    tuning: { ...NOFF, ...WIDE, bestpathlw: 11 },
    vad: { ...STOCK_VAD, padMs: 400 },
  },
  { label: "ff wide p400", tuning: { ...STOCK, ...WIDE }, vad: { ...STOCK_VAD, padMs: 400 } },
];

// Third round, on the larger flite set (awb added).
const FINAL: Setting[] = [
  { label: "stock", tuning: STOCK, vad: STOCK_VAD },
  { label: "ff p400", tuning: STOCK, vad: { ...STOCK_VAD, padMs: 400 } },
  { label: "ff wide p400", tuning: { ...STOCK, ...WIDE }, vad: { ...STOCK_VAD, padMs: 400 } },
  {
    label: "ff wide p400 bplw8",
    tuning: { ...STOCK, ...WIDE, bestpathlw: 8 },
    vad: { ...STOCK_VAD, padMs: 400 },
  },
  {
    label: "noff wide p400 bplw8",
    tuning: { ...NOFF, ...WIDE, bestpathlw: 8 },
    vad: { ...STOCK_VAD, padMs: 400 },
  },
  { label: "noff p400 bplw8", tuning: { ...NOFF, bestpathlw: 8 }, vad: { ...STOCK_VAD, padMs: 400 } },
];

function fromArgs(): Setting[] {
  const { values } = parseArgs({
    options: {
      sweep: { type: "boolean" },
      refine: { type: "boolean" },
      final: { type: "boolean" },
      lw: { type: "string" },
      beam: { type: "string" },
      wbeam: { type: "string" },
      pbeam: { type: "string" },
      wip: { type: "string" },
      fwdflatlw: { type: "string" },
      bestpathlw: { type: "string" },
      maxhmmpf: { type: "string" },
      fwdflat: { type: "string" },
      bestpath: { type: "string" },
      pad: { type: "string" },
      minsil: { type: "string" },
      threshold: { type: "string" },
      vocabulary: { type: "boolean" },
    },
  });
  if (values.sweep) return SWEEP;
  if (values.refine) return REFINE;
  if (values.final) return FINAL;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const bool = (v: string | undefined) => (v === undefined ? undefined : v === "yes" || v === "true");
  const tuning: PocketsphinxTuning = {
    lw: num(values.lw),
    beam: num(values.beam),
    wbeam: num(values.wbeam),
    pbeam: num(values.pbeam),
    wip: num(values.wip),
    fwdflatlw: num(values.fwdflatlw),
    bestpathlw: num(values.bestpathlw),
    maxhmmpf: num(values.maxhmmpf),
    fwdflat: bool(values.fwdflat),
    bestpath: bool(values.bestpath),
  };
  const vad: VadOptions = {
    padMs: num(values.pad),
    minSilenceMs: num(values.minsil),
    threshold: num(values.threshold),
  };
  const given = [...Object.entries(tuning), ...Object.entries(vad)].filter(([, v]) => v !== undefined);
  if (given.length === 0 && !values.vocabulary) return COMPARE;
  const label = given.map(([k, v]) => `${k}=${v}`).join(" ") || "defaults";
  return [{ label, tuning, vad, vocabulary: values.vocabulary ?? false }];
}

async function main(): Promise<void> {
  const settings = fromArgs();
  const testSets = sets();
  for (const [name, { clips }] of Object.entries(testSets)) {
    const secs = clips.reduce((s, c) => s + c.pcm.length / SAMPLE_RATE, 0);
    console.log(`${name}: ${clips.length} channels, ${secs.toFixed(1)} s of audio`);
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  for (const s of settings) {
    const r = await run(s, testSets);
    const cols = Object.entries(r).map(
      ([name, x]) =>
        `${name} WER ${pct(x.wer)} (${x.detail}) RTF wall ${x.rtfWall.toFixed(3)} cpu ${x.rtfCpu.toFixed(3)}`,
    );
    const all = Object.values(r);
    const pooled = all.reduce((a, x) => a + x.wer, 0) / all.length;
    console.log(`${s.label.padEnd(16)} mean ${pct(pooled)} | ${cols.join(" | ")}`);
  }
}

await main();
