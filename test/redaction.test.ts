/**
 * PII redaction (`redact_pii`, `redact_pii_policies`, `redact_pii_audio`): the detectors one by one
 * (Luhn, spoken and written numbers, emails, dates of birth, names, no false positives on ordinary
 * call sentences), the audio filter, and a flite call through the real server: the card number,
 * phone number and email it reads appear nowhere — webhook, stored result, events feed, logs,
 * summary — and the redacted audio, transcribed again, no longer says them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import type { TranscriptItem } from "../src/core/payloads.ts";
import { formatItems } from "../src/pipeline/format-text.ts";
import { probeAudio } from "../src/pipeline/probe.ts";
import { channelRanges, redactAudioFile, redactionGraph } from "../src/pipeline/redact-audio.ts";
import { loadNlp, type Nlp } from "../src/redaction/names.ts";
import { luhn, plausibleSsn } from "../src/redaction/numbers.ts";
import { PII_POLICIES, type PiiPolicy } from "../src/redaction/policies.ts";
import { redactItems } from "../src/redaction/redact.ts";
import { SCRIPTED_CALLS } from "./fixtures/scripted-calls.ts";
import { concatPcm, readPcm16, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { captureLogs } from "./helpers/logs.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let nlp: Nlp;
before(async () => {
  nlp = await loadNlp();
});

/** Items of ~3 s each, alternating speakers unless a line starts with "A:" or "U:". */
function items(...lines: string[]): TranscriptItem[] {
  return lines.map((line, i) => {
    const m = /^([AU]):\s*/.exec(line);
    const speaker = m ? (m[1] === "A" ? 0 : 1) : i % 2;
    return {
      text: m ? line.slice(m[0].length) : line,
      time_start: i * 3,
      time_end: i * 3 + 2.8,
      speaker_id: speaker,
      speaker_alias: speaker === 0 ? "Agent" : "User",
    };
  });
}

const redact = (lines: string[], policies: readonly PiiPolicy[] = PII_POLICIES) =>
  redactItems(items(...lines), { policies, lang: "en" }, nlp).items.map((it) => it.text);
const one = (line: string, policies?: readonly PiiPolicy[]) => redact([line], policies)[0];

