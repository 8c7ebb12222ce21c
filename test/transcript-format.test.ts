/**
 * Transcript formatting (TRANSCRIPT_FORMAT / `format`): the formatter's rules, WER normalization
 * that scores formatted and plain text the same, and a flite call through the real server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { after, before, describe, it, test } from "node:test";
import { ConfigError, loadConfig } from "../src/config.ts";
import { normalizeWords, wordErrorRate } from "../src/engines/asr/wer.ts";
import { formatItems, formatText } from "../src/pipeline/format-text.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CASES: [spoken: string, written: string][] = [
  // numbers
  ["i would like to pay forty dollars", "I would like to pay $40."],
  ["twenty three", "23."],
  ["one hundred and five", "105."],
  ["a hundred and fifty dollars", "$150."],
  ["it costs twelve thousand five hundred dollars", "It costs $12,500."],
  ["two thousand and twenty four", "2024."],
  ["one million two hundred thousand", "1,200,000."],
  ["three point five", "3.5."],
  ["zero point two five percent", "0.25%."],
  ["ten percent off", "10% off."],
  ["one dollar", "$1."],
  ["five euros", "€5."],
  ["forty dollar", "40 dollar."], // no agreement, no symbol
  ["within twenty four hours", "Within 24 hours."],
  ["on the twenty first of march", "On the 21st of March."],
  ["it was the eleventh", "It was the 11th."],
  ["a thirty second wait", "A 30 second wait."],
  ["the one hundred and second", "The 102nd."],
  ["i was born in nineteen eighty five", "I was born in 1985."],
  ["call me back at five thirty", "Call me back at 5:30."],
  ["twenty-three", "23."],
  // digit sequences
  ["my account number is four five six seven", "My account number is 4567."],
  ["call me at five five five one two three four", "Call me at 5551234."],
  ["five oh five", "505."],
  ["two three times", "Two three times."],
  // "one" and other small numbers stay words outside numeric contexts
  ["no one called me back", "No one called me back."],
  ["one of them was wrong", "One of them was wrong."],
  ["i need one more thing", "I need one more thing."],
  ["the one i ordered", "The one I ordered."],
  ["i have two questions", "I have two questions."],
  ["we have a second issue", "We have a second issue."],
  ["first of all thanks", "First of all thanks."],
  // "I", sentence case, final stop
  ["i'm sure i'd say i've got it and i'll do it", "I'm sure I'd say I've got it and I'll do it."],
  ["okay. thanks, bye", "Okay. Thanks, bye."],
  ["see you on monday", "See you on Monday."],
  ["may i help you", "May I help you."],
  ["is that right?", "Is that right?"],
  ["hello,", "Hello."],
  // engine-punctuated text is left as it is
  ["Hello, how can I help you today?", "Hello, how can I help you today?"],
  ["I'd like to check my account balance.", "I'd like to check my account balance."],
];

describe("formatText", () => {
  for (const [spoken, written] of CASES) {
    it(`${JSON.stringify(spoken)} → ${JSON.stringify(written)}`, () => {
      assert.equal(formatText(spoken), written);
    });
  }
  it("leaves other languages exactly as the engine wrote them", () => {
    assert.equal(formatText("une deux trois quatre", "fr"), "une deux trois quatre");
    assert.equal(formatText("i owe forty dollars", "en-US"), "I owe $40.");
  });
  it("changes an item's text only: words stay as recognized; plain changes nothing", () => {
    const words = [
      { word: "forty", start: 0, end: 0.4, confidence: 0.9 },
      { word: "dollars", start: 0.4, end: 0.9, confidence: 0.8 },
    ];
    const item = {
      text: "forty dollars",
      time_start: 0,
      time_end: 1,
      speaker_id: 0,
      speaker_alias: "Agent",
      words,
    };
    const [formatted] = formatItems([item], "formatted", "en");
    assert.deepEqual(formatted, { ...item, text: "$40." });
    assert.equal(formatted!.words, words);
    assert.deepEqual(formatItems([item], "plain", "en"), [item]);
  });
});

describe("WER normalization", () => {
  it("scores a formatted hypothesis against a spoken reference as 0", () => {
    assert.equal(wordErrorRate("forty dollars", "$40.").wer, 0);
    assert.equal(
      wordErrorRate("my account number is four five six seven", "My account number is 4567.").wer,
      0,
    );
    assert.equal(wordErrorRate("one hundred and five", "105").wer, 0);
    assert.equal(wordErrorRate("ten percent", "10%").wer, 0);
    assert.equal(wordErrorRate("twelve thousand five hundred dollars", "$12,500").wer, 0);
    assert.equal(wordErrorRate("the twenty first", "the 21st").wer, 0);
    assert.equal(wordErrorRate("no one", "No one.").wer, 0);
  });
  it("still counts a wrong number as an error", () => {
    assert.equal(wordErrorRate("forty dollars", "$50.").substitutions, 1);
    assert.equal(wordErrorRate("four five six seven", "4568").substitutions, 1);
  });
  it("writes numbers in digits and keeps them one word each", () => {
    assert.deepEqual(normalizeWords("I paid $40, i.e. forty dollars: 10% of four five six"), [
      "i", "paid", "40", "dollars", "i", "e", "40", "dollars", "10", "percent", "of", "456",
    ]); // prettier-ignore
  });
  it("formatting never changes the normalized words (20,000 random word strings)", () => {
    const vocab = (
      "zero one two three four five six seven eight nine oh ten eleven twelve thirteen eighteen " +
      "nineteen twenty thirty forty ninety hundred thousand million first second third tenth " +
      "hundredth thousandth and a point dollars dollar euro percent the of at to pm p m no i i'm " +
      "may march yes , . ? 40 $5 10% 3.5 twenty-three I"
    ).split(" ");
    let seed = 11;
    const pick = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed;
    };
    for (let t = 0; t < 20_000; t++) {
      const words = Array.from({ length: 1 + (pick() % 9) }, () => vocab[pick() % vocab.length]!);
      const text = words.join(pick() % 5 ? " " : "-").replace(/ ([,.?])/g, "$1");
      const formatted = formatText(text);
      assert.deepEqual(normalizeWords(formatted), normalizeWords(text), `${text} → ${formatted}`);
    }
  });
});

test("TRANSCRIPT_FORMAT is formatted by default, plain on request, and nothing else", () => {
  const base = { DATA_DIR: "/tmp/x" };
  assert.equal(loadConfig(base).TRANSCRIPT_FORMAT, "formatted");
  assert.equal(loadConfig({ ...base, TRANSCRIPT_FORMAT: "plain" }).TRANSCRIPT_FORMAT, "plain");
  assert.throws(
    () => loadConfig({ ...base, TRANSCRIPT_FORMAT: "pretty" }),
    (e: unknown) =>
      e instanceof ConfigError && /TRANSCRIPT_FORMAT: must be formatted or plain/.test(e.message),
  );
});

describe("a flite call through the server", () => {
  const SAID = "i would like to pay forty dollars";
  let tmp: ReturnType<typeof tempDir>;
  let wav: string;
  let server: TestServer;
  let receiver: Receiver;

  before(async () => {
    tmp = tempDir();
    wav = writeWav(join(tmp.dir, "pay.wav"), concatPcm(silence(0.4), sayPcm(SAID), silence(0.4)));
    [server, receiver] = await Promise.all([startTestServer(), startReceiver()]);
  });
  after(async () => {
    await Promise.all([server.cleanup(), receiver.close()]);
    tmp.cleanup();
  });

  async function transcribe(s: TestServer, fields: Record<string, string>) {
    const form = new FormData();
    form.append("call_uuid", "format-1");
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([readFileSync(wav)]), "pay.wav");
    const res = await fetch(`${s.url}/transcribe`, { method: "POST", body: form });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const textOf = (body: Json) => (body.data.transcript as Json[]).map((i) => i.text as string).join(" ");

  it("formats by default: digits and money, a capital, a full stop; the same when read back", async () => {
    const { status, body } = await transcribe(server, {});
    assert.equal(status, 200, JSON.stringify(body));
    const text = textOf(body);
    console.log(`formatted: ${text}`);
    assert.match(text, /\$40\b/);
    assert.doesNotMatch(text, /forty|dollars/);
    assert.match(text, /^[A-Z]/);
    assert.match(text, /\.$/);
    assert.ok(wordErrorRate(SAID, text).wer <= 0.2, text);
    const stored = (await (await fetch(`${server.url}/transcribe/${body.request_id}`)).json()) as Json;
    assert.equal(textOf(stored.result), text);
  });

  it("format=plain gives the recognizer's lower-case words", async () => {
    const { status, body } = await transcribe(server, { format: "plain" });
    assert.equal(status, 200, JSON.stringify(body));
    const text = textOf(body);
    assert.match(text, /forty dollars/);
    assert.equal(text, text.toLowerCase());
    assert.doesNotMatch(text, /[$.\d]/);
  });

  it("the webhook carries the formatted text too, and words stay as spoken", async () => {
    const { status, body } = await transcribe(server, {
      callback_url: `${receiver.url}/hook`,
      word_timestamps: "true",
    });
    assert.equal(status, 202, JSON.stringify(body));
    const [hook] = await receiver.waitFor(1, 60_000);
    const data = (hook!.json as Json).data as Json;
    assert.match(textOf({ data }), /\$40\b/);
    const words = (data.transcript as Json[]).flatMap((i) => (i.words as Json[]).map((w) => w.word));
    assert.ok(words.includes("forty") && words.includes("dollars"), words.join(" "));
  });

  it("refuses a format it does not know, on both APIs", async () => {
    const { status, body } = await transcribe(server, { format: "pretty" });
    assert.equal(status, 400);
    assert.equal(body.field, "format");
    assert.match(body.error, /format must be formatted or plain/);

    const form = new FormData();
    form.append("format", "pretty");
    form.append("file", new Blob([readFileSync(wav)]), "pay.wav");
    const res = await fetch(`${server.url}/v1/transcriptions`, { method: "POST", body: form });
    assert.equal(res.status, 400);
    const v1 = (await res.json()) as Json;
    assert.equal(v1.error.code, "INVALID_REQUEST");
    assert.match(v1.error.message, /format must be formatted or plain/);
  });

  it("/v1 takes format too", async () => {
    const form = new FormData();
    form.append("format", "plain");
    form.append("file", new Blob([readFileSync(wav)]), "pay.wav");
    const res = await fetch(`${server.url}/v1/transcriptions`, { method: "POST", body: form });
    assert.equal(res.status, 202);
    const { job_id } = (await res.json()) as Json;
    const job = await poll(async () => {
      const j = (await (await fetch(`${server.url}/v1/transcriptions/${job_id}`)).json()) as Json;
      return j.status === "succeeded" ? j : null;
    }, 60_000);
    assert.match(textOf({ data: job.result }), /forty dollars/);
  });

  it("TRANSCRIPT_FORMAT=plain makes plain the default; format=formatted still formats", async () => {
    const plain = await startTestServer({ TRANSCRIPT_FORMAT: "plain" });
    try {
      const byDefault = await transcribe(plain, {});
      assert.equal(byDefault.status, 200);
      assert.match(textOf(byDefault.body), /forty dollars/);
      assert.equal(textOf(byDefault.body), textOf(byDefault.body).toLowerCase());
      const asked = await transcribe(plain, { format: "formatted" });
      assert.match(textOf(asked.body), /^[A-Z].*\$40\b/);
    } finally {
      await plain.cleanup();
    }
  });
});
