/**
 * Diarization error rate of the one-channel path (VAD → MFCC → BIC change points → BIC clustering
 * → GMM resegmentation, src/pipeline/diarization/) on calls made from distinct voices taking turns,
 * beside the "everyone is speaker 0" baseline (the same VAD regions, one label), each call at
 * 16 kHz, through 8 kHz µ-law, and with white noise 20 dB below the speech then µ-law:
 *   two speakers: flite pairs (slt/rms, awb/kal, slt/awb, rms/kal), two espeak-ng pairs when
 *                 espeak-ng is installed, and real speech (the LibriVox reader of Debian
 *                 pocketsphinx-testdata) against flite awb — default hints (1–2 speakers);
 *   three speakers: flite slt/rms/awb and kal/slt/rms (+ espeak-ng) — max_speakers=3;
 *   one speaker: each voice alone (and the LibriVox reader) — must stay one speaker.
 * DER uses a 0.25 s collar and the optimal speaker mapping (src/pipeline/diarization/der.ts);
 * group figures are weighted by scored time. RTF is the diarization's own time (second decode +
 * MFCC + clustering + resegmentation, not the VAD) per second of audio.
 *
 *   npm run bench:diarization
 *   npx tsx bench/diarization.ts --only "2 flite" --verbose       # some cases, with the turns found
 *   npx tsx bench/diarization.ts --opts '{"cluster":{"lambda":1.2,"threshold":0}}'   # other settings
 *   npx tsx bench/diarization.ts --mfcc '{"melBands":24}'
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { TimeRange } from "../src/engines/asr/types.ts";
import { decodeStream } from "../src/pipeline/decode.ts";
import { diarizationErrorRate, type DerResult, type Turn } from "../src/pipeline/diarization/der.ts";
import { diarize, type DiarizeOptions, type SpeakerHints } from "../src/pipeline/diarization/diarize.ts";
import { collectFeatures } from "../src/pipeline/diarization/features.ts";
import type { MfccOptions } from "../src/pipeline/diarization/mfcc.ts";
import { createVad } from "../src/pipeline/vad.ts";
import { noise, RATE, readPcm16, tempDir, writeWav } from "../test/helpers/audio.ts";
import {
  makeMonoCall,
  speechExtent,
  seeded,
  toMulaw,
  type MonoCall,
  type MonoTurn,
} from "../test/helpers/mono-call.ts";

const { values: args } = parseArgs({
  options: {
    opts: { type: "string" },
    mfcc: { type: "string" },
    only: { type: "string" },
    verbose: { type: "boolean" },
  },
});
const options: Partial<DiarizeOptions> = args.opts ? (JSON.parse(args.opts) as Partial<DiarizeOptions>) : {};

const AGENT = [
  "Thank you for calling customer support, my name is Sarah, how can I help you today?",
  "I am sorry to hear that. Can I have your account number please?",
  "Thank you. I can see two payments on the fifth of March.",
  "Yes, the second one is a duplicate. I will refund it to your card within five working days.",
  "Is there anything else I can help you with?",
  "Let me check the line for you. One moment please.",
  "I can see some errors on the line since Monday. I will reset the port now.",
  "Okay, could you restart the router and tell me when the lights are green?",
  "Great. The connection looks stable now.",
  "You are welcome. Have a lovely day.",
];
const CUSTOMER = [
  "Hi, I am calling about my last bill, I think I was charged twice this month.",
  "Sure, it is four five seven two nine one.",
  "Right, that is the one I mean.",
  "Thank you. Also my internet keeps dropping in the evening.",
  "It started on Monday, it drops every hour or so.",
  "Okay, it is restarting now.",
  "The lights are green now.",
  "Perfect, thank you so much for your help.",
];
const THIRD = [
  "Hello, this is the supervisor joining the call, I have read the notes.",
  "I can confirm the refund has been approved on our side.",
  "I will also add a credit of ten pounds for the trouble.",
  "Thanks everyone, I will leave you to it.",
];

/** Alternating turns (with the odd double turn) between `voices`. */
function script(voices: string[], seed: number): MonoTurn[] {
  const rand = seeded(seed);
  const lines = [AGENT, CUSTOMER, THIRD];
  const used = voices.map(() => 0);
  const turns: MonoTurn[] = [];
  let who = 0;
  for (let i = 0; i < 20; i++) {
    const pool = lines[who]!;
    if (used[who]! >= pool.length) break;
    turns.push({ voice: voices[who]!, text: pool[used[who]!++]! });
    const r = rand();
    if (voices.length === 2) who = r < 0.15 ? who : 1 - who;
    else who = r < 0.1 ? who : (who + 1 + (r < 0.6 ? 0 : 1)) % 3;
  }
  return turns;
}

