import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AppError } from "../src/core/errors.ts";
import { distinctChannels, sameSignal } from "../src/pipeline/channels.ts";
import { decodeChannels, deinterleave } from "../src/pipeline/decode.ts";
import { mergeSpeakers, speakerAlias } from "../src/pipeline/merge.ts";
import { parseProbe, probeAudio } from "../src/pipeline/probe.ts";
import { concatPcm, noise, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";

describe("channels", () => {
  const a = noise(1, 3000, 1);
  const b = noise(1, 3000, 2);
  it("detects a copied channel and keeps distinct ones", () => {
    assert.equal(sameSignal(a, Int16Array.from(a)), true);
    assert.equal(sameSignal(a, b), false);
    assert.deepEqual(distinctChannels([a, Int16Array.from(a)]), [0]);
    assert.deepEqual(distinctChannels([a, b]), [0, 1]);
  });
  it("treats a copy with tiny dither as the same signal, a quiet but different one as distinct", () => {
    const dithered = a.map((x, i) => x + (i % 3) - 1);
    assert.equal(sameSignal(a, dithered), true);
    assert.equal(sameSignal(silence(1), silence(1)), true);
    assert.equal(sameSignal(silence(1), noise(1, 50)), false);
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
  it("deinterleaves stereo samples", () => {
    const buf = Buffer.from(new Int16Array([1, -1, 2, -2, 3, -3]).buffer);
    assert.deepEqual(
      deinterleave(buf, 2).map((c) => [...c]),
      [
        [1, 2, 3],
        [-1, -2, -3],
      ],
    );
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
