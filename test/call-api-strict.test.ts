/**
 * The Call API is strict and says exactly what is wrong, with an `error_code` a client can branch
 * on; and nothing of a refused request stays on disk. End to end over loopback HTTP.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { captureLogs } from "./helpers/logs.ts";
import { rawRequest, truncatedUpload } from "./helpers/raw-request.ts";
import { startBadInputRig, type BadInputRig } from "./helpers/bad-input-rig.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(server: TestServer, path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

async function postForm(server: TestServer, fields: Record<string, string>, file?: Buffer) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append("file", new Blob([new Uint8Array(file)]), "call.wav");
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Json };
}

const expectError = (
  res: { status: number; body: Json },
  status: number,
  code: string,
  field?: string,
  message?: RegExp,
) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.status, "E001");
  assert.equal(res.body.error_code, code, JSON.stringify(res.body));
  if (field !== undefined) assert.equal(res.body.field, field);
  if (message) assert.match(res.body.error, message);
};

describe("strict Call API", () => {
  let rig: BadInputRig;
  let server: TestServer;
  let rx: Receiver;
  let wav: Buffer;
  let filesUrl: string;
  const audioFiles = () => readdirSync(join(server.dataDir, "audio"));

  before(async () => {
    rig = await startBadInputRig();
    ({ server, rx, filesUrl, wav } = rig);
  });
  after(() => rig.close());

  it("unknown fields → 400 unknown_field naming the field, with a suggestion for near misses", async () => {
    const json = await post(server, "/transcribe", {
      call_uuid: "x",
      uri: `${filesUrl}/a.wav`,
      callbak_url: `${rx.url}/h`,
    });
    expectError(json, 400, "unknown_field", "callbak_url", /"callbak_url" \(did you mean callback_url\?\)/);
    const form = await postForm(server, { call_uuid: "x", langauge: "en" }, wav);
    expectError(form, 400, "unknown_field", "langauge");
    const summary = await post(server, "/summarize", { call_uuid: "x", txt: "hello" });
    expectError(summary, 400, "unknown_field", "txt", /did you mean text\?/);
    assert.deepEqual(audioFiles(), [], "the refused upload was deleted");
  });

  it("AssemblyAI's names are aliases: webhook_url and webhook_auth_header_*", async () => {
    const before = rx.received.length;
    const res = await post(server, "/transcribe", {
      call_uuid: "alias-1",
      audio_url: `${filesUrl}/missing.wav`,
      webhook_url: `${rx.url}/assembly`,
      webhook_auth_header_name: "X-Token",
      webhook_auth_header_value: "tok",
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const hits = await rx.waitFor(before + 1);
    const hit = hits[before]!;
    assert.equal(hit.path, "/assembly");
    assert.equal(hit.headers["x-token"], "tok");
    assert.equal((hit.json as Json).error_code, "audio_fetch_failed");
    const both = await post(server, "/transcribe", {
      call_uuid: "x",
      uri: `${filesUrl}/a.wav`,
      callback_url: `${rx.url}/a`,
      webhook_url: `${rx.url}/b`,
    });
    expectError(both, 400, "conflicting_fields", "webhook_url");
  });

  it("speaker_aliases must be a JSON array of non-empty strings, in JSON or in a form field", async () => {
    const format = /speaker_aliases must be a JSON array of non-empty strings/;
    for (const bad of ["Agent", ["Agent", ""], [1, 2], { a: 1 }]) {
      const res = await post(server, "/transcribe", {
        call_uuid: "x",
        uri: `${filesUrl}/a.wav`,
        speaker_aliases: bad,
      });
      expectError(res, 400, "invalid_field", "speaker_aliases", format);
    }
    for (const bad of ["Agent,User", "Agent", "[1]"]) {
      expectError(
        await postForm(server, { call_uuid: "x", speaker_aliases: bad }, wav),
        400,
        "invalid_field",
        "speaker_aliases",
        format,
      );
    }
  });

  it("summarize takes only true or false", async () => {
    for (const bad of ["yes", "1", 1, "on"]) {
      const res = await post(server, "/transcribe", {
        call_uuid: "x",
        uri: `${filesUrl}/a.wav`,
        callback_url: `${rx.url}/h`,
        summarize: bad,
      });
      expectError(res, 400, "invalid_field", "summarize", /summarize must be true or false/);
    }
    const form = await postForm(
      server,
      { call_uuid: "x", callback_url: `${rx.url}/h`, summarize: "yes" },
      wav,
    );
    expectError(form, 400, "invalid_field", "summarize");
  });

  it("a language the embedded recognizer cannot do → 400 naming the supported ones", async () => {
    const res = await post(server, "/transcribe", { call_uuid: "x", uri: `${filesUrl}/a.wav`, lang: "fr" });
    expectError(res, 400, "unsupported_language", "lang", /supported: en\b/);
    const regional = await post(server, "/transcribe", {
      call_uuid: "x",
      uri: `${filesUrl}/missing.wav`,
      lang: "en-GB",
      callback_url: `${rx.url}/h`,
    });
    assert.equal(regional.status, 202);
  });

  it("malformed multipart → 400 invalid_multipart, never 500; two file parts → 400", async () => {
    const head = (type: string) => `POST /transcribe HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n`;
    const noBoundary = await rawRequest(server.port, head("multipart/form-data"), "--X\r\n\r\n");
    expectError(noBoundary, 400, "invalid_multipart");
    const part = (name: string, extra = "") =>
      `--XX\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`;
    const truncated = await truncatedUpload(server.port);
    expectError(truncated, 400, "invalid_multipart", undefined, /malformed multipart/);
    const twoFiles = await rawRequest(
      server.port,
      head("multipart/form-data; boundary=XX"),
      `${part("call_uuid")}abc\r\n${part("file", '; filename="a.wav"')}RIFF\r\n` +
        `${part("file", '; filename="b.wav"')}RIFF\r\n--XX--\r\n`,
    );
    expectError(twoFiles, 400, "invalid_multipart", undefined, /exactly one file part/);
    assert.deepEqual(audioFiles(), []);
  });

  it("every kind of bad request has its own error_code", async () => {
    const raw = await fetch(`${server.url}/transcribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expectError({ status: raw.status, body: (await raw.json()) as Json }, 400, "invalid_json");
    expectError(
      await post(server, "/transcribe", { uri: `${filesUrl}/a.wav` }),
      400,
      "missing_field",
      "call_uuid",
    );
    expectError(await post(server, "/transcribe", { call_uuid: "x" }), 400, "missing_field", "uri");
    expectError(
      await post(server, "/transcribe", { call_uuid: "x", uri: "ftp://files.example/a.wav" }),
      400,
      "invalid_field",
      "uri",
    );
    expectError(await post(server, "/transcribe", ["x"]), 400, "invalid_field", "body");
    const text = await fetch(`${server.url}/transcribe`, {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<call/>",
    });
    expectError({ status: text.status, body: (await text.json()) as Json }, 415, "unsupported_media_type");
    const unknownRoute = await fetch(`${server.url}/transcribe/nope`);
    expectError({ status: unknownRoute.status, body: (await unknownRoute.json()) as Json }, 404, "not_found");
  });

  it("nothing of a refused request stays on disk (413, 415, 400)", async () => {
    const big = await postForm(server, { call_uuid: "x" }, Buffer.alloc(400_000, 1));
    expectError(big, 413, "audio_too_large");
    const notAudio = await postForm(server, { call_uuid: "x" }, Buffer.from("hello world\n"));
    expectError(notAudio, 415, "unsupported_audio");
    const notAudioUri = await post(server, "/transcribe", { call_uuid: "x", uri: `${filesUrl}/notes.txt` });
    expectError(notAudioUri, 415, "unsupported_audio");
    const missing = await post(server, "/transcribe", { call_uuid: "x", uri: `${filesUrl}/missing.wav` });
    expectError(missing, 400, "audio_fetch_failed");
    const badField = await postForm(server, { call_uuid: "x", lang: "klingon please" }, wav);
    expectError(badField, 400, "invalid_field", "lang");
    // accepted mode: the E001 webhook is the refusal, and the bytes go too
    const before = rx.received.length;
    const accepted = await postForm(
      server,
      { call_uuid: "x", callback_url: `${rx.url}/h` },
      Buffer.from("nope"),
    );
    assert.equal(accepted.status, 202);
    await rx.waitFor(before + 1);
    await poll(async () => audioFiles().length === 0, 5000);
    assert.deepEqual(audioFiles(), []);
  });
});

describe("a password in callback_url", () => {
  it("is used for Basic auth and never shown: not in answers, GET /transcribe, /deliveries, /events or logs", async () => {
    const rx = await startReceiver([200]);
    const logs = captureLogs("trace");
    const server = await startTestServer({ LOG_LEVEL: "trace" }, { logger: logs.logger });
    try {
      const secret = "hunter2-pw";
      const callback = `${rx.url.replace("http://", `http://ops:${secret}@`)}/calls?tenant=acme`;
      const res = await post(server, "/transcribe", {
        call_uuid: "pw-1",
        uri: `${rx.url}/missing.wav`,
        callback_url: callback,
      });
      assert.equal(res.status, 202);
      const hits = await rx.waitFor(2); // the audio fetch (an empty body: not audio), then the E001 webhook
      const hook = hits.find((h) => h.path.startsWith("/calls"))!;
      assert.equal(hook.headers.authorization, `Basic ${Buffer.from(`ops:${secret}`).toString("base64")}`);
      const id = res.body.request_id as string;
      const view = await poll(async () => {
        const v = (await (await fetch(`${server.url}/transcribe/${id}`)).json()) as Json;
        return v.callback?.state === "delivered" ? v : null;
      });
      assert.equal(view.callback.url, `${rx.url.replace("http://", "http://ops:***@")}/calls?tenant=acme`);
      const shown = [
        JSON.stringify(res.body),
        JSON.stringify(view),
        await (await fetch(`${server.url}/deliveries`)).text(),
        await (await fetch(`${server.url}/events`)).text(),
        logs.text(),
      ];
      assert.ok(logs.lines.length > 5, "the server did log");
      for (const text of shown) assert.ok(!text.includes(secret), text.slice(0, 200));
    } finally {
      await server.cleanup();
      await rx.close();
    }
  });
});

describe("a full queue", () => {
  it("answers 503 queue_full with Retry-After, before reading the upload, logged at warn without a stack", async () => {
    // a URI that never answers keeps the only worker busy; the next job waits in the queue
    const hanging = http.createServer(() => {});
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    const hangUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/slow.wav`;
    const rx = await startReceiver([200]);
    const logs = captureLogs("info");
    const server = await startTestServer(
      { MAX_QUEUED_JOBS: "1", JOB_CONCURRENCY: "1", FETCH_TIMEOUT_MS: "60000" },
      { logger: logs.logger },
    );
    try {
      const job = { uri: hangUrl, callback_url: `${rx.url}/h` };
      assert.equal((await post(server, "/transcribe", { call_uuid: "busy-1", ...job })).status, 202);
      await poll(async () => (await server.store.countJobs("processing")) === 1);
      assert.equal((await post(server, "/transcribe", { call_uuid: "busy-2", ...job })).status, 202);

      const full = await post(server, "/transcribe", { call_uuid: "busy-3", ...job });
      expectError(full, 503, "queue_full", undefined, /retry in 10 s/);
      assert.equal(full.headers.get("retry-after"), "10");
      const summary = await post(server, "/summarize", { call_uuid: "s", text: "hello" });
      expectError(summary, 503, "queue_full");

      // 4 MB announced, 64 KB sent: the answer must come without the rest of the upload
      const answer = await new Promise<{ status: number; retryAfter: string | undefined }>(
        (resolve, reject) => {
          const req = http.request(`${server.url}/transcribe`, {
            method: "POST",
            headers: {
              "content-type": "multipart/form-data; boundary=XX",
              "content-length": String(4 << 20),
            },
          });
          req.on("response", (res) => {
            res.resume();
            resolve({
              status: res.statusCode!,
              retryAfter: res.headers["retry-after"] as string | undefined,
            });
            req.destroy();
          });
          req.on("error", reject);
          req.write(Buffer.alloc(64 * 1024, 0x41));
        },
      );
      assert.deepEqual(answer, { status: 503, retryAfter: "10" });
      assert.equal(
        (await server.store.countJobs("queued")) + (await server.store.countJobs("processing")),
        2,
      );
      assert.deepEqual(readdirSync(join(server.dataDir, "audio")), [], "no upload was stored");

      const lines = logs.lines.filter((l) => l.errorCode === "queue_full");
      assert.ok(lines.length >= 3, "each refusal is logged");
      for (const l of lines) {
        assert.equal(l.level, 40, "warn");
        assert.equal(l.err, undefined, "no error object (so no stack)");
        assert.ok(!JSON.stringify(l).includes("    at "), "no stack trace");
      }
    } finally {
      hanging.closeAllConnections();
      hanging.close();
      await server.cleanup();
      await rx.close();
    }
  });
});