describe("detectors", () => {
  it("Luhn: card numbers pass, one wrong digit fails", () => {
    for (const n of [
      "4111111111111111",
      "5555555555554444",
      "378282246310005",
      "6011111111111117",
      "5375195153751957",
    ])
      assert.ok(luhn(n), n);
    for (const n of ["4111111111111112", "1234567812345678", "5375195153751958", "", "41x1"])
      assert.ok(!luhn(n), n);
    assert.ok(plausibleSsn("123456789"));
    for (const n of ["000456789", "666456789", "912456789", "123006789", "123450000"])
      assert.ok(!plausibleSsn(n), n);
  });

  it("card numbers: spoken digit by digit, written in groups, checked by Luhn without a cue", () => {
    const card = "four one one one one one one one one one one one one one one one";
    assert.equal(one(`my card number is ${card}`), "my card number is [CREDIT_CARD]");
    // no cue at all: Luhn decides
    assert.equal(one(`it is ${card}`), "it is [CREDIT_CARD]");
    assert.equal(one("it is 4111 1111 1111 1111 okay"), "it is [CREDIT_CARD] okay");
    assert.equal(one("It's 4111-1111-1111-1111."), "It's [CREDIT_CARD].");
    assert.equal(one("it is 4111 1111 1111 1112 okay"), "it is 4111 1111 1111 1112 okay");
    // after "card" a misheard digit (Luhn fails) is still the card; "for" is a misheard "four"
    assert.equal(
      one("my card numbers for one one one one one one one one one one one one one one one"),
      "my card numbers [CREDIT_CARD]",
    );
    // read with pauses (commas), and across two items of the same speaker
    assert.equal(
      one("it's four one one one, one one one one, one one one one, one one one one"),
      "it's [CREDIT_CARD]",
    );
    assert.deepEqual(
      redact(["U: card number four one one one one one one one", "U: one one one one one one one one"]),
      ["card number [CREDIT_CARD]", "[CREDIT_CARD]"],
    );
    // the security code after "security code"
    assert.equal(one("and the security code is seven three one"), "and the security code is [CREDIT_CARD]");
  });

  it("phone numbers: ten or eleven digits, formatted, or after a phone cue", () => {
    assert.equal(
      one("you can call me on five five five two three four five six seven eight"),
      "you can call me on [PHONE_NUMBER]",
    );
    assert.equal(one("it's five five five, two three four, five six seven eight"), "it's [PHONE_NUMBER]");
    assert.equal(one("oh seven seven double nine one two three four five six"), "[PHONE_NUMBER]");
    assert.equal(one("Call (555) 123-4567 please"), "Call ([PHONE_NUMBER] please");
    assert.equal(one("ring +44 20 7946 0958 today"), "ring +[PHONE_NUMBER] today");
    assert.equal(one("my mobile is five five five one two three four"), "my mobile is [PHONE_NUMBER]");
    // seven digits without a cue, an order number: left alone
    assert.equal(one("it is five five five one two three four"), "it is five five five one two three four");
    assert.equal(
      one("your order number is one two three four five six seven eight nine zero"),
      "your order number is one two three four five six seven eight nine zero",
    );
  });

  it("emails: spoken, written, with the 'at' lost by the recognizer; not a web address", () => {
    assert.equal(one("my email is john dot smith at example dot com"), "my email is [EMAIL_ADDRESS]");
    assert.equal(
      one("send it to mary underscore jones at gmail dot co dot uk thanks"),
      "send it to [EMAIL_ADDRESS] thanks",
    );
    assert.equal(one("Email me at john.smith@example.com, thanks."), "Email me at [EMAIL_ADDRESS], thanks.");
    assert.equal(one("it's j smith eighty five at hotmail"), "it's [EMAIL_ADDRESS]");
    assert.equal(one("my email address is john an example dot com"), "my email address is [EMAIL_ADDRESS]");
    assert.equal(one("you can look at amazon dot com for that"), "you can look at amazon dot com for that");
    assert.equal(one("visit www dot example dot com"), "visit www dot example dot com");
  });

  it("US SSNs: 3-2-4 written, or nine digits after 'social security'", () => {
    assert.equal(one("SSN 123-45-6789."), "SSN [US_SSN].");
    assert.equal(
      one("my social security number is one two three four five six seven eight nine"),
      "my social security number is [US_SSN]",
    );
    assert.equal(one("the code is 123456789 right"), "the code is 123456789 right");
  });

  it("dates of birth: only after a birth cue, also in the next item", () => {
    assert.equal(
      one("i was born on the fifth of march nineteen eighty five"),
      "i was born on the [DATE_OF_BIRTH]",
    );
    assert.equal(one("Date of birth: 05/03/1985."), "Date of birth: [DATE_OF_BIRTH].");
    assert.equal(one("i was born in nineteen eighty five"), "i was born in [DATE_OF_BIRTH]");
    assert.deepEqual(
      redact(["A: can you confirm your date of birth please", "U: it's march twelfth nineteen ninety"]),
      ["can you confirm your date of birth please", "it's [DATE_OF_BIRTH]"],
    );
    assert.equal(
      one("the payment was taken on the fifth of march"),
      "the payment was taken on the fifth of march",
    );
  });

  it("account numbers: digits after 'account', also when the agent asked in the item before", () => {
    assert.deepEqual(
      redact(["A: can i have your account number please", "U: sure it is four five seven two nine one"]),
      ["can i have your account number please", "sure it is [ACCOUNT_NUMBER]"],
    );
    assert.equal(one("account ending 4821"), "account ending [ACCOUNT_NUMBER]");
    assert.equal(one("i paid forty five pounds on my account"), "i paid forty five pounds on my account");
  });

  it("names: compromise plus cues, titles kept, everyday words left alone", () => {
    assert.equal(
      one("hi my name is john smith and i'm calling about my bill"),
      "hi my name is [PERSON_NAME] and i'm calling about my bill",
    );
    assert.equal(one("this is doctor patel"), "this is doctor [PERSON_NAME]");
    assert.equal(one("my name is xiomara okafor"), "my name is [PERSON_NAME]");
    assert.equal(one("FitLife, Jordan speaking."), "FitLife, [PERSON_NAME] speaking.");
    assert.equal(one("my daughter amber paid it"), "my daughter [PERSON_NAME] paid it");
    for (const line of [
      "the amber light is on",
      "please mark it as paid",
      "to be frank i'm not happy",
      "i will grant you that",
      "bill me later please",
      "hello deliveries",
      "i hope you have a good day",
      "may i have your reference",
    ])
      assert.equal(one(line), line);
  });

  it("a multi-word span is one label in the text and one word in `words`, timed from its first to its last word", () => {
    const spoken = "call me on five five five two three four five six seven eight please".split(" ");
    const item: TranscriptItem = {
      text: spoken.join(" "),
      time_start: 1,
      time_end: 1 + spoken.length * 0.4,
      speaker_id: 1,
      speaker_alias: "User",
      words: spoken.map((word, i) => ({ word, start: 1 + i * 0.4, end: 1.3 + i * 0.4, confidence: 0.9 })),
    };
    const r = redactItems([item], { policies: PII_POLICIES, lang: "en" }, nlp);
    assert.equal(r.items[0]!.text, "call me on [PHONE_NUMBER] please");
    assert.deepEqual(
      r.items[0]!.words!.map((w) => w.word),
      ["call", "me", "on", "[PHONE_NUMBER]", "please"],
    );
    const label = r.items[0]!.words![3]!;
    assert.equal(label.start, 1 + 3 * 0.4);
    assert.equal(label.end, 1.3 + 12 * 0.4);
    assert.deepEqual(r.spans, [{ policy: "phone_number", speakerId: 1, start: label.start, end: label.end }]);
    // formatting afterwards keeps the label and writes no digits
    assert.deepEqual(
      formatItems(r.items, "formatted", "en").map((i) => i.text),
      ["Call me on [PHONE_NUMBER] please."],
    );
  });

  it("words that tokenize unlike the text (punctuation, digits) are redacted by their own tokens", () => {
    const item: TranscriptItem = {
      text: "My number is 555-234-5678.",
      time_start: 0,
      time_end: 3,
      speaker_id: 0,
      speaker_alias: "Agent",
      words: ["My", "number", "is", "555-234-5678."].map((word, i) => ({
        word,
        start: i * 0.5,
        end: i * 0.5 + 0.4,
        confidence: null,
      })),
    };
    const r = redactItems([item], { policies: PII_POLICIES, lang: "en" }, nlp);
    assert.equal(r.items[0]!.text, "My number is [PHONE_NUMBER].");
    assert.deepEqual(
      r.items[0]!.words!.map((w) => w.word),
      ["My", "number", "is", "[PHONE_NUMBER]"],
    );
    assert.deepEqual(
      r.spans.map((s) => [s.start, s.end]),
      [[1.5, 1.9]],
    );
  });

  it("a finding one side cannot place: that side of the item becomes one label, its whole audio redacted", () => {
    const item = (text: string, words: string[]): TranscriptItem => ({
      text,
      time_start: 2,
      time_end: 5,
      speaker_id: 0,
      speaker_alias: "Agent",
      words: words.map((word, i) => ({ word, start: 2 + i * 0.5, end: 2.4 + i * 0.5, confidence: 0.8 })),
    });
    const opts = { policies: PII_POLICIES, lang: "en" };
    const a = redactItems(
      [item("my email is john at example dot com", ["my", "email", "is", "johnatexampledotcom"])],
      opts,
      nlp,
    );
    assert.equal(a.items[0]!.text, "my email is [EMAIL_ADDRESS]");
    assert.deepEqual(
      a.items[0]!.words!.map((w) => [w.word, w.start, w.end]),
      [["[EMAIL_ADDRESS]", 2, 3.9]],
    );
    assert.deepEqual(
      a.spans.map((x) => [x.start, x.end]),
      [[2, 5]],
    );
    const b = redactItems(
      [item("my email is johnatexampledotcom", "my email is john at example dot com".split(" "))],
      opts,
      nlp,
    );
    assert.equal(b.items[0]!.text, "[EMAIL_ADDRESS]");
    assert.deepEqual(
      b.items[0]!.words!.map((w) => w.word),
      ["my", "email", "is", "[EMAIL_ADDRESS]"],
    );
  });

  it("policies: only the ones asked for", () => {
    const line =
      "my card is four one one one one one one one one one one one one one one one and my email is john at example dot com";
    assert.equal(one(line, ["email_address"]), line.replace("john at example dot com", "[EMAIL_ADDRESS]"));
    assert.equal(one(line, ["credit_card"]), line.replace(/four one .* one and/, "[CREDIT_CARD] and"));
  });

  it("no false positives on ordinary call sentences: only the PII they hold changes", () => {
    // bench/wer.ts CALL: the agent's name and the account number are the only PII
    const call = redact([
      "Thank you for calling customer support, my name is Sarah, how can I help you today?",
      "Hi, I am calling about my last bill, I think I was charged twice this month.",
      "I am sorry to hear that. Can I have your account number please?",
      "Sure, it is four five seven two nine one.",
      "Thank you. I can see two payments on the fifth of March.",
      "I will refund the second payment to your card within five working days.",
      "That is great, thank you so much for your help.",
      "Is there anything else I can help you with today?",
      "Yes, I would also like to change my delivery address.",
      "No problem. What is the new address?",
      "I want to cancel my subscription because the service is too expensive.",
      "Let me transfer you to our retention team, please hold the line.",
    ]);
    assert.equal(
      call[0],
      "Thank you for calling customer support, my name is [PERSON_NAME], how can I help you today?",
    );
    assert.equal(call[3], "Sure, it is [ACCOUNT_NUMBER].");
    assert.equal(call[4], "Thank you. I can see two payments on the fifth of March.");
    assert.equal(call.filter((t) => t.includes("[")).length, 2);

    // the scripted calls (ASR style, 15 calls): every change, listed
    const changes: string[] = [];
    for (const c of SCRIPTED_CALLS) {
      const r = redactItems(c.transcript, { policies: PII_POLICIES, lang: "en" }, nlp);
      r.items.forEach((it, i) => {
        if (it.text !== c.transcript[i]!.text) changes.push(it.text);
      });
    }
    assert.deepEqual(changes, [
      "it's [ACCOUNT_NUMBER]",
      "good morning you're through to support my name is [PERSON_NAME] how can i help",
      "[DATE_OF_BIRTH]",
      "twenty two oak road and the [DATE_OF_BIRTH]",
    ]);
  });
});

