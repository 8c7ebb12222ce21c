/**
 * The production recognizer path through the whole server: ASR_URL points at a local server that
 * speaks OpenAI's `POST /v1/audio/transcriptions` (verbose_json). Channels are split and voiced
 * audio is sent per channel; a failing backend is a 502 inline (inference_failed).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { readMultipart } from "./helpers/multipart.ts";
import { captureLogs } from "./helpers/logs.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { e001Shape, s001Shape } from "./helpers/shapes.ts";

describe("ASR_URL: OpenAI-compatible transcription backend", () => {
  let whisper: http.Server;
  let server: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let call: string;
  let fail = false;
  let whisperUrl = "";
  const logs = captureLogs();
  const requests: Array<{ auth: string | undefined; fields: Record<string, string>; bytes: number }> = [];

  before(async () => {
    whisper = http.createServer(async (req, res) => {
      const { fields, file } = await readMultipart(req);
      const bytes = file?.bytes.length ?? 0;
      requests.push({ auth: req.headers.authorization, fields, bytes });
      if (fail || req.url !== "/v1/audio/transcriptions") {
        res.writeHead(fail ? 500 : 404).end("model exploded");
        return;
      }
      const seconds = (bytes - 44) / 32000;
      const text = `channel request ${requests.length}`;
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          text,
          language: "en",
          duration: seconds,
          segments: [{ start: 0.1, end: seconds - 0.1, text }],
        }),
      );
    });
    await new Promise<void>((r) => whisper.listen(0, "127.0.0.1", r));
    tmp = tempDir();
    const agent = concatPcm(silence(0.5), sayPcm("Thank you for calling."), silence(2.5));
    const user = concatPcm(silence(2.5), sayPcm("I need help with my bill.", "rms"));
    const len = Math.max(agent.length, user.length);
    call = writeWav(join(tmp.dir, "call.wav"), [
      concatPcm(agent, silence((len - agent.length) / 16000)),
      concatPcm(user, silence((len - user.length) / 16000)),
    ]);
    whisperUrl = `http://127.0.0.1:${(whisper.address() as AddressInfo).port}`;
    server = await startTestServer(
      { ASR_URL: whisperUrl, ASR_API_KEY: "sk-test-123", ASR_MODEL: "whisper-large-v3" },
      { logger: logs.logger },
    );
  });
  after(async () => {
    await server.cleanup();
    whisper.close();
    tmp.cleanup();
  });

  const post = async () => {
    const form = new FormData();
    form.append("call_uuid", "asr-1");
    form.append("file", new Blob([readFileSync(call)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    return { status: res.status, body: await res.json() };
  };

  it("sends each channel's voiced audio and maps segments back to call time per speaker", async () => {
    const { status, body } = await post();
    assert.equal(status, 200, JSON.stringify(body));
    const parsed = s001Shape.parse(body);
    assert.equal(requests.length, 2, "one request per channel (each channel's speech fits one batch)");
    for (const r of requests) {
      assert.equal(r.auth, "Bearer sk-test-123");
      assert.equal(r.fields.model, "whisper-large-v3");
      assert.equal(r.fields.response_format, "verbose_json");
      assert.equal(r.fields.language, "en");
    }
    const items = parsed.data.transcript;
    assert.equal(items.length, 2);
    assert.deepEqual(
      items.map((i) => i.speaker_alias),
      ["Agent", "User"],
    );
    assert.ok(
      items[0]!.time_start >= 0.1 && items[0]!.time_start < 1.2,
      `agent starts ${items[0]!.time_start}`,
    );
    assert.ok(items[1]!.time_start >= 2 && items[1]!.time_start < 3.2, `user starts ${items[1]!.time_start}`);
  });

  it("passes any lang through to the backend (no embedded-language check)", async () => {
    const form = new FormData();
    form.append("call_uuid", "asr-fr");
    form.append("lang", "fr");
    form.append("file", new Blob([readFileSync(call)]), "call.wav");
    const before = requests.length;
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    assert.equal(res.status, 200);
    assert.ok(requests.length > before);
    assert.ok(requests.slice(before).every((r) => r.fields.language === "fr"));
  });

  it("a failing backend is 502 inference_failed inline: no backend URL, body or key in the answer", async () => {
    fail = true;
    const { status, body } = await post();
    fail = false;
    assert.equal(status, 502);
    const e = e001Shape.parse(body);
    assert.equal(e.error_code, "inference_failed");
    assert.equal(
      e.error,
      "speech recognition failed: the recognizer did not return a usable result (details are in the server log)",
    );
    const shown =
      JSON.stringify(body) +
      JSON.stringify(await (await fetch(`${server.url}/transcribe/${e.request_id}`)).json());
    for (const internal of [whisperUrl, "model exploded", "sk-test-123", "HTTP 500"]) {
      assert.ok(!shown.includes(internal), `"${internal}" leaked to the caller`);
    }
    assert.match(logs.text(), /model exploded/, "the operator still sees the backend's answer");
    assert.ok(!logs.text().includes("sk-test-123"), "the key is not logged");
  });
});
