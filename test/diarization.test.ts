/**
 * Speaker diarization of one-channel audio: the DER metric, the clustering and the whole
 * diarizer on synthetic features, streamed feature extraction, and end to end through the real
 * server (VAD → MFCC → BIC → clustering → resegmentation in the audio thread → PocketSphinx per
 * speaker) on a mono flite call where slt and rms take turns.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { AppError } from "../src/core/errors.ts";
import { speakerHints } from "../src/api/speaker-hints.ts";
import { clusterSegments } from "../src/pipeline/diarization/cluster.ts";
import { diarizationErrorRate, maxAssignment, type Turn } from "../src/pipeline/diarization/der.ts";
import { diarize, spread } from "../src/pipeline/diarization/diarize.ts";
import { collectFeatures, type RegionFeatures } from "../src/pipeline/diarization/features.ts";
import { accumulate, emptyStats } from "../src/pipeline/diarization/gaussian.ts";
import { FRAME_HOP } from "../src/pipeline/diarization/mfcc.ts";
import { speakerAlias } from "../src/pipeline/merge.ts";
import { join } from "node:path";
import { scanAudio } from "../src/pipeline/prepare.ts";
import { createVad } from "../src/pipeline/vad.ts";
import { concatPcm, noise, RATE, readPcm16, sayPcm, tempDir, writeWav } from "./helpers/audio.ts";
import { makeTwoChannelCall } from "./helpers/call.ts";
import { makeMonoCall, seeded, type MonoCall } from "./helpers/mono-call.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { s001Shape } from "./helpers/shapes.ts";

/** A support call with short replies and a double turn: agent (slt) and customer (rms). */
const MONO_SCRIPT: [0 | 1, string][] = [
  [0, "Thank you for calling customer support. How can I help you today?"],
  [1, "Hello. I was charged twice on my last bill and I would like a refund."],
  [0, "I am sorry about that. Let me check your account."],
  [1, "Thank you. My account number is four five six."],
  [0, "Thanks."],
  [0, "I can see the duplicate charge. I will refund it today."],
  [1, "Okay."],
  [0, "It should reach your card within five working days."],
  [1, "Great. Can you also check my internet, it keeps dropping in the evening?"],
  [0, "Of course. I can see errors on the line since Monday, I will reset it now."],
  [1, "Yes please."],
  [0, "Done. Is there anything else I can help you with?"],
  [1, "No, that is all. Thank you very much for your help."],
];
const monoTurns = (lines: typeof MONO_SCRIPT) =>
  lines.map(([s, text]) => ({ voice: s === 0 ? "slt" : "rms", text }));

describe("diarization error rate", () => {
  const ref: Turn[] = [
    { start: 0, end: 10, speaker: "a" },
    { start: 10, end: 20, speaker: "b" },
  ];
  it("is 0 for the reference itself, whatever the hypothesis calls its speakers", () => {
    const r = diarizationErrorRate(ref, [
      { start: 0, end: 10, speaker: 7 },
      { start: 10, end: 20, speaker: 3 },
    ]);
    assert.equal(r.der, 0);
    assert.equal(r.mapping.get("7"), "a");
  });
  it("counts one speaker for everyone as confusion of the other's time", () => {
    const r = diarizationErrorRate(ref, [{ start: 0, end: 20, speaker: 0 }], 0);
    assert.equal(r.confusion, 10);
    assert.equal(r.der, 0.5);
  });
  it("splits errors into missed speech, false alarm and confusion; the collar forgives boundaries", () => {
    const hyp: Turn[] = [
      { start: 1, end: 10.2, speaker: "x" }, // misses 0–1, runs 0.2 s into b's turn
      { start: 10.2, end: 18, speaker: "y" }, // misses 18–20
      { start: 21, end: 22, speaker: "y" }, // false alarm
    ];
    const strict = diarizationErrorRate(ref, hyp, 0);
    assert.equal(strict.missed, 3);
    assert.equal(strict.falseAlarm, 1);
    assert.ok(Math.abs(strict.confusion - 0.2) < 1e-9);
    assert.ok(Math.abs(strict.der - 4.2 / 20) < 1e-9);
    const collar = diarizationErrorRate(ref, hyp);
    // 0.25 s either side of 0, 10 and 20 is not scored: the 0.2 s overlap is forgiven
    assert.ok(Math.abs(collar.total - 19) < 1e-9);
    assert.ok(Math.abs(collar.confusion) < 1e-9);
    assert.ok(Math.abs(collar.missed - (0.75 + 1.75)) < 1e-9);
  });
  it("overlapping reference speech counts once per speaker", () => {
    const overlap: Turn[] = [
      { start: 0, end: 10, speaker: "a" },
      { start: 5, end: 15, speaker: "b" },
    ];
    const r = diarizationErrorRate(overlap, [{ start: 0, end: 15, speaker: 0 }], 0);
    assert.equal(r.total, 20);
    assert.equal(r.missed, 5); // one hypothesis speaker during 5 s of two
    assert.equal(r.confusion, 5); // b's own 5 s, mapped to nobody
  });
  it("maps speakers one to one, maximising matched time (Hungarian)", () => {
    assert.deepEqual(
      maxAssignment([
        [5, 9, 1],
        [6, 8, 0],
      ]),
      [1, 0],
    );
    assert.deepEqual(maxAssignment([[1], [2], [3]]), [-1, -1, 0]);
  });
});