describe("audio redaction", () => {
  it("channels: a speaker's own channel on a stereo call, every channel on mono or duplicated sides", () => {
    const spans = [
      { speakerId: 0, start: 1, end: 2 },
      { speakerId: 1, start: 5, end: 6 },
      { speakerId: 1, start: 6.1, end: 7 },
    ];
    assert.deepEqual(channelRanges(spans, [0, 1], 2, 10, 0.15), [
      [{ start: 0.85, end: 2.15 }],
      [{ start: 4.85, end: 7.15 }],
    ]);
    const all = [
      { start: 0.85, end: 2.15 },
      { start: 4.85, end: 7.15 },
    ];
    assert.deepEqual(channelRanges(spans, [0], 2, 10, 0.15), [all, all]); // same signal on both sides
    // diarized: two speakers of channel 0, channel 1 a duplicate of it
    assert.deepEqual(channelRanges(spans, [0, 0], 2, 10, 0.15), [all, all]);
    assert.deepEqual(channelRanges(spans, [0], 1, 6.5, 0.15), [
      [
        { start: 0.85, end: 2.15 },
        { start: 4.85, end: 6.5 },
      ],
    ]);
    const g = redactionGraph(channelRanges(spans, [0, 1], 2, 10), 8000, (n) => `/x/${n}`);
    assert.match(g.graph, /asplit=2/);
    assert.match(g.graph, /sine=frequency=1000:sample_rate=8000/);
    assert.match(g.graph, /amerge=inputs=2\[out\]/);
    assert.equal(g.commands.length, 4);
    assert.match(
      g.commands[0]!.text,
      /^0\.85-2\.15 \[enter\] volume@m0 volume 0, \[leave\] volume@m0 volume 1;$/,
    );
    // silence instead of a beep
    const quiet = redactionGraph([[{ start: 1, end: 2 }]], 16000, (n) => `/x/${n}`, false);
    assert.doesNotMatch(quiet.graph, /sine|amix|asplit|amerge/);
    assert.match(quiet.graph, /volume@m0=volume=1\[out\]$/);
  });

  it("ffmpeg beeps the ranges on their channel only and keeps format and duration", async () => {
    const tmp = tempDir();
    try {
      const speech = concatPcm(sayPcm("one two three four five six seven eight nine ten"), silence(0.3));
      const file = writeWav(join(tmp.dir, "call.wav"), [speech, speech.map((x) => x >> 1)]);
      const info = await probeAudio(file);
      const ranges = channelRanges([{ speakerId: 1, start: 1, end: 2 }], [0, 1], 2, info.duration, 0);
      await redactAudioFile(file, info, ranges);
      const out = await probeAudio(file);
      assert.deepEqual({ ...out, duration: 0 }, { ...info, duration: 0 });
      assert.ok(Math.abs(out.duration! - info.duration!) < 0.02);
      const rms = (pcm: Int16Array, a: number, b: number) => {
        let s = 0;
        for (let i = a * 16000; i < b * 16000; i++) s += pcm[i]! ** 2;
        return Math.sqrt(s / ((b - a) * 16000));
      };
      const left = readPcm16(file, { channel: 0 });
      const right = readPcm16(file, { channel: 1 });
      const beep = 32768 / 8 / Math.SQRT2; // the sine at 1/8 of full scale
      assert.ok(Math.abs(rms(right, 1.05, 1.95) - beep) < beep * 0.05, "a pure beep on the right channel");
      assert.ok(Math.abs(rms(left, 1.05, 1.95) - rms(speech, 1.05, 1.95)) < 2, "the left channel untouched");
      assert.ok(
        Math.abs(rms(right, 2.2, 2.8) - rms(speech, 2.2, 2.8) / 2) < 2,
        "outside the range untouched",
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe("through the server", () => {
  // a Luhn-valid card (5375 1951 5375 1957) read in digits that PocketSphinx hears well
  const CARD = "5375195153751957";
  /** A two-channel call: the agent (channel 0) asks, the customer (channel 1) reads them out. */
  const TURNS: Array<[channel: 0 | 1, line: string]> = [
    [0, "Hello, how can I help you today?"],
    [1, "Hello, I would like to pay by card."],
    [0, "Sure, go ahead."],
    [
      1,
      "The card number is five three seven five, one nine five one, five three seven five, one nine five seven.",
    ],
    [0, "Thank you. And a contact?"],
    [1, "My phone number is five five five, two three four, five six seven eight."],
    [1, "My email address is john at example dot com."],
    [0, "Thank you, goodbye."],
  ];
  const tmp = tempDir();
  const logs = captureLogs("debug");
  let server: TestServer;
  let receiver: Receiver;
  let wav: string;
  let agent: Int16Array;

  before(async () => {
    wav = join(tmp.dir, "call.wav");
    const channels: Int16Array[][] = [[silence(0.5)], [silence(0.5)]];
    for (const [c, line] of TURNS) {
      const speech = sayPcm(line, "slt");
      channels[c]!.push(speech, silence(1));
      channels[1 - c]!.push(silence(speech.length / 16000 + 1));
    }
    agent = concatPcm(...channels[0]!);
    writeWav(wav, [agent, concatPcm(...channels[1]!)]);
    [server, receiver] = await Promise.all([
      startTestServer({ LOG_LEVEL: "debug" }, { logger: logs.logger }),
      startReceiver(),
    ]);
  });
  after(async () => {
    await server?.cleanup();
    await receiver?.close();
    tmp.cleanup();
  });

  async function submit(fields: Record<string, string>, file = wav) {
    const form = new FormData();
    form.append("call_uuid", "pii-call");
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([readFileSync(file)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    return { status: res.status, body: (await res.json()) as Json };
  }

  /** Every string of a body except ids and aliases: what the transcript and summary say. */
  function said(body: unknown): string {
    const out: string[] = [];
    const walk = (v: unknown, key = "") => {
      if (typeof v === "string") {
        if (
          !["request_id", "call_uuid", "id", "msg_id", "speaker_alias", "cursor", "codec", "status"].includes(
            key,
          )
        )
          out.push(v);
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(body);
    return out.join(" | ");
  }

  const DIGIT_WORDS = /\b(zero|oh|one|two|three|four|five|six|seven|eight|nine)\b/i;
  /** What must not be said anywhere: the card, phone and email in any form. */
  function assertClean(text: string, where: string) {
    assert.ok(text.length > 0, `${where}: nothing to check`);
    assert.doesNotMatch(text, /\d/, `${where}: digits`);
    assert.doesNotMatch(text, DIGIT_WORDS, `${where}: number words`);
    assert.doesNotMatch(text, /john|example/i, `${where}: the email`);
  }

  test("control: without redact_pii the call's card, phone and email are recognized", async () => {
    const { status, body } = await submit({ format: "formatted" });
    assert.equal(status, 200);
    const text = body.data.transcript.map((i: Json) => i.text).join(" ");
    assert.ok(text.includes(CARD), text);
    assert.ok(text.includes("5552345678"), text);
    assert.match(text, /john .*example dot com/i);
  });

  test("redact_pii: nothing of them in the webhook, the stored result, the events feed, the logs or the summary", async () => {
    const { status, body } = await submit({
      callback_url: `${receiver.url}/hook`,
      redact_pii: "true",
      word_timestamps: "true",
      summarize: "true",
    });
    assert.equal(status, 202);
    const [transcriptHook, summaryHook] = await receiver.waitFor(2, 120_000);
    const hook = transcriptHook!.json as Json;
    assert.equal(hook.status, "S001");
    const texts = hook.data.transcript.map((i: Json) => i.text).join(" ");
    for (const label of ["[CREDIT_CARD]", "[PHONE_NUMBER]", "[EMAIL_ADDRESS]"])
      assert.ok(texts.includes(label), texts);
    assertClean(said(hook), "webhook");
    // the words carry the labels too, timed
    const words = hook.data.transcript.flatMap((i: Json) => i.words as Json[]);
    const card = words.find((w: Json) => w.word === "[CREDIT_CARD]");
    assert.ok(card && card.end - card.start > 3, "the card's words became one timed label");

    const stored = (await (await fetch(`${server.url}/transcribe/${body.request_id}`)).json()) as Json;
    assert.equal(stored.status, "succeeded");
    assert.ok(said(stored.result).includes("[CREDIT_CARD]"));
    assertClean(said(stored.result), "stored result");

    // the summary: built from the redacted transcript
    const summary = summaryHook!.json as Json;
    assert.equal(summary.status, "S001");
    console.log(`summary of the redacted call: ${JSON.stringify(summary.data.summaries)}`);
    assertClean(said(summary.data.summaries), "summary");
    const summaryJob = (await (await fetch(`${server.url}/summarize/${summary.data.msg_id}`)).json()) as Json;
    assertClean(said(summaryJob.tags), "tags");

    const events = (await (await fetch(`${server.url}/events`)).json()) as Json;
    const ours = (events.events as Json[]).filter((e) => JSON.stringify(e.body).includes(body.request_id));
    assert.deepEqual(ours.map((e) => e.event).sort(), ["summaryDelivered", "transcriptDelivered"]);
    for (const e of ours) assertClean(said(e.body), `events feed, ${e.event}`);
    assert.ok(said(ours.find((e) => e.event === "transcriptDelivered")!.body).includes("[CREDIT_CARD]"));

    // the logs, at debug level: ids and times aside, none of it
    const logText = logs.text().replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "");
    assert.ok(
      logs.lines.some((l) => l.msg === "webhook attempt"),
      "debug lines were captured",
    );
    for (const leak of [
      CARD,
      "5375 1951",
      "53751951",
      "5552345678",
      "555-234",
      "five three seven",
      "five five five",
      "john",
      "example dot",
    ])
      assert.ok(!logText.includes(leak), `log mentions ${leak}`);
  });

  test("redact_pii_policies: only the email when only email_address is asked for", async () => {
    const { status, body } = await submit({
      redact_pii: "true",
      redact_pii_policies: '["email_address"]',
      format: "formatted",
    });
    assert.equal(status, 200);
    const text = body.data.transcript.map((i: Json) => i.text).join(" ");
    assert.ok(text.includes("[EMAIL_ADDRESS]"), text);
    assert.doesNotMatch(text, /john|example/i);
    assert.ok(text.includes(CARD), text);
    assert.ok(text.includes("5552345678"), text);
    assert.ok(!text.includes("[CREDIT_CARD]") && !text.includes("[PHONE_NUMBER]"));
    assert.ok(!("words" in body.data.transcript[0]), "no words unless asked for");
  });

  test("redact_pii_audio: the stored audio, transcribed again, no longer says them (same duration)", async () => {
    const { status, body } = await submit({ redact_pii: "true", redact_pii_audio: "true", format: "plain" });
    assert.equal(status, 200);
    const stored = join(server.dataDir, "audio", body.data.id);
    const [before, after] = await Promise.all([probeAudio(wav), probeAudio(stored)]);
    assert.ok(Math.abs(after.duration! - before.duration!) < 0.02, `${after.duration} vs ${before.duration}`);
    assert.deepEqual({ ...after, duration: 0 }, { ...before, duration: 0 });
    assert.notDeepEqual(readFileSync(stored), readFileSync(wav), "the original was replaced");
    // the agent's channel is untouched: only the customer said them
    const left = readPcm16(stored, { channel: 0 });
    assert.equal(left.length, agent.length);
    assert.ok(
      left.every((x, i) => Math.abs(x - agent[i]!) <= 1),
      "channel 0 is the agent's audio as it was",
    );

    const again = await submit({ format: "formatted" }, stored);
    assert.equal(again.status, 200);
    const text = again.body.data.transcript.map((i: Json) => i.text).join(" ");
    console.log(`the redacted audio, transcribed again: ${text}`);
    assert.match(text, /card/i, `the rest of the call is still there: ${text}`);
    assert.doesNotMatch(text, /\d{3}/, `digits: ${text}`);
    assert.doesNotMatch(text, /five three seven|five five five|john|example/i, text);
  });

  test("requests: the fields are validated with 400s naming them", async () => {
    const bad = async (fields: Record<string, string>) => {
      const { status, body } = await submit(fields);
      assert.equal(status, 400, JSON.stringify(body));
      return body;
    };
    assert.equal((await bad({ redact_pii_audio: "true" })).field, "redact_pii");
    assert.equal(
      (await bad({ redact_pii: "false", redact_pii_policies: "email_address" })).error_code,
      "conflicting_fields",
    );
    assert.equal((await bad({ redact_pii: "yes" })).field, "redact_pii");
    const unknown = await bad({ redact_pii: "true", redact_pii_policies: "email_address,iban" });
    assert.equal(unknown.field, "redact_pii_policies");
    assert.match(unknown.error, /unknown policy "iban"/);
    assert.equal((await bad({ redact_pii: "true", redact_pii_policies: "[]" })).field, "redact_pii_policies");

    const v1 = async (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append("file", new Blob([readFileSync(wav)]), "call.wav");
      const res = await fetch(`${server.url}/v1/transcriptions`, { method: "POST", body: form });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const refused = await v1({ redact_pii_audio: "true" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "INVALID_REQUEST");
    assert.equal(refused.body.error.details.field, "redact_pii");

    const created = await v1({ redact_pii: "true", redact_pii_policies: "credit_card,phone_number" });
    assert.equal(created.status, 202);
    const job = await poll(async () => {
      const j = (await (
        await fetch(`${server.url}/v1/transcriptions/${created.body.job_id}`)
      ).json()) as Json;
      return j.status === "succeeded" || j.status === "failed" ? j : null;
    }, 120_000);
    assert.equal(job.status, "succeeded");
    const text = said(job.result.transcript);
    assert.ok(text.includes("[CREDIT_CARD]") && text.includes("[PHONE_NUMBER]"), text);
    assert.doesNotMatch(text, /\d{4}/);
    assert.match(text, /example/, "email_address was not asked for");
  });
});
