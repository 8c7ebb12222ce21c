/**
 * Word timings and confidence (`word_timestamps=true`) from the embedded recognizer, checked
 * against flite's own timings of a scripted sentence (its phone end times, grouped into words
 * with flite's letter-to-sound `t2p`). Without the flag the items keep the seed shape exactly.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { normalizeWords } from "../src/engines/asr/wer.ts";
import { tempDir } from "./helpers/audio.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SENTENCE = "please check my account balance for last month";
const tmp = tempDir();
let server: TestServer;
let wav: string;
let truth: Array<{ word: string; start: number; end: number }>;

/** flite's word times: phone end times (-psdur) split into words by each word's phone count (t2p). */
function fliteWordTimes(text: string, out: string) {
  const psdur = execFileSync("flite", ["-voice", "slt", "-psdur", "-t", text, "-o", out], {
    encoding: "utf8",
  });
  const phones = psdur
    .trim()
    .split(/\s+/)
    .map((p) => {
      const [name, end] = p.split(":");
      return { name: name!, end: Number(end) };
    });
  let i = phones[0]?.name === "pau" ? 1 : 0;
  return text.split(" ").map((word) => {
    const count = execFileSync("t2p", [word], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .filter((p) => p !== "pau").length;
    const start = phones[i - 1]?.end ?? 0;
    i += count;
    return { word, start, end: phones[i - 1]!.end };
  });
}

before(async () => {
  server = await startTestServer();
  wav = join(tmp.dir, "sentence.wav");
  truth = fliteWordTimes(SENTENCE, wav);
});
after(async () => {
  await server.cleanup();
  tmp.cleanup();
});

async function transcribe(fields: Record<string, string>) {
  const form = new FormData();
  form.append("call_uuid", "words");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(wav)]), "sentence.wav");
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
  assert.equal(res.status, 200);
  return (await res.json()) as Json;
}

test("words: inside their item, in order, within 0.3 s of flite's timings, with a confidence", async () => {
  const body = await transcribe({ word_timestamps: "true" });
  const items = body.data.transcript as Json[];
  assert.ok(items.length >= 1);
  const words: Json[] = [];
  for (const item of items) {
    assert.deepEqual(Object.keys(item).sort(), [
      "speaker_alias", "speaker_id", "text", "time_end", "time_start", "words",
    ]); // prettier-ignore
    // the text is formatted (TRANSCRIPT_FORMAT), the words stay as recognized: the same words
    assert.deepEqual(
      normalizeWords(item.words.map((w: Json) => w.word).join(" ")),
      normalizeWords(item.text),
      "the words make up the text",
    );
    for (const w of item.words as Json[]) {
      assert.deepEqual(Object.keys(w).sort(), ["confidence", "end", "start", "word"]);
      assert.ok(
        w.start >= item.time_start - 0.01 && w.end <= item.time_end + 0.01,
        `${w.word} inside its item`,
      );
      assert.ok(w.end > w.start);
      assert.ok(w.confidence >= 0 && w.confidence <= 1);
      words.push(w);
    }
  }
  for (let i = 1; i < words.length; i++) assert.ok(words[i]!.start >= words[i - 1]!.end - 0.01, "monotonic");

  // each reference word the recognizer got right, matched in order
  let k = 0;
  const matched: string[] = [];
  for (const ref of truth) {
    const at = words.findIndex((w, j) => j >= k && w.word === ref.word);
    if (at < 0) continue;
    k = at + 1;
    const w = words[at]!;
    assert.ok(Math.abs(w.start - ref.start) < 0.3, `${ref.word} starts ${w.start} vs flite ${ref.start}`);
    assert.ok(Math.abs(w.end - ref.end) < 0.3, `${ref.word} ends ${w.end} vs flite ${ref.end}`);
    matched.push(ref.word);
  }
  console.log(
    `words matched against flite's timings: ${matched.length}/${truth.length} (${matched.join(" ")})`,
  );
  assert.ok(matched.length >= 6, `only ${matched.length} of ${truth.length} words recognized`);
});

test("without word_timestamps the items keep the seed shape exactly", async () => {
  const body = await transcribe({});
  for (const item of body.data.transcript as Json[]) {
    assert.deepEqual(Object.keys(item).sort(), [
      "speaker_alias",
      "speaker_id",
      "text",
      "time_end",
      "time_start",
    ]);
  }
  const bad = new FormData();
  bad.append("call_uuid", "x");
  bad.append("word_timestamps", "yes");
  bad.append("file", new Blob([readFileSync(wav)]), "sentence.wav");
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: bad });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as Json).error_code, "invalid_field");
});