interface Case {
  name: string;
  speakers: number;
  make(dir: string): MonoCall;
}

const hasEspeak = (() => {
  try {
    execFileSync("espeak-ng", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

/** LibriVox reader's clips alternating with flite awb lines. */
function realMix(dir: string): MonoCall {
  const lib = "/usr/share/pocketsphinx/test/data/librivox";
  const clips = readdirSync(lib)
    .filter((f) => f.endsWith(".wav"))
    .sort()
    .map((f) => readPcm16(join(lib, f)));
  const other = CUSTOMER.slice(0, clips.length);
  const { dir: d, cleanup } = tempDir();
  try {
    const turns: MonoTurn[] = [];
    clips.forEach((pcm, i) => {
      const [a, b] = speechExtent(pcm);
      writeWav(join(d, `${i}.wav`), pcm.subarray(a, b));
      turns.push({ voice: `file:${join(d, `${i}.wav`)}`, text: "" });
      turns.push({ voice: "awb", text: other[i]! });
    });
    return makeMonoCall(dir, turns, { name: "real.wav", seed: 11 });
  } finally {
    cleanup();
  }
}

const cases: Case[] = [
  ...[
    ["slt", "rms"],
    ["awb", "kal"],
    ["slt", "awb"],
    ["rms", "kal"],
  ].map((v, i) => ({
    name: `2 flite ${v.join("/")}`,
    speakers: 2,
    make: (dir: string) => makeMonoCall(dir, script(v, 100 + i), { name: `${v.join("-")}.wav`, seed: i + 1 }),
  })),
  ...(hasEspeak
    ? [
        ["espeak:en-us+m3", "espeak:en-gb+f3"],
        ["espeak:en-us+m1", "espeak:en-us+m7"],
      ].map((v, i) => ({
        name: `2 espeak ${v.map((x) => x.slice(7)).join("/")}`,
        speakers: 2,
        make: (dir: string) => makeMonoCall(dir, script(v, 200 + i), { name: `es${i}.wav`, seed: 20 + i }),
      }))
    : []),
  { name: "2 real LibriVox/awb", speakers: 2, make: realMix },
  ...[
    ["slt", "rms", "awb"],
    ["kal", "slt", "rms"],
    ...(hasEspeak ? [["espeak:en-us+m3", "espeak:en-gb+f3", "slt"]] : []),
  ].map((v, i) => ({
    name: `3 ${v.map((x) => x.replace("espeak:", "")).join("/")}`,
    speakers: 3,
    make: (dir: string) => makeMonoCall(dir, script(v, 300 + i), { name: `three${i}.wav`, seed: 30 + i }),
  })),
  ...["slt", "rms", "awb", "kal", ...(hasEspeak ? ["espeak:en-us+m3", "espeak:en-gb+f3"] : [])].map(
    (v, i) => ({
      name: `1 ${v.replace("espeak:", "")} alone`,
      speakers: 1,
      make: (dir: string) =>
        makeMonoCall(
          dir,
          [...AGENT, ...CUSTOMER].map((text) => ({ voice: v, text })),
          { name: `alone${i}.wav`, seed: 50 + i },
        ),
    }),
  ),
  {
    name: "1 real LibriVox alone",
    speakers: 1,
    make: (dir: string) => {
      const lib = "/usr/share/pocketsphinx/test/data/librivox";
      const turns = readdirSync(lib)
        .filter((f) => f.endsWith(".wav"))
        .sort()
        .map((f) => ({ voice: `file:${join(lib, f)}`, text: "" }));
      return makeMonoCall(dir, turns, { name: "lib-alone.wav", seed: 60 });
    },
  },
  {
    name: "1 flite slt alone (short)",
    speakers: 1,
    make: (dir: string) =>
      makeMonoCall(
        dir,
        AGENT.map((text) => ({ voice: "slt", text })),
        { name: "alone.wav", seed: 5 },
      ),
  },
];

const vad = createVad();

/** The default hints (1–2 speakers) for calls of one or two; max_speakers=3 for three. */
const hintsFor = (speakers: number): SpeakerHints => ({ min: 1, max: Math.max(2, speakers) });

/** The call with white noise 20 dB below its speech (RMS), as a noisy line would add. */
function withNoise(path: string, out: string): string {
  const pcm = readPcm16(path);
  let sq = 0;
  let n = 0;
  for (const x of pcm) {
    if (Math.abs(x) <= 300) continue;
    sq += x * x;
    n++;
  }
  const speechRms = Math.sqrt(sq / Math.max(1, n));
  const hiss = noise(pcm.length / RATE, (speechRms / 10) * Math.sqrt(3), 17); // uniform: RMS = A/√3
  const mixed = pcm.map((x, i) => Math.max(-32768, Math.min(32767, x + hiss[i]!)));
  return writeWav(out, mixed);
}

async function run(file: string, hints: SpeakerHints) {
  const pcm = readPcm16(file);
  const regions = vad.detect(pcm);
  const started = process.hrtime.bigint();
  const sink = collectFeatures(regions, args.mfcc ? (JSON.parse(args.mfcc) as MfccOptions) : {});
  for await (const block of decodeStream(file, 1)) sink.push(block.samples);
  const result = diarize(sink.finish(), hints, options);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const hyp: Turn[] = result.regions.flatMap((rs, s) => rs.map((r) => ({ ...r, speaker: s })));
  const baseline: Turn[] = regions.map((r: TimeRange) => ({ ...r, speaker: 0 }));
  return { hyp, baseline, seconds, found: result.regions.length, duration: pcm.length / RATE };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}`.padStart(5);
const detail = (r: DerResult) =>
  `${pct(r.missed / r.total)} ${pct(r.falseAlarm / r.total)} ${pct(r.confusion / r.total)}`;

async function main() {
  const tmp = tempDir("callscribe-diar-bench-");
  const rows: { group: string; der: number; base: number; dur: number; countRight: boolean }[] = [];
  let diarSeconds = 0;
  let audioSeconds = 0;
  console.log(
    `${"case".padEnd(34)} ${"rate".padEnd(6)} spk found   DER  miss   FA  conf | baseline DER  conf`,
  );
  try {
    for (const c of cases) {
      if (args.only && !c.name.includes(args.only)) continue;
      const call = c.make(tmp.dir);
      const telephony = toMulaw(call.path, call.path.replace(/\.wav$/, "-ulaw.wav"));
      const noisy = toMulaw(
        withNoise(call.path, call.path.replace(/\.wav$/, "-noise.wav")),
        call.path.replace(/\.wav$/, "-noise-ulaw.wav"),
      );
      for (const [rate, file] of [
        ["16k", call.path],
        ["8k µ", telephony],
        ["8k µ+n", noisy],
      ] as const) {
        const { hyp, baseline, seconds, found, duration } = await run(file, hintsFor(c.speakers));
        const r = diarizationErrorRate(call.reference, hyp);
        const b = diarizationErrorRate(call.reference, baseline);
        diarSeconds += seconds;
        audioSeconds += duration;
        rows.push({
          group: `${c.speakers}@${rate}`,
          der: r.der,
          base: b.der,
          dur: r.total,
          countRight: found === c.speakers,
        });
        console.log(
          `${c.name.padEnd(34)} ${rate.padEnd(6)} ${String(c.speakers).padStart(3)} ${String(found).padStart(5)} ${pct(r.der)} ${detail(r)} | ${pct(b.der).padStart(12)} ${pct(b.confusion / b.total)}`,
        );
        if (args.verbose) {
          for (const t of hyp) console.log(`   ${t.start.toFixed(2)}-${t.end.toFixed(2)} ${t.speaker}`);
        }
      }
    }
  } finally {
    tmp.cleanup();
  }
  console.log("\nscored-time-weighted DER by group (ours | baseline):");
  for (const g of [...new Set(rows.map((r) => r.group))]) {
    const rs = rows.filter((r) => r.group === g);
    const total = rs.reduce((n, r) => n + r.dur, 0);
    const der = rs.reduce((n, r) => n + r.der * r.dur, 0) / total;
    const base = rs.reduce((n, r) => n + r.base * r.dur, 0) / total;
    const right = rs.filter((r) => r.countRight).length;
    console.log(
      `  ${g.padEnd(10)} ${pct(der)} % | ${pct(base)} %  (${rs.length} calls, speaker count right in ${right}, worst DER ${pct(Math.max(...rs.map((r) => r.der)))} %)`,
    );
  }
  console.log(
    `diarization RTF ${(diarSeconds / audioSeconds).toFixed(4)} (${diarSeconds.toFixed(2)} s for ${audioSeconds.toFixed(0)} s of audio; VAD not included)`,
  );
}

await main();