/** Frames of synthetic "speakers": Gaussians with their own means in dims 1…19, c0 loud. */
function syntheticRegions(
  plan: number[][],
  seed = 3,
  spacing = 2.5,
  turnFrames = 300,
): { regions: RegionFeatures[]; truth: Turn[] } {
  const rand = seeded(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centre = (s: number) =>
    Array.from({ length: 20 }, (_, i) => (i === 0 ? 100 : Math.sin(s * 7 + i) * spacing));
  const regions: RegionFeatures[] = [];
  const truth: Turn[] = [];
  let frame = 100;
  for (const turns of plan) {
    const first = frame;
    const rows: number[] = [];
    for (const s of turns) {
      const c = centre(s);
      truth.push({
        start: (frame * FRAME_HOP + 120) / RATE,
        end: ((frame + turnFrames) * FRAME_HOP + 120) / RATE,
        speaker: s,
      });
      for (let f = 0; f < turnFrames; f++) rows.push(...c.map((m, i) => (i === 0 ? m : m + gauss())));
      frame += turnFrames;
    }
    regions.push({
      range: { start: (first * FRAME_HOP + 120) / RATE, end: (frame * FRAME_HOP + 120) / RATE },
      firstFrame: first,
      frames: frame - first,
      dim: 20,
      data: Float32Array.from(rows),
    });
    frame += 100; // a pause between regions
  }
  return { regions, truth };
}

describe("clustering and diarization on synthetic features", () => {
  it("BIC clustering groups segments by their source and stops at the true count", () => {
    const { regions } = syntheticRegions([[0], [1], [2], [0], [1], [2], [1]]);
    const stats = regions.map((r) => {
      const m = { data: r.data.filter((_, i) => i % 20 !== 0), dim: 19, frames: r.frames };
      return accumulate(emptyStats(19), m);
    });
    const c = clusterSegments(stats, { min: 1, max: 6, lambda: 1, threshold: 0 });
    assert.equal(c.count, 3);
    assert.deepEqual(c.labels, [0, 1, 2, 0, 1, 2, 1]);
    const forced = clusterSegments(stats, { min: 2, max: 2, lambda: 1, threshold: 0 });
    assert.equal(forced.count, 2);
    const one = clusterSegments(stats.slice(0, 1), { min: 1, max: 2, lambda: 1, threshold: 0 });
    assert.deepEqual(one.labels, [0]);
  });

  it("clusters many hundreds of segments in blocks, with the same answer", () => {
    // 700 alternating turns (the agglomerative step works on blocks past 600 clusters)
    const plan = Array.from({ length: 700 }, (_, i) => [i % 2]);
    const { regions } = syntheticRegions(plan, 11, 6, 150);
    const stats = regions.map((r) => {
      const m = { data: r.data.filter((_, i) => i % 20 !== 0), dim: 19, frames: r.frames };
      return accumulate(emptyStats(19), m);
    });
    const started = Date.now();
    const c = clusterSegments(stats, { min: 1, max: 2, lambda: 1, threshold: 0 });
    assert.equal(c.count, 2);
    assert.deepEqual(
      c.labels,
      plan.map(([s]) => s),
    );
    console.log(`700 segments clustered in ${Date.now() - started} ms`);
  });

  it("splits regions at speaker changes; speaker 0 is whoever speaks first", () => {
    // regions hold one or two turns: changes inside regions must be found
    const { regions, truth } = syntheticRegions([[1, 0], [1], [0, 1], [0], [1, 0]]);
    const result = diarize(regions, { min: 1, max: 2 });
    assert.equal(result.regions.length, 2);
    const hyp = result.regions.flatMap((rs, s) => rs.map((r) => ({ ...r, speaker: s })));
    const der = diarizationErrorRate(truth, hyp);
    assert.ok(der.der < 0.05, `DER ${der.der}`);
    assert.equal(der.mapping.get("0"), "1", "the first voice is speaker 0");
    // ranges of one speaker never overlap another's and stay within the regions
    const all = hyp.sort((a, b) => a.start - b.start);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.start >= all[i - 1]!.end - 1e-9);
  });

  it("honours the hints: three speakers when told, one when max is 1", () => {
    const { regions, truth } = syntheticRegions([[0, 1], [2], [1, 0], [2, 1], [0]], 5);
    const three = diarize(regions, { min: 3, max: 3 });
    assert.equal(three.regions.length, 3);
    const hyp = three.regions.flatMap((rs, s) => rs.map((r) => ({ ...r, speaker: s })));
    assert.ok(diarizationErrorRate(truth, hyp).der < 0.05);
    const one = diarize(regions, { min: 1, max: 1 });
    assert.deepEqual(one.regions, [regions.map((r) => r.range)], "the VAD regions as they were");
  });

  it("one voice stays one speaker", () => {
    const { regions } = syntheticRegions([[0], [0], [0, 0], [0]], 9);
    assert.equal(diarize(regions, { min: 1, max: 2 }).regions.length, 1);
  });

  it("a pause between kept frames goes half to each side", () => {
    assert.deepEqual(
      Array.from(spread(Int32Array.from([0, 1]), Int32Array.from([1, 7]), 10)),
      [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(Array.from(spread(new Int32Array(0), new Int32Array(0), 3)), [-1, -1, -1]);
  });
});

describe("streamed features", () => {
  it("are the same whatever the block sizes, and only voiced frames are kept", () => {
    const pcm = concatPcm(sayPcm("one two three"), noise(0.5, 300), sayPcm("four five", "rms"));
    const regions = [
      { start: 0.1, end: 0.9 },
      { start: 1.5, end: pcm.length / RATE },
    ];
    const whole = collectFeatures(regions);
    whole.push(pcm);
    const a = whole.finish();
    const pieces = collectFeatures(regions);
    const rand = seeded(4);
    for (let i = 0; i < pcm.length;) {
      const n = 1 + Math.floor(rand() * 3000);
      pieces.push(pcm.subarray(i, i + n));
      i += n;
    }
    const b = pieces.finish();
    assert.equal(a.length, 2);
    assert.equal(a[0]!.frames, 80);
    for (let r = 0; r < 2; r++) {
      assert.equal(b[r]!.frames, a[r]!.frames);
      assert.equal(b[r]!.firstFrame, a[r]!.firstFrame);
      assert.deepEqual(b[r]!.data, a[r]!.data);
    }
    assert.ok(a[0]!.data.some((x) => x !== 0));
  });
});

describe("the scan", () => {
  it("diarizes a stereo file whose channels carry one signal into speakers of channel 0", async () => {
    const tmp = tempDir();
    try {
      const call = makeMonoCall(tmp.dir, monoTurns(MONO_SCRIPT.slice(0, 5)), { seed: 5 });
      const pcm = readPcm16(call.path);
      const stereo = writeWav(join(tmp.dir, "dual.wav"), [pcm, pcm]);
      const vad = createVad();
      const plan = await scanAudio(stereo, 2, vad, { speakers: { min: 1, max: 2 } });
      assert.deepEqual(plan.speakers, [0, 0]);
      assert.equal(plan.diarized, true);
      const hyp = plan.regions.flatMap((rs, s) => rs.map((r) => ({ ...r, speaker: s })));
      const der = diarizationErrorRate(call.reference, hyp);
      assert.equal(der.mapping.get("0"), "slt");
      assert.ok(der.confusion / der.total < 0.05, `confusion ${der.confusion}`);
      // without hints (tools, the old callers): channels only
      assert.deepEqual((await scanAudio(stereo, 2, vad)).speakers, [0]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe("speaker hints", () => {
  it("resolve to a range; bad combinations are 400s naming the field", () => {
    assert.equal(speakerHints({}), undefined);
    assert.deepEqual(speakerHints({ speakers_expected: 3 }), { min: 3, max: 3 });
    assert.deepEqual(speakerHints({ min_speakers: 2 }), { min: 2, max: 2 });
    assert.deepEqual(speakerHints({ max_speakers: 4 }), { min: 1, max: 4 });
    const field = (f: string) => (e: unknown) =>
      e instanceof AppError && e.httpStatus === 400 && e.field === f;
    assert.throws(() => speakerHints({ min_speakers: 3, max_speakers: 2 }), field("min_speakers"));
    assert.throws(() => speakerHints({ speakers_expected: 2, max_speakers: 2 }), field("max_speakers"));
  });
  it("Agent/User are two channels' default aliases, not a diarized call's", () => {
    assert.equal(speakerAlias(0, 2, undefined), "Agent");
    assert.equal(speakerAlias(0, 2, undefined, true), "Speaker 0");
    assert.equal(speakerAlias(1, 2, ["Agent", "User"], true), "User");
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("POST /transcribe with one-channel audio", () => {
  let server: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let call: MonoCall;
  let short: MonoCall;

  const post = async (file: string, fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([readFileSync(file)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /**
   * The voice with the most time inside the item; when the recognizer's word times fall outside
   * every turn (PocketSphinx put a lone "Okay" 0.7 s early, in the pause before it), the voice of
   * the turn whose middle is nearest the item's.
   */
  const voiceOf = (item: Json) => {
    let best = { voice: "", score: -Infinity };
    for (const t of call.reference) {
      const overlap = Math.min(t.end, item.time_end) - Math.max(t.start, item.time_start);
      const score = overlap > 0 ? overlap : -Math.abs(t.start + t.end - item.time_start - item.time_end) / 2;
      if (score > best.score) best = { voice: String(t.speaker), score };
    }
    return best.voice;
  };

  before(async () => {
    tmp = tempDir();
    call = makeMonoCall(tmp.dir, monoTurns(MONO_SCRIPT), { minGapS: 0.2, maxGapS: 0.9, seed: 3 });
    short = makeMonoCall(tmp.dir, monoTurns(MONO_SCRIPT.slice(0, 4)), { name: "short.wav", seed: 2 });
    server = await startTestServer();
  });
  after(async () => {
    await server.cleanup();
    tmp.cleanup();
  });

  it("tells the two voices apart: Speaker 0 speaks first, each item is its own voice's", async () => {
    const { status, body } = await post(call.path, { call_uuid: "mono-1" });
    assert.equal(status, 200, JSON.stringify(body));
    const { transcript, metadata } = s001Shape.parse(body).data;
    assert.equal(metadata.num_of_channels, 1);
    assert.deepEqual(
      new Set(transcript.map((t) => `${t.speaker_id}:${t.speaker_alias}`)),
      new Set(["0:Speaker 0", "1:Speaker 1"]),
    );
    assert.equal(transcript[0]!.speaker_id, 0);
    assert.equal(voiceOf(transcript[0]!), "slt");
    const right = transcript.filter((t) => (t.speaker_id === 0 ? "slt" : "rms") === voiceOf(t)).length;
    console.log(
      `mono call: ${right}/${transcript.length} items with the right speaker; ` +
        transcript
          .map((t) => `[${t.speaker_id}/${voiceOf(t)} ${t.time_start}-${t.time_end}] ${t.text}`)
          .join(" | "),
    );
    // measured: every item right; the turns of this script (156 of 156 over 6 layouts at 16 kHz
    // and 8 kHz µ-law) too. One wrong item of ten would still pass.
    assert.ok(right / transcript.length >= 0.9, `${right}/${transcript.length} items right`);
    // every line of the script is someone's: both voices' words came through
    assert.ok(transcript.filter((t) => t.speaker_id === 1).length >= 2);
  });

  it("speakers_expected=1 keeps one speaker; speaker_aliases name diarized speakers", async () => {
    const one = await post(short.path, { call_uuid: "mono-2", speakers_expected: "1" });
    assert.equal(one.status, 200);
    const items = s001Shape.parse(one.body).data.transcript;
    assert.deepEqual(
      new Set(items.map((t) => `${t.speaker_id}:${t.speaker_alias}`)),
      new Set(["0:Speaker 0"]),
    );

    const named = await post(short.path, {
      call_uuid: "mono-3",
      max_speakers: "2",
      speaker_aliases: '["Agent","User"]',
    });
    assert.equal(named.status, 200);
    const aliases = s001Shape
      .parse(named.body)
      .data.transcript.map((t) => `${t.speaker_id}:${t.speaker_alias}`);
    assert.deepEqual(new Set(aliases), new Set(["0:Agent", "1:User"]));
  });

  it("a two-channel call still has a speaker per channel (Agent/User)", async () => {
    const stereo = makeTwoChannelCall(tmp.dir);
    const { status, body } = await post(stereo.path, { call_uuid: "stereo-1", speakers_expected: "3" });
    assert.equal(status, 200);
    const items = s001Shape.parse(body).data.transcript;
    assert.deepEqual(
      new Set(items.map((t) => `${t.speaker_id}:${t.speaker_alias}`)),
      new Set(["0:Agent", "1:User"]),
    );
    assert.equal(items[0]!.speaker_id, 0);
  });

  it("refuses bad hints with a 400 naming the field", async () => {
    const bad = async (fields: Record<string, unknown>) => {
      const res = await fetch(`${server.url}/transcribe`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ call_uuid: "bad", uri: "http://127.0.0.1:9/a.wav", ...fields }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    for (const [fields, field] of [
      [{ speakers_expected: 0 }, "speakers_expected"],
      [{ speakers_expected: "two" }, "speakers_expected"],
      [{ speakers_expected: 2.5 }, "speakers_expected"],
      [{ max_speakers: 11 }, "max_speakers"],
      [{ min_speakers: true }, "min_speakers"],
      [{ min_speakers: 3, max_speakers: 2 }, "min_speakers"],
      [{ speakers_expected: 2, min_speakers: 1 }, "min_speakers"],
    ] as const) {
      const { status, body } = await bad(fields);
      assert.equal(status, 400, JSON.stringify(fields));
      assert.equal(body.field, field, JSON.stringify(body));
      assert.match(body.error, new RegExp(field));
    }
    // multipart: the same field names, numbers as strings
    const form = new FormData();
    form.append("call_uuid", "bad-form");
    form.append("speakers_expected", "many");
    form.append("file", new Blob([readFileSync(call.path)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Json).field, "speakers_expected");
    // the Jobs API takes the same fields on POST /v1/transcriptions
    const v1 = new FormData();
    v1.append("max_speakers", "0");
    v1.append("file", new Blob([readFileSync(call.path)]), "call.wav");
    const job = await fetch(`${server.url}/v1/transcriptions`, { method: "POST", body: v1 });
    assert.equal(job.status, 400);
    const error = ((await job.json()) as Json).error;
    assert.equal(error.code, "INVALID_REQUEST");
    assert.match(error.message, /^max_speakers must be a whole number from 1 to 10/);
  });
});

describe("DIARIZATION=off", () => {
  it("transcribes one-channel audio as one speaker, as before", async () => {
    const tmp = tempDir();
    const server = await startTestServer({ DIARIZATION: "off" });
    try {
      const call = makeMonoCall(tmp.dir, [
        { voice: "slt", text: "Thank you for calling, how can I help?" },
        { voice: "rms", text: "I would like to pay my bill." },
      ]);
      const form = new FormData();
      form.append("call_uuid", "off-1");
      form.append("file", new Blob([readFileSync(call.path)]), "call.wav");
      const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
      assert.equal(res.status, 200);
      const items = s001Shape.parse(await res.json()).data.transcript;
      assert.ok(items.length >= 1);
      assert.deepEqual(new Set(items.map((t) => t.speaker_id)), new Set([0]));
    } finally {
      await server.cleanup();
      tmp.cleanup();
    }
  });
});
