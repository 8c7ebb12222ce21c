import { test } from "node:test";
import assert from "node:assert/strict";
import { corpusWer, normalizeWords, wordErrorRate } from "../src/engines/asr/wer.ts";

const cases: {
  name: string;
  ref: string;
  hyp: string;
  s: number;
  d: number;
  i: number;
  n: number;
}[] = [
  { name: "identical", ref: "hello world", hyp: "hello world", s: 0, d: 0, i: 0, n: 2 },
  { name: "case and punctuation ignored", ref: "Hello, World!", hyp: "hello world", s: 0, d: 0, i: 0, n: 2 },
  { name: "one substitution", ref: "the cat sat", hyp: "the bat sat", s: 1, d: 0, i: 0, n: 3 },
  { name: "one deletion", ref: "the cat sat down", hyp: "the cat down", s: 0, d: 1, i: 0, n: 4 },
  { name: "one insertion", ref: "the cat sat", hyp: "the big cat sat", s: 0, d: 0, i: 1, n: 3 },
  { name: "empty hypothesis", ref: "a b c", hyp: "", s: 0, d: 3, i: 0, n: 3 },
  {
    name: "mixed",
    ref: "i want to cancel my plan",
    hyp: "i want cancel my plan today",
    s: 0,
    d: 1,
    i: 1,
    n: 6,
  },
  { name: "apostrophes kept in words", ref: "I'm here", hyp: "im here", s: 1, d: 0, i: 0, n: 2 },
  { name: "all different", ref: "yes please", hyp: "no thanks", s: 2, d: 0, i: 0, n: 2 },
  { name: "numbers compared as written", ref: "forty dollars", hyp: "$40.", s: 0, d: 0, i: 0, n: 2 },
];

for (const c of cases) {
  test(`wer: ${c.name}`, () => {
    const r = wordErrorRate(c.ref, c.hyp);
    assert.deepEqual(
      { s: r.substitutions, d: r.deletions, i: r.insertions, n: r.refWords },
      { s: c.s, d: c.d, i: c.i, n: c.n },
    );
    assert.ok(Math.abs(r.wer - (c.s + c.d + c.i) / c.n) < 1e-12);
  });
}

test("wer: empty reference", () => {
  assert.equal(wordErrorRate("", "").wer, 0);
  assert.equal(wordErrorRate("", "noise").wer, 1);
  assert.equal(wordErrorRate("", "noise").insertions, 1);
});

test("normalizeWords strips punctuation and quotes but keeps contractions", () => {
  assert.deepEqual(normalizeWords("  'Hello,' she said — it’s 5 o'clock. "), [
    "hello",
    "she",
    "said",
    "it's",
    "5",
    "o'clock",
  ]);
});

test("corpusWer pools errors over all reference words", () => {
  const r = corpusWer([
    { reference: "a b c d", hypothesis: "a b c d" },
    { reference: "e f", hypothesis: "e x y" },
  ]);
  assert.equal(r.refWords, 6);
  assert.equal(r.substitutions + r.deletions + r.insertions, 2);
  assert.ok(Math.abs(r.wer - 2 / 6) < 1e-12);
});
