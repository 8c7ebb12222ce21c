import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AppError } from "../src/core/errors.ts";
import { distinctChannels } from "../src/pipeline/channels.ts";
import { channelSlice, decodeChannels } from "../src/pipeline/decode.ts";
import { readClips } from "../src/pipeline/clips.ts";
import { mergeSpeakers, speakerAlias } from "../src/pipeline/merge.ts";
import { scanAudio } from "../src/pipeline/prepare.ts";
import { createVad } from "../src/pipeline/vad.ts";
import { parseProbe, probeAudio } from "../src/pipeline/probe.ts";
import { concatPcm, noise, RATE, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";

describe("channels", () => {
  const a = noise(1, 3000, 1);
  const b = noise(1, 3000, 2);
  it("detects a copied channel and keeps distinct ones", () => {
    assert.deepEqual(distinctChannels([a, Int16Array.from(a)]), [0]);
    assert.deepEqual(distinctChannels([a, b]), [0, 1]);
  });
  it("treats a copy with tiny dither as the same signal, a quiet but different one as distinct", () => {
    const dithered = a.map((x, i) => x + (i % 3) - 1);
    assert.deepEqual(distinctChannels([a, dithered]), [0]);
    assert.deepEqual(distinctChannels([silence(1), silence(1)]), [0]);
    assert.deepEqual(distinctChannels([silence(1), noise(1, 50)]), [0, 1]);
    assert.deepEqual(distinctChannels([a, b, Int16Array.from(b)]), [0, 1]);
  });
});

describe("merge", () => {
  it("assigns Agent/User to two speakers and sorts by start across speakers", () => {
    const items = mergeSpeakers(
      [
        [
          { start: 0.5, end: 2, text: "hello" },
          { start: 5.123, end: 6, text: "bye" },
        ],
        [{ start: 2.5, end: 4, text: "hi there" }],
      ],
      undefined,
    );
    assert.deepEqual(
      items.map((i) => [i.time_start, i.speaker_id, i.speaker_alias, i.text]),
      [
        [0.5, 0, "Agent", "hello"],
        [2.5, 1, "User", "hi there"],
        [5.12, 0, "Agent", "bye"],
      ],
    );
  });
  it("uses caller aliases, and Speaker N for one or many channels", () => {
    assert.equal(speakerAlias(1, 2, ["Rep", "Caller"]), "Caller");
    assert.equal(speakerAlias(0, 1, undefined), "Speaker 0");
    assert.equal(speakerAlias(2, 3, undefined), "Speaker 2");
    assert.deepEqual(mergeSpeakers([[{ start: 0, end: 1, text: "  " }]], undefined), []);
  });
});

describe("decode", () => {
  it("slices one channel out of an interleaved block", () => {
    const block = { samples: new Int16Array([1, -1, 2, -2, 3, -3]), channels: 2, offset: 0 };
    assert.deepEqual([...channelSlice(block, 0)], [1, 2, 3]);
    assert.deepEqual([...channelSlice(block, 1)], [-1, -2, -3]);
    assert.deepEqual([...channelSlice(block, 1, 1, 3)], [-2, -3]);
  });
  it("parses ffprobe output and rejects streams without audio", () => {
    assert.deepEqual(
      parseProbe({
        streams: [
          { codec_type: "video", codec_name: "png" },
          { codec_type: "audio", codec_name: "opus", sample_rate: "48000", channels: 2 },
        ],
        format: { duration: "12.5" },
      }),
      { codec: "opus", sampleRate: 48000, channels: 2, duration: 12.5 },
    );
    assert.equal(parseProbe({ streams: [{ codec_type: "video" }] }), null);
  });
});

describe("every supported format decodes (files made with ffmpeg)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let source: string;
  const left = concatPcm(sayPcm("one two three"), silence(0.2));
  const right = concatPcm(silence(0.2), sayPcm("four five six", "rms")).subarray(0, left.length);
  before(() => {
    tmp = tempDir();
    source = writeWav(join(tmp.dir, "src.wav"), [left, right]);
  });
  after(() => tmp.cleanup());

  const formats: Array<[string, string[], string, number]> = [
    ["wav-pcm16.wav", ["-c:a", "pcm_s16le"], "pcm_s16le", 16000],
    ["wav-mulaw-8k.wav", ["-c:a", "pcm_mulaw", "-ar", "8000"], "pcm_mulaw", 8000],
    ["call.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"], "mp3", 16000],
    ["call.ogg", ["-c:a", "libopus", "-b:a", "32k"], "opus", 48000],
    ["call.m4a", ["-c:a", "aac", "-b:a", "64k"], "aac", 16000],
    ["call.flac", ["-c:a", "flac"], "flac", 16000],
  ];
  for (const [name, args, codec, rate] of formats) {
    it(name, async () => {
      const file = join(tmp.dir, name);
      execFileSync("ffmpeg", ["-v", "error", "-y", "-i", source, ...args, file]);
      const info = await probeAudio(file);
      assert.equal(info.codec, codec);
      assert.equal(info.channels, 2);
      assert.equal(info.sampleRate, rate);
      assert.ok(Math.abs((info.duration ?? 0) - left.length / 16000) < 0.1, `duration ${info.duration}`);
      const [l, r] = await decodeChannels(file, 2);
      assert.ok(Math.abs(l!.length - left.length) < 16000 * 0.1);
      // the channels stay apart: left speaks first, right starts after 0.2 s of silence
      const energy = (x: Int16Array, from: number, to: number) =>
        x.subarray(from, to).reduce((s, v) => s + Math.abs(v), 0);
      assert.ok(energy(r!, 0, 1600) < energy(l!, 0, 16000) / 20, "right channel silent at start");
    });
  }

  it("a non-audio file is a 415 AppError", async () => {
    const file = join(tmp.dir, "x.wav");
    execFileSync("sh", ["-c", `echo not audio > ${file}`]);
    await assert.rejects(probeAudio(file), (e: unknown) => e instanceof AppError && e.httpStatus === 415);
  });
});

