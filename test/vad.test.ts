import { test } from "node:test";
import assert from "node:assert/strict";
import { createVad, FrameEnergies, postProcess } from "../src/pipeline/vad.ts";
import { concatPcm, noise, RATE, sayPcm, silence } from "../test/helpers/audio.ts";

/** First and last sample louder than a small threshold, in seconds: the truth for flite audio. */
function speechSpan(pcm: Int16Array, offset: number): { start: number; end: number } {
  let s = -1;
  let e = -1;
  for (let i = 0; i < pcm.length; i++) {
    if (Math.abs(pcm[i]!) > 300) {
      if (s < 0) s = i;
      e = i;
    }
  }
  return { start: offset + s / RATE, end: offset + e / RATE };
}

test("speech – silence – speech gives two regions near the truth", () => {
  const a = sayPcm("Thank you for calling, how can I help you today?", "slt");
  const b = sayPcm("I would like to cancel my subscription please.", "rms");
  const lead = 1;
  const gap = 2.5;
  const pcm = concatPcm(silence(lead), a, silence(gap), b, silence(1));
  const truth = [speechSpan(a, lead), speechSpan(b, lead + a.length / RATE + gap)];

  const regions = createVad({ padMs: 0 }).detect(pcm);
  assert.equal(regions.length, 2, JSON.stringify(regions));
  regions.forEach((r, i) => {
    assert.ok(Math.abs(r.start - truth[i]!.start) < 0.4, `start ${r.start} vs ${truth[i]!.start}`);
    assert.ok(Math.abs(r.end - truth[i]!.end) < 0.4, `end ${r.end} vs ${truth[i]!.end}`);
  });

  // Padding widens each region and stays inside the audio.
  const padded = createVad({ padMs: 300 }).detect(pcm);
  assert.equal(padded.length, 2);
  assert.ok(Math.abs(padded[0]!.start - (regions[0]!.start - 0.3)) < 0.01);
  assert.ok(padded[1]!.end <= pcm.length / RATE);
});

test("silence and faint noise give no regions; the detector is reusable", () => {
  const vad = createVad();
  assert.deepEqual(vad.detect(silence(5)), []);
  assert.deepEqual(vad.detect(noise(5, 30)), []);
  const speech = concatPcm(silence(0.5), sayPcm("hello there"), silence(0.5));
  assert.equal(vad.detect(speech).length, 1);
  assert.deepEqual(vad.detect(silence(2)), []);
});

test("postProcess pads, clamps, merges and splits", () => {
  const o = { padMs: 200, mergeGapMs: 100, maxSpeechS: 10 };
  assert.deepEqual(
    postProcess(
      [
        { start: 0.1, end: 1 },
        { start: 1.3, end: 2 },
        { start: 5, end: 5.95 },
      ],
      6,
      o,
    ),
    [
      { start: 0, end: 2.2 },
      { start: 4.8, end: 6 },
    ],
  );
  const long = postProcess([{ start: 0, end: 25 }], 30, o);
  assert.equal(long.length, 3);
  assert.ok(long.every((r) => r.end - r.start <= 10));
  assert.equal(long[0]!.start, 0);
  assert.equal(long[2]!.end, 25.2);
  for (let i = 1; i < long.length; i++) assert.equal(long[i]!.start, long[i - 1]!.end);
});

test("a long region is cut at its quietest point", () => {
  // 12 s of loud noise with a 0.2 s hole at 6.5 s; maxSpeechS 10 forces one cut, within ±1 s of 6 s.
  const pcm = noise(12, 8000);
  pcm.fill(0, 6.5 * RATE, 6.7 * RATE);
  const parts = postProcess(
    [{ start: 0, end: 12 }],
    12,
    { padMs: 0, mergeGapMs: 0, maxSpeechS: 10 },
    FrameEnergies.of(pcm),
  );
  assert.equal(parts.length, 2);
  assert.ok(parts[0]!.end >= 6.5 && parts[0]!.end <= 6.7, `cut at ${parts[0]!.end}`);
});

test("a channel streamed in uneven blocks gives the same regions as the whole channel", () => {
  const pcm = concatPcm(
    silence(0.7),
    sayPcm("please hold the line"),
    silence(1.3),
    sayPcm("thanks", "rms"),
    silence(0.5),
  );
  const vad = createVad();
  const whole = vad.detect(pcm);
  const s = vad.stream();
  for (let off = 0, n = 1; off < pcm.length; off += n, n = (n * 7 + 333) % 5000)
    s.push(pcm.subarray(off, off + n));
  assert.deepEqual(s.finish(), whole);
  assert.equal(whole.length, 2);
});
