/**
 * End to end over loopback: a real two-channel call (flite + sox) through the real server, the
 * real ffmpeg pipeline, VAD and PocketSphinx, in inline mode.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { wordErrorRate } from "../src/engines/asr/wer.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { makeTwoChannelCall, type ScriptedCall } from "./helpers/call.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { s001Shape } from "./helpers/shapes.ts";

async function postFile(url: string, file: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(file)]), file.split("/").pop());
  const res = await fetch(`${url}/transcribe`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ffprobeDuration = (file: string) =>
  Number(
    execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file])
      .toString()
      .trim(),
  );

describe("POST /transcribe inline", () => {
  let server: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let call: ScriptedCall;
  let files: http.Server;

  before(async () => {
    tmp = tempDir();
    call = makeTwoChannelCall(tmp.dir);
    server = await startTestServer();
    files = http.createServer((req, res) => {
      if (req.url === "/call.wav")
        res.writeHead(200, { "content-type": "audio/wav" }).end(readFileSync(call.path));
      else res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  });
  after(async () => {
    await server.cleanup();
    files.close();
    tmp.cleanup();
  });

  it("transcribes a two-channel call upload into Agent/User items sorted by time", async () => {
    const { status, body } = await postFile(server.url, call.path, { call_uuid: "call-42" });
    assert.equal(status, 200, JSON.stringify(body));
    const parsed = s001Shape.parse(body);
    assert.equal(parsed.call_uuid, "call-42");
    const { metadata, transcript } = parsed.data;
    assert.equal(metadata.num_of_channels, 2);
    assert.equal(metadata.codec, "pcm_s16le");
    assert.equal(metadata.sample_rate, 16000);
    assert.equal(metadata.lang, "en");
    assert.ok(
      Math.abs(metadata.audio_duration - ffprobeDuration(call.path)) <= 0.1,
      `${metadata.audio_duration}`,
    );
    assert.match(parsed.data.id, /^[0-9a-f-]{36}\.wav$/);

    const starts = transcript.map((t) => t.time_start);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      "items sorted by time_start",
    );
    assert.deepEqual(
      new Set(transcript.map((t) => `${t.speaker_id}:${t.speaker_alias}`)),
      new Set(["0:Agent", "1:User"]),
    );
    for (const item of transcript) {
      assert.ok(item.time_end > item.time_start && item.time_end <= metadata.audio_duration + 0.05);
    }
    // the agent opens the call, the customer answers after the first line
    assert.equal(transcript[0]!.speaker_id, 0);
    assert.ok(Math.abs(transcript[0]!.time_start - call.starts[0]!) < 0.5);

    for (const speaker of [0, 1] as const) {
      const hyp = transcript
        .filter((t) => t.speaker_id === speaker)
        .map((t) => t.text)
        .join(" ");
      const wer = wordErrorRate(call.reference[speaker], hyp);
      console.log(`speaker ${speaker} WER ${(wer.wer * 100).toFixed(1)}%: ${hyp}`);
      assert.ok(wer.wer < 0.6, `WER ${wer.wer} too high for speaker ${speaker}`);
    }
  });

  it("fetches audio from a uri and honours speaker_aliases", async () => {
    const port = (files.address() as AddressInfo).port;
    const res = await fetch(`${server.url}/transcribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        uri: `http://127.0.0.1:${port}/call.wav`,
        call_uuid: "call-43",
        speaker_aliases: ["Rep", "Customer"],
      }),
    });
    assert.equal(res.status, 200);
    const body = s001Shape.parse(await res.json());
    assert.deepEqual(new Set(body.data.transcript.map((t) => t.speaker_alias)), new Set(["Rep", "Customer"]));
    assert.ok(body.data.transcript.length >= 4);
  });

  it("transcribes a mono signal copied into both channels once, as one speaker", async () => {
    const mono = concatPcm(
      silence(0.3),
      sayPcm("Please hold while I check your order status."),
      silence(0.3),
    );
    const path = writeWav(join(tmp.dir, "dual-mono.wav"), [mono, mono]);
    const { status, body } = await postFile(server.url, path, { call_uuid: "call-44" });
    assert.equal(status, 200);
    const parsed = s001Shape.parse(body);
    assert.equal(parsed.data.metadata.num_of_channels, 2);
    assert.ok(parsed.data.transcript.length >= 1);
    assert.deepEqual(new Set(parsed.data.transcript.map((t) => t.speaker_id)), new Set([0]));
    assert.equal(parsed.data.transcript[0]!.speaker_alias, "Speaker 0");
    const words = parsed.data.transcript
      .map((t) => t.text)
      .join(" ")
      .split(" ");
    assert.ok(words.length < 14, `no duplicated text: ${words.join(" ")}`);
  });

  it("GET /transcribe/:id returns the stored result", async () => {
    const { body } = await postFile(server.url, call.path, { call_uuid: "call-45" });
    const res = await fetch(`${server.url}/transcribe/${String(body.request_id)}`);
    assert.equal(res.status, 200);
    const view = (await res.json()) as Record<string, unknown>;
    assert.equal(view.status, "succeeded");
    assert.equal(view.callback, null);
    assert.deepEqual(view.result, body);
  });
});
