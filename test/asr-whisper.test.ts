/**
 * Local Whisper (WHISPER_MODEL): whisper.cpp through @napi-rs/whisper, run on a model file with
 * the real "tiny" layout and random weights (scripts/make-ggml-model.ts). The text it produces is
 * meaningless, so these tests check the contract, the time mapping, the streaming and the start-up
 * checks, never the words.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  openSync,
  closeSync,
  readFileSync,
  writeFileSync,
  ftruncateSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureGgmlModel } from "../scripts/make-ggml-model.ts";
import { loadConfig } from "../src/config.ts";
import { createRecognizer } from "../src/engines/asr/select.ts";
import { clipsOf, type Clip } from "../src/engines/asr/types.ts";
import { createWhisperRecognizer, wordsToItems, type WhisperRecognizer } from "../src/engines/asr/whisper.ts";
import { inspectWhisperModel } from "../src/engines/asr/whisper-model.ts";
import { CALL_SCRIPT, makeTwoChannelCall, type ScriptedCall } from "./helpers/call.ts";
import { concatPcm, noise, RATE, sayPcm, silence, tempDir } from "./helpers/audio.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = tempDir("callscribe-whisper-");
let model: string;

before(() => {
  model = ensureGgmlModel("tiny", 1);
});
after(() => tmp.cleanup());

test("the random-weights tiny file has whisper.cpp's layout and loads", async () => {
  const info = inspectWhisperModel(model);
  assert.equal(info.type, "tiny");
  assert.equal(info.hparams.n_vocab, 51865);
  assert.equal(info.storedTokens, 50257);
  assert.equal(info.tensors, 167); // 11 + 15 per encoder block + 24 per decoder block
  assert.equal(info.multilingual, true);
  assert.equal(ensureGgmlModel("tiny", 1), model, "cached per size and seed");

  const rec = createWhisperRecognizer({ model });
  try {
    await rec.load();
    assert.equal(rec.name, "whisper");
    assert.ok(rec.languages?.includes("en") && rec.languages.includes("de"));
    assert.equal(rec.languages?.includes("yue"), false, "yue is large-v3's (n_vocab 51866) only");
  } finally {
    await rec.close();
  }
});

test("wordsToItems: window time → channel time, clamped to the clip, items never span clips", () => {
  const pieces = [
    { batchStart: 0, batchEnd: 2, channelStart: 10 },
    { batchStart: 2.3, batchEnd: 5, channelStart: 20 },
  ];
  const items = wordsToItems(
    [
      ["a", 10, 50],
      ["b", 60, 120],
      ["c.", 150, 190], // sentence end: the next word starts a new item
      ["d", 195, 260], // midpoint in the gap, nearer the second clip: starts at its beginning
      ["[BLANK_AUDIO]", 260, 290], // whisper's marker, not a word
      ["e", 300, 320],
      ["f", 350, 560], // runs past the clip end: clamped
      ["g", 520, 900], // starts after the window's audio (whisper's padding): dropped
    ],
    pieces,
  );
  assert.deepEqual(
    items.map((i) => [i.text, i.start, i.end]),
    [
      ["a b c.", 10.1, 11.9],
      ["d e f", 20, 22.7],
    ],
  );
  assert.deepEqual(
    items[1]!.words!.map((w) => [w.word, w.start, w.end, w.confidence]),
    [
      ["d", 20, 20.3, null],
      ["e", 20.7, 20.9, null],
      ["f", 21.2, 22.7, null],
    ],
  );
  // a long silence inside one clip splits too
  const split = wordsToItems(
    [
      ["x", 0, 20],
      ["y", 150, 170],
    ],
    [{ batchStart: 0, batchEnd: 3, channelStart: 0 }],
  );
  assert.equal(split.length, 2);
});

describe("the recognizer on speech", () => {
  let rec: WhisperRecognizer;
  before(async () => {
    // 10 s windows: a random-weights window that long takes one encoder pass (see the streaming test)
    rec = createWhisperRecognizer({ model, threads: 1, maxWindowS: 10 });
    await rec.load();
  });
  after(() => rec.close());

  test("clips of one channel: times inside their clip, in order, the event loop free", async () => {
    const a = sayPcm("Thank you for calling customer support. How can I help you today?", "slt");
    const b = sayPcm("I would like to cancel my subscription please.", "rms");
    const pcm = concatPcm(silence(1), a, silence(3), b, silence(1));
    const bStart = 1 + a.length / RATE + 3;
    const regions = [
      { start: 0.8, end: 1 + a.length / RATE + 0.2 },
      { start: bStart - 0.2, end: bStart + b.length / RATE + 0.2 },
    ];
    let last = Date.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      maxGap = Math.max(maxGap, Date.now() - last);
      last = Date.now();
    }, 10);
    const done: number[] = [];
    const t0 = Date.now();
    const segs = await rec
      .recognize({
        clips: clipsOf(pcm, regions),
        lang: "en",
        vocabulary: ["Acme", "Northwind"],
        onVoicedDone: (s) => done.push(s),
      })
      .finally(() => clearInterval(timer));
    const elapsed = Date.now() - t0;
    assert.ok(segs.length >= 1, "random weights still produce text");
    for (let i = 1; i < segs.length; i++) assert.ok(segs[i]!.start >= segs[i - 1]!.start, "sorted");
    for (const s of segs) {
      const r = regions.find((g) => s.start >= g.start - 1e-6 && s.end <= g.end + 1e-6);
      assert.ok(r, `item inside one clip: ${JSON.stringify([s.start, s.end])}`);
      assert.ok(s.text.trim().length > 0 && s.start <= s.end);
      for (const w of s.words!) assert.ok(w.start >= s.start && w.end <= s.end && w.confidence === null);
    }
    // both clips fit one window: one whisper call, all voiced audio reported done
    assert.equal(done.length, 1);
    assert.equal(rec.stats.windows, 1);
    assert.ok(rec.stats.encoderPasses >= 1 && rec.stats.words >= 1, JSON.stringify(rec.stats));
    assert.ok(
      Math.abs(done[0]! - (regions[0]!.end - regions[0]!.start + regions[1]!.end - regions[1]!.start)) < 0.01,
    );
    // full() runs for ~0.5 s or more on its thread; on the event loop it would stall the timer as long
    assert.ok(maxGap < Math.max(250, elapsed / 2), `event loop stalled ${maxGap} ms of ${elapsed} ms`);
  });

  test("a long channel streams: clips are pulled as windows finish, not all up front", async () => {
    const clipS = 3;
    const total = 15; // 45 s of voiced audio: five windows of three clips (9.6 s)
    let pulled = 0;
    let pulledAtFirstWindow = -1;
    async function* clips(): AsyncGenerator<Clip> {
      for (let i = 0; i < total; i++) {
        pulled++;
        const start = i * (clipS + 1);
        yield { start, end: start + clipS, pcm: noise(clipS, 300, i + 1) };
      }
    }
    const windows: number[] = [];
    const segs = await rec.recognize({
      clips: clips(),
      lang: "en",
      onVoicedDone: (s) => {
        if (pulledAtFirstWindow < 0) pulledAtFirstWindow = pulled;
        windows.push(s);
      },
    });
    assert.equal(pulled, total);
    assert.equal(windows.length, 5, `windows of ≤ 10 s: ${windows.join(", ")}`);
    assert.ok(
      windows.every((s) => s <= 10),
      windows.join(", "),
    );
    // window 1 is decoding, window 2 queued, and one clip read ahead: 7 of 15 clips at most
    assert.ok(
      pulledAtFirstWindow <= 7,
      `${pulledAtFirstWindow} of ${total} clips read before the first window ended`,
    );
    for (const s of segs) {
      const k = Math.floor(s.start / (clipS + 1));
      assert.ok(s.start >= k * (clipS + 1) && s.end <= k * (clipS + 1) + clipS + 1e-6, `inside clip ${k}`);
    }
  });
});

describe("WHISPER_MODEL in the server", () => {
  let server: TestServer;
  let call: ScriptedCall;
  before(async () => {
    call = makeTwoChannelCall(tmp.dir);
    server = await startTestServer({ WHISPER_MODEL: model });
  });
  after(() => server.cleanup());

  async function transcribe(fields: Record<string, string>) {
    const form = new FormData();
    form.append("call_uuid", "whisper-call");
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([readFileSync(call.path)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.data.transcript as Json[];
  }

  test("a two-channel call: items from both speakers, times inside the audio", async () => {
    const items = await transcribe({});
    // random weights: syllable soup, not the script's words (PocketSphinx would get most of them)
    assert.doesNotMatch(items.map((i) => i.text).join(" "), /refund|account|charged|support/i);
    const speakers = new Set(items.map((i) => i.speaker_id));
    assert.deepEqual([...speakers].sort(), [0, 1], JSON.stringify(items));
    for (const item of items) {
      assert.deepEqual(Object.keys(item).sort(), [
        "speaker_alias",
        "speaker_id",
        "text",
        "time_end",
        "time_start",
      ]);
      assert.ok(item.time_start >= 0 && item.time_start <= item.time_end && item.time_end <= call.duration);
      assert.ok(String(item.text).trim().length > 0);
    }
    // each item lies within a line its own speaker says (the lines alternate between channels;
    // VAD pads each region by a few tenths of a second)
    for (const item of items) {
      const inLine = CALL_SCRIPT.some((l, i) => {
        const end = call.starts[i + 1] ?? call.duration;
        return (
          l.speaker === item.speaker_id &&
          item.time_start >= call.starts[i]! - 0.7 &&
          item.time_end <= end + 0.1
        );
      });
      assert.ok(
        inLine,
        `speaker ${item.speaker_id} item ${item.time_start}-${item.time_end} outside their lines`,
      );
    }
  });

  test("word_timestamps=true: words inside their items, in order", async () => {
    const items = await transcribe({ word_timestamps: "true" });
    let words = 0;
    for (const item of items) {
      assert.ok(Array.isArray(item.words) && item.words.length > 0);
      let prev = item.time_start;
      for (const w of item.words as Json[]) {
        assert.deepEqual(Object.keys(w).sort(), ["confidence", "end", "start", "word"]);
        assert.ok(
          w.start >= item.time_start - 0.01 && w.end <= item.time_end + 0.01,
          `${w.word} inside its item`,
        );
        assert.ok(w.start >= prev - 0.01 && w.end >= w.start, "monotonic");
        assert.equal(w.confidence, null, "the binding exposes no token probabilities");
        prev = w.start;
        words++;
      }
    }
    assert.ok(words >= 2);
  });
});

describe("a bad WHISPER_MODEL stops the start", () => {
  /** `src/main.ts` with WHISPER_MODEL=file: exit code and stderr. */
  function start(file: string, env: Record<string, string> = {}) {
    return new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        env: {
          ...process.env,
          PORT: "0",
          HOST: "127.0.0.1",
          DATA_DIR: join(tmp.dir, "data"),
          LOG_LEVEL: "silent",
          WHISPER_MODEL: file,
          ...env,
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  test("truncated inside a tensor", async () => {
    const file = join(tmp.dir, "truncated.bin");
    copyFileSync(model, file);
    const fd = openSync(file, "r+");
    ftruncateSync(fd, 30_000_000);
    closeSync(fd);
    const { code, stderr } = await start(file);
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`WHISPER_MODEL ${file}: truncated: tensor '[^']+' data needs \\d+ bytes`),
    );
  });

  test("not a ggml file (wrong magic)", async () => {
    const file = join(tmp.dir, "wrong-magic.bin");
    writeFileSync(file, Buffer.concat([Buffer.from("GGUF"), readFileSync(model).subarray(4, 1 << 20)]));
    const { code, stderr } = await start(file);
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      /WHISPER_MODEL .*wrong-magic\.bin: not a whisper\.cpp ggml model: bad magic 0x46554747/,
    );
  });

  test("missing file", async () => {
    const file = join(tmp.dir, "nowhere", "ggml-base.bin");
    const { code, stderr } = await start(file);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /WHISPER_MODEL .*nowhere\/ggml-base\.bin: no such file/);
  });

  test("both ASR_URL and WHISPER_MODEL", () => {
    const config = loadConfig({ DATA_DIR: tmp.dir, ASR_URL: "http://127.0.0.1:9/", WHISPER_MODEL: model });
    assert.throws(() => createRecognizer(config), /ASR_URL .* or WHISPER_MODEL .*not both/);
  });

  test("a file whisper.cpp itself cannot open: the load fails with its reason", async () => {
    const file = join(tmp.dir, "vanishing.bin");
    copyFileSync(model, file);
    const rec = createWhisperRecognizer({ model: file }); // checked: fine
    unlinkSync(file); // gone before the thread loads it
    try {
      await assert.rejects(
        rec.load(),
        /WHISPER_MODEL .*vanishing\.bin: whisper\.cpp could not load it \(.*No such file/,
      );
    } finally {
      await rec.close();
    }
  });
});
