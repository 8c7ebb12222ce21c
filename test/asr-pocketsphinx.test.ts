import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPocketsphinxRecognizer, wordsToSegments } from "../src/engines/asr/pocketsphinx.ts";
import { clipsOf, type Recognizer } from "../src/engines/asr/types.ts";
import { wordErrorRate } from "../src/engines/asr/wer.ts";
import { concatPcm, RATE, sayPcm, silence } from "./helpers/audio.ts";

const A = "thank you for calling customer support how can I help you today";
const B = "I would like to cancel my subscription please";
const C = "let me transfer you to our retention team";

let rec: Recognizer;
let pcmA: Int16Array;
let pcmB: Int16Array;
let pcmC: Int16Array;

before(() => {
  rec = createPocketsphinxRecognizer({ poolSize: 2 });
  pcmA = sayPcm(A, "slt");
  pcmB = sayPcm(B, "rms");
  pcmC = sayPcm(C, "slt");
});

after(() => rec.close());

const textOf = (segs: { text: string }[]) => segs.map((s) => s.text).join(" ");

test("recognizes flite speech of a known sentence, with times inside the region", async () => {
  const pcm = concatPcm(silence(0.5), pcmA, silence(0.5));
  const region = { start: 0.3, end: pcm.length / RATE - 0.3 };
  const segs = await rec.recognize({ clips: clipsOf(pcm, [region]), lang: "en" });
  assert.ok(segs.length >= 1);
  const w = wordErrorRate(A, textOf(segs));
  assert.ok(w.wer < 0.5, `WER ${w.wer}: "${textOf(segs)}"`);
  for (const s of segs) {
    assert.ok(s.start >= region.start && s.end <= region.end && s.start < s.end, JSON.stringify(s));
    assert.doesNotMatch(s.text, /<s>|<\/s>|<sil>|\[|\(\d\)/);
  }
  // speech starts 0.5 s in: the first word must not be placed at the region start or far after
  assert.ok(Math.abs(segs[0]!.start - 0.5) < 0.35, `first word at ${segs[0]!.start}`);
});

test("two regions decode with their own offsets", async () => {
  const gap = 3;
  const pcm = concatPcm(silence(1), pcmA, silence(gap), pcmB, silence(1));
  const bStart = 1 + pcmA.length / RATE + gap;
  const regions = [
    { start: 0.8, end: 1 + pcmA.length / RATE + 0.2 },
    { start: bStart - 0.2, end: bStart + pcmB.length / RATE + 0.2 },
  ];
  const segs = await rec.recognize({ clips: clipsOf(pcm, regions), lang: "en" });
  for (let i = 1; i < segs.length; i++) assert.ok(segs[i]!.start >= segs[i - 1]!.start, "sorted");
  const inA = segs.filter((s) => s.start >= regions[0]!.start && s.end <= regions[0]!.end);
  const inB = segs.filter((s) => s.start >= regions[1]!.start && s.end <= regions[1]!.end);
  assert.equal(
    inA.length + inB.length,
    segs.length,
    `a segment outside both regions: ${JSON.stringify(segs)}`,
  );
  assert.ok(wordErrorRate(A, textOf(inA)).wer < 0.5, textOf(inA));
  assert.ok(wordErrorRate(B, textOf(inB)).wer < 0.5, textOf(inB));
  assert.ok(Math.abs(inB[0]!.start - bStart) < 0.35, `B starts at ${inB[0]!.start}, expected ~${bStart}`);
});

test("concurrent recognize calls each get their own words", async () => {
  const one = (p: Int16Array) => {
    const pcm = concatPcm(silence(0.3), p, silence(0.3));
    return rec.recognize({ clips: clipsOf(pcm, [{ start: 0, end: pcm.length / RATE }]), lang: "en" });
  };
  const [a, b, c] = await Promise.all([one(pcmA), one(pcmB), one(pcmC)]);
  assert.ok(wordErrorRate(A, textOf(a!)).wer < 0.5, textOf(a!));
  assert.ok(wordErrorRate(B, textOf(b!)).wer < 0.5, textOf(b!));
  assert.ok(wordErrorRate(C, textOf(c!)).wer < 0.5, textOf(c!));
});

test("silence and empty region lists produce no segments", async () => {
  const pcm = silence(3);
  assert.deepEqual(await rec.recognize({ clips: clipsOf(pcm, [{ start: 0.5, end: 2.5 }]), lang: "en" }), []);
  assert.deepEqual(await rec.recognize({ clips: clipsOf(pcm, []), lang: "en" }), []);
});

test("the event loop keeps running while a decode is in progress", async () => {
  const pcm = concatPcm(pcmA, pcmB, pcmC, pcmA);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const t0 = performance.now();
  await rec.recognize({ clips: clipsOf(pcm, [{ start: 0, end: pcm.length / RATE }]), lang: "en" });
  const ms = performance.now() - t0;
  clearInterval(timer);
  // a blocked loop would fire the timer at most once or twice over the whole decode
  assert.ok(ms < 200 || ticks >= (ms / 20) * 0.5, `${ticks} ticks in ${ms.toFixed(0)} ms`);
});

test("close() frees the decoders and later calls are refused", async () => {
  const r = createPocketsphinxRecognizer({ poolSize: 1 });
  const pcm = concatPcm(silence(0.3), pcmB, silence(0.3));
  const pending = r.recognize({ clips: clipsOf(pcm, [{ start: 0, end: pcm.length / RATE }]), lang: "en" });
  await r.close(); // waits for the running decode
  assert.ok(wordErrorRate(B, textOf(await pending)).wer < 0.5);
  await assert.rejects(r.recognize({ clips: clipsOf(pcm, []), lang: "en" }), /closed/);
  await r.close();
});

test("a missing model names the Debian packages to install", () => {
  assert.throws(() => createPocketsphinxRecognizer({ modelDir: "/nonexistent/model" }), /pocketsphinx-en-us/);
});

test("wordsToSegments drops fillers, strips variants, splits at long silences, keeps word times", () => {
  const words = [
    { word: "<s>", sf: 0, ef: 10, prob: 1 },
    { word: "hello", sf: 11, ef: 40, prob: 0.9 },
    { word: "[NOISE]", sf: 41, ef: 50, prob: 1 },
    { word: "world(2)", sf: 51, ef: 90, prob: 0.5 },
    { word: "<sil>", sf: 91, ef: 180, prob: 1 },
    { word: "again", sf: 181, ef: 220, prob: 0.25 },
    { word: "</s>", sf: 221, ef: 230, prob: 1 },
  ];
  assert.deepEqual(wordsToSegments(words, 10, 13), [
    {
      start: 10.11,
      end: 10.91,
      text: "hello world",
      words: [
        { word: "hello", start: 10.11, end: 10.41, confidence: 0.9 },
        { word: "world", start: 10.51, end: 10.91, confidence: 0.5 },
      ],
    },
    {
      start: 11.81,
      end: 12.21,
      text: "again",
      words: [{ word: "again", start: 11.81, end: 12.21, confidence: 0.25 }],
    },
  ]);
  assert.deepEqual(
    wordsToSegments(words, 0, 3, 1).map((s) => [s.start, s.end, s.text]),
    [[0.11, 2.21, "hello world again"]],
  );
  assert.deepEqual(wordsToSegments([{ word: "<sil>", sf: 0, ef: 50, prob: 1 }], 0, 1), []);
});
