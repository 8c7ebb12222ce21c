import { test, after, before } from "node:test";
import { clipsOf } from "../src/engines/asr/types.ts";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOpenAiRecognizer } from "../src/engines/asr/openai.ts";
import { readMultipart } from "./helpers/multipart.ts";

interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  fields: Record<string, string>;
  fileName: string;
  wav: Buffer;
}

type Reply = (req: Captured, index: number) => { status: number; body: string };

let server: Server;
let base: string;
let captured: Captured[] = [];
let reply: Reply = () => ({ status: 500, body: "no reply set" });

before(async () => {
  server = createServer(async (req, res) => {
    const { fields, file } = await readMultipart(req);
    const c = {
      path: req.url ?? "",
      headers: req.headers,
      fields,
      fileName: file?.name ?? "",
      wav: file?.bytes ?? Buffer.alloc(0),
    };
    captured.push(c);
    const r = reply(c, captured.length - 1);
    res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function parseWav(buf: Buffer): { rate: number; channels: number; bits: number; samples: Int16Array } {
  assert.equal(buf.toString("ascii", 0, 4), "RIFF");
  assert.equal(buf.toString("ascii", 8, 12), "WAVE");
  assert.equal(buf.toString("ascii", 12, 16), "fmt ");
  assert.equal(buf.readUInt16LE(20), 1, "PCM format");
  assert.equal(buf.toString("ascii", 36, 40), "data");
  const len = buf.readUInt32LE(40);
  assert.equal(len, buf.length - 44);
  assert.equal(buf.readUInt32LE(4), buf.length - 8);
  const samples = new Int16Array(len / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(44 + i * 2);
  return { rate: buf.readUInt32LE(24), channels: buf.readUInt16LE(22), bits: buf.readUInt16LE(34), samples };
}

const RATE = 16000;

/** A 60 s channel whose region k is filled with the constant (k + 1) * 1000, silence elsewhere. */
function channel(regions: { start: number; end: number }[]): Int16Array {
  const pcm = new Int16Array(60 * RATE);
  regions.forEach((r, k) => pcm.fill((k + 1) * 1000, r.start * RATE, r.end * RATE));
  return pcm;
}

test("sends the OpenAI multipart request and maps batch times back to channel time", async () => {
  captured = [];
  // 8 + 0.3 + 8 = 16.3 s fits one batch; adding 0.3 + 10 would exceed 25 s, so two requests.
  const regions = [
    { start: 1, end: 9 },
    { start: 12, end: 20 },
    { start: 25, end: 35 },
    { start: 40, end: 48 },
  ];
  reply = (_req, i) => ({
    status: 200,
    body: JSON.stringify({
      text: "ignored",
      language: "english",
      duration: i === 0 ? 16.3 : 18.3,
      segments:
        i === 0
          ? [
              { id: 0, start: 0.5, end: 7.5, text: " Hello there." },
              { id: 1, start: 8.8, end: 16.0, text: " How can I help?" },
            ]
          : [
              { id: 0, start: 0.0, end: 9.5, text: " I want to cancel." },
              { id: 1, start: 10.4, end: 18.3, text: " Sure." },
              { id: 2, start: 11, end: 12, text: "   " },
            ],
    }),
  });
  const rec = createOpenAiRecognizer({ url: `${base}/`, apiKey: "sk-test-123", model: "whisper-large-v3" });
  const segs = await rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" });

  assert.equal(captured.length, 2);
  for (const c of captured) {
    assert.equal(c.path, "/v1/audio/transcriptions");
    assert.equal(c.headers.authorization, "Bearer sk-test-123");
    assert.match(String(c.headers["content-type"]), /^multipart\/form-data; boundary=/);
    assert.equal(c.fields.model, "whisper-large-v3");
    assert.equal(c.fields.language, "en");
    assert.equal(c.fields.response_format, "verbose_json");
    assert.equal(c.fields["timestamp_granularities[]"], "segment");
    assert.match(c.fileName, /\.wav$/);
  }
  const w0 = parseWav(captured[0]!.wav);
  assert.deepEqual([w0.rate, w0.channels, w0.bits], [16000, 1, 16]);
  assert.equal(w0.samples.length, 16.3 * RATE);
  // region 1, then 0.3 s of silence, then region 2
  assert.equal(w0.samples[0], 1000);
  assert.equal(w0.samples[8 * RATE - 1], 1000);
  assert.equal(w0.samples[8 * RATE], 0);
  assert.equal(w0.samples[8.3 * RATE - 1], 0);
  assert.equal(w0.samples[8.3 * RATE], 2000);
  const w1 = parseWav(captured[1]!.wav);
  assert.equal(w1.samples.length, 18.3 * RATE);
  assert.equal(w1.samples[0], 3000);
  assert.equal(w1.samples[w1.samples.length - 1], 4000);

  assert.deepEqual(segs, [
    { start: 1.5, end: 8.5, text: "Hello there." },
    { start: 12.5, end: 19.7, text: "How can I help?" },
    { start: 25, end: 34.5, text: "I want to cancel." },
    { start: 40.1, end: 48, text: "Sure." },
  ]);
});

test("a segment stretched over two regions keeps its start in the first and its end in the second", async () => {
  captured = [];
  const regions = [
    { start: 2, end: 4 },
    { start: 10, end: 12 },
  ];
  reply = () => ({
    status: 200,
    body: JSON.stringify({ text: "x", segments: [{ start: 1, end: 3.8, text: "across the gap" }] }),
  });
  const rec = createOpenAiRecognizer({ url: `${base}/v1/audio/transcriptions` });
  const segs = await rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" });
  assert.equal(captured[0]!.path, "/v1/audio/transcriptions");
  assert.equal(captured[0]!.headers.authorization, undefined);
  assert.equal(captured[0]!.fields.model, "whisper-1");
  // batch time 3.8 lies in the second region (batch 2.3–4.3) → channel 10 + 1.5
  assert.deepEqual(segs, [{ start: 3, end: 11.5, text: "across the gap" }]);
});

test("no regions means no request", async () => {
  captured = [];
  const rec = createOpenAiRecognizer({ url: base });
  assert.deepEqual(await rec.recognize({ clips: clipsOf(new Int16Array(RATE), []), lang: "en" }), []);
  assert.equal(captured.length, 0);
});

test("an HTTP 500 becomes an Error with the status and a body excerpt, never the key", async () => {
  reply = () => ({ status: 500, body: '{"error":"model exploded for key sk-secret-9"}' });
  const rec = createOpenAiRecognizer({ url: base, apiKey: "sk-secret-9" });
  const regions = [{ start: 1, end: 2 }];
  await assert.rejects(
    rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" }),
    (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /HTTP 500/);
      assert.match(e.message, /model exploded/);
      assert.doesNotMatch(e.message, /sk-secret-9/);
      return true;
    },
  );
});

test("a 200 with invalid JSON becomes an Error", async () => {
  reply = () => ({ status: 200, body: "<html>gateway</html>" });
  const rec = createOpenAiRecognizer({ url: base });
  const regions = [{ start: 1, end: 2 }];
  await assert.rejects(
    rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" }),
    /invalid JSON.*200.*gateway/,
  );
});

test("a server that does not answer in time becomes a timeout Error", async () => {
  const slow = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
  try {
    const rec = createOpenAiRecognizer({
      url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      timeoutMs: 200,
    });
    const regions = [{ start: 1, end: 2 }];
    await assert.rejects(
      rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" }),
      /timed out after 200 ms/,
    );
  } finally {
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  }
});

test("word_timestamps: asks for word granularity and maps the words to channel time, into their segments", async () => {
  captured = [];
  const regions = [
    { start: 2, end: 5 },
    { start: 30, end: 33 },
  ];
  reply = () => ({
    status: 200,
    body: JSON.stringify({
      segments: [
        { start: 0.2, end: 2.8, text: " Hello there." },
        { start: 3.4, end: 6.0, text: " Bye." },
      ],
      words: [
        { word: "Hello", start: 0.2, end: 0.9 },
        { word: "there.", start: 1.0, end: 2.8, probability: 0.75 },
        { word: "Bye.", start: 3.5, end: 4.0 },
      ],
    }),
  });
  const rec = createOpenAiRecognizer({ url: base });
  const segs = await rec.recognize({
    clips: clipsOf(channel(regions), regions),
    lang: "en",
    wordTimestamps: true,
  });
  assert.equal(captured[0]!.fields["timestamp_granularities[]"], "word");
  assert.deepEqual(segs, [
    {
      start: 2.2,
      end: 4.8,
      text: "Hello there.",
      words: [
        { word: "Hello", start: 2.2, end: 2.9, confidence: null },
        { word: "there.", start: 3, end: 4.8, confidence: 0.75 },
      ],
    },
    {
      start: 30.1,
      end: 32.7,
      text: "Bye.",
      words: [{ word: "Bye.", start: 30.2, end: 30.7, confidence: null }],
    },
  ]);
  const plain = await rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" });
  assert.equal(plain[0]!.words, undefined, "no words unless asked");
  assert.equal(captured[1]!.fields["timestamp_granularities[]"], "segment");
});

test("a vocabulary goes to the server as the prompt; none, no prompt", async () => {
  captured = [];
  const regions = [{ start: 1, end: 3 }];
  reply = () => ({ status: 200, body: JSON.stringify({ segments: [{ start: 0, end: 1, text: "Hi" }] }) });
  const rec = createOpenAiRecognizer({ url: base });
  await rec.recognize({
    clips: clipsOf(channel(regions), regions),
    lang: "en",
    vocabulary: ["Acme", "Northwind"],
  });
  await rec.recognize({ clips: clipsOf(channel(regions), regions), lang: "en" });
  assert.equal(captured[0]!.fields.prompt, "Acme, Northwind");
  assert.equal(captured[1]!.fields.prompt, undefined);
});