describe("streamed passes over a file", () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const left = concatPcm(
    silence(1),
    sayPcm("thank you for calling"),
    silence(3),
    sayPcm("goodbye now"),
    silence(1),
  );
  const right = concatPcm(silence(2.5), sayPcm("hello I need help", "rms"), silence(left.length / RATE));
  const rightCut = right.subarray(0, left.length);
  before(() => {
    tmp = tempDir();
    file = writeWav(join(tmp.dir, "call.wav"), [left, rightCut]);
  });
  after(() => tmp.cleanup());

  it("the scan finds both speakers and their regions; a copied channel is dropped", async () => {
    const vad = createVad();
    const plan = await scanAudio(file, 2, vad);
    assert.deepEqual(plan.speakers, [0, 1]);
    assert.equal(plan.decodedSeconds, left.length / RATE);
    assert.deepEqual(plan.regions, [vad.detect(left), vad.detect(rightCut)]);
    assert.equal(plan.regions[0]!.length, 2);
    const mono = writeWav(join(tmp.dir, "dup.wav"), [left, left]);
    assert.deepEqual((await scanAudio(mono, 2, vad)).speakers, [0]);
  });

  it("clips are the regions' samples of the kept channels, cut across pipe reads, with a tiny buffer", async () => {
    const plan = {
      speakers: [1, 0],
      regions: [
        [
          { start: 0.2, end: 2.7 },
          { start: 3, end: 3.0001 },
          { start: 4.25, end: right.length / RATE },
        ],
        [
          { start: 0, end: 0.5 },
          { start: 1.1, end: left.length / RATE },
        ],
      ],
    };
    const reader = readClips(file, 2, plan, { maxBufferedS: 0.5 });
    const collect = async (i: number) => {
      const out = [];
      for await (const c of reader.clips(i)) out.push(c);
      return out;
    };
    const [ofRight, ofLeft] = await Promise.all([collect(0), collect(1)]);
    const expect = (pcm: Int16Array, s: number, e: number) => [
      ...pcm.subarray(Math.round(s * RATE), Math.round(e * RATE)),
    ];
    assert.deepEqual(
      ofRight.map((c) => [c.start, c.end]),
      [
        [0.2, 2.7],
        [3, 3.000125],
        [4.25, rightCut.length / RATE],
      ],
    );
    assert.deepEqual([...ofRight[0]!.pcm], expect(rightCut, 0.2, 2.7));
    assert.deepEqual([...ofRight[2]!.pcm], expect(rightCut, 4.25, rightCut.length / RATE)); // cut at the file's end
    assert.deepEqual([...ofLeft[1]!.pcm], expect(left, 1.1, left.length / RATE));
    assert.equal(ofLeft[0]!.pcm.length, 0.5 * RATE);
  });

  it("a reader that stops early stops ffmpeg; a broken file fails every clip stream", async () => {
    const plan = {
      speakers: [0],
      regions: [
        [
          { start: 0, end: 1 },
          { start: 2, end: 3 },
        ],
      ],
    };
    const reader = readClips(file, 2, plan, { maxBufferedS: 0.1 });
    for await (const c of reader.clips(0)) {
      assert.equal(c.start, 0);
      break;
    }
    reader.close();
    const bad = join(tmp.dir, "bad.wav");
    writeFileSync(bad, "not audio at all");
    const broken = readClips(bad, 1, plan);
    await assert.rejects(
      (async () => {
        for await (const c of broken.clips(0)) void c;
      })(),
      (e: unknown) => e instanceof AppError && e.code === "unsupported_audio",
    );
  });
});
