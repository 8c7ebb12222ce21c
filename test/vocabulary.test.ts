/**
 * Custom vocabulary on the embedded recognizer: a flite call that says "Acme" and "Northwind"
 * three times each. The stock model hears "acne" and "north wind"; with the terms as vocabulary
 * (per request or ASR_VOCABULARY) at least 5 of the 6 come back, spelled as the caller wrote them,
 * and a later request without vocabulary is not affected.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { concatPcm, sayPcm, silence, wavBytes } from "./helpers/audio.ts";
import { BRAND_LINES, BRAND_TERMS } from "./helpers/brand-call.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let server: TestServer;
let serverWithVocabulary: TestServer;
let wav: Buffer;

before(async () => {
  wav = wavBytes(concatPcm(...BRAND_LINES.flatMap(([voice, line]) => [sayPcm(line, voice), silence(1)])));
  server = await startTestServer();
  serverWithVocabulary = await startTestServer({ ASR_VOCABULARY: BRAND_TERMS.join(", ") });
});
after(async () => {
  await server.cleanup();
  await serverWithVocabulary.cleanup();
});

async function transcribe(s: TestServer, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append("call_uuid", "vocabulary");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([new Uint8Array(wav)]), "call.wav");
  const res = await fetch(`${s.url}/transcribe`, { method: "POST", body: form });
  const body = (await res.json()) as Json;
  assert.equal(res.status, 200, JSON.stringify(body));
  return (body.data.transcript as Json[]).map((i) => i.text as string).join(" ");
}

const count = (text: string, word: string) =>
  text.split(/[^A-Za-z]+/).filter((w) => w.toLowerCase() === word.toLowerCase()).length;
const found = (text: string) => count(text, "Acme") + count(text, "Northwind");

test("without vocabulary the terms are missed; with it at least 5 of 6 are heard, spelled as given", async () => {
  const stock = await transcribe(server);
  const boosted = await transcribe(server, { vocabulary: JSON.stringify(BRAND_TERMS) });
  console.log(`stock: ${found(stock)}/6 (${stock})\nvocabulary: ${found(boosted)}/6 (${boosted})`);
  assert.ok(found(stock) <= 1, `the stock model already hears the terms: ${stock}`);
  assert.equal(count(stock, "Northwind"), 0);
  assert.ok(found(boosted) >= 5, `only ${found(boosted)} of 6 terms heard: ${boosted}`);
  assert.ok(!/\b(acme|northwind)\b/.test(boosted), "vocabulary words come back as the caller spelled them");

  // the decoder that learned "northwind" does not carry it into the next request
  const again = await transcribe(server);
  assert.equal(again, stock);
});

test("ASR_VOCABULARY applies to every call; a comma-separated form field works too", async () => {
  const text = await transcribe(serverWithVocabulary);
  assert.ok(found(text) >= 5, `only ${found(text)} of 6 terms heard with ASR_VOCABULARY: ${text}`);
  const viaField = await transcribe(server, { vocabulary: BRAND_TERMS.join(",") });
  assert.ok(found(viaField) >= 5, viaField);
});

test("a bad vocabulary is refused with 400 naming the field", async () => {
  const cases: [string, RegExp][] = [
    [JSON.stringify(Array.from({ length: 101 }, (_, i) => `term${i}`)), /at most 100 terms/],
    [JSON.stringify(["<script>"]), /vocabulary terms are words/],
    [JSON.stringify([42]), /vocabulary/],
    ["[not json", /vocabulary/],
  ];
  for (const [value, message] of cases) {
    const form = new FormData();
    form.append("call_uuid", "bad-vocabulary");
    form.append("vocabulary", value);
    form.append("file", new Blob([new Uint8Array(wav)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 400, value);
    assert.match(JSON.stringify(body), message);
    assert.match(JSON.stringify(body), /vocabulary/);
  }
  const json = await fetch(`${server.url}/transcribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ call_uuid: "x", uri: "http://127.0.0.1:9/a.wav", vocabulary: "Acme" }),
  });
  assert.equal(json.status, 400, "a JSON body takes an array, not a string");
});
