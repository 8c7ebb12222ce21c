/**
 * Finding a call again and deleting it: `GET /transcribe?call_uuid=…` lists a call's requests;
 * `DELETE /transcribe/{id}` removes the audio at once, the transcript, the webhook and events-feed
 * bodies, and keeps the job, delivery and attempt rows, marked deleted.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { expiryOf } from "../src/core/retention.ts";
import { createRetentionSweeper } from "../src/core/retention-sweeper.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = tempDir();
let server: TestServer;
let rx: Receiver;
let wav: string;
before(async () => {
  server = await startTestServer();
  rx = await startReceiver([200]);
  wav = writeWav(
    join(tmp.dir, "call.wav"),
    concatPcm(silence(0.3), sayPcm("my card number is four one one one"), silence(0.5)),
  );
});
after(async () => {
  await server.cleanup();
  await rx.close();
  tmp.cleanup();
});

async function submit(callUuid: string, callback: boolean): Promise<string> {
  const form = new FormData();
  form.append("call_uuid", callUuid);
  if (callback) form.append("callback_url", `${rx.url}/hook`);
  form.append("file", new Blob([readFileSync(wav)]), "call.wav");
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
  assert.ok(res.status === 200 || res.status === 202, String(res.status));
  return ((await res.json()) as Json).request_id as string;
}
const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, json: (await res.json()) as Json };
};
const audioFiles = () => readdirSync(join(server.dataDir, "audio")).filter((f) => !f.startsWith("."));

describe("lookup by call_uuid", () => {
  it("lists that call's requests newest first, and only that call's", async () => {
    const first = await submit("call-lookup", false);
    const second = await submit("call-lookup", false);
    await submit("another-call", false);
    const r = await get("/transcribe?call_uuid=call-lookup");
    assert.equal(r.status, 200);
    assert.equal(r.json.call_uuid, "call-lookup");
    assert.deepEqual(
      r.json.requests.map((q: Json) => q.request_id),
      [second, first],
    );
    assert.deepEqual(Object.keys(r.json.requests[0]).sort(), [
      "audio_seconds", "created_at", "error_code", "finished_at", "request_id", "status",
    ]); // prettier-ignore
    assert.equal(r.json.requests[0].status, "succeeded");
    assert.deepEqual((await get("/transcribe?call_uuid=nobody")).json.requests, []);
    const missing = await get("/transcribe");
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error_code, "missing_field");
  });
});

describe("deletion", () => {
  it("removes audio, transcript and webhook bodies; keeps rows and attempts, marked deleted", async () => {
    const id = await submit("call-delete", true);
    await poll(async () => rx.received.length > 0);
    const before_ = (await get(`/transcribe/${id}`)).json;
    assert.equal(before_.status, "succeeded");
    const deliveryId = before_.callback.id as string;
    const audioBefore = audioFiles().length;
    assert.ok(audioBefore >= 1);

    const del = await fetch(`${server.url}/transcribe/${id}`, { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.deepEqual(await del.json(), { status: "deleted", request_id: id, call_uuid: "call-delete" });
    assert.equal(audioFiles().length, audioBefore - 1, "its audio file is gone");
    assert.ok(!existsSync(join(server.dataDir, "audio", before_.result.data.id)));

    const after_ = (await get(`/transcribe/${id}`)).json;
    assert.equal(after_.deleted, true);
    assert.equal(after_.result, null);
    assert.ok(!JSON.stringify(after_).includes("four"), "no transcript text left");
    assert.equal(after_.callback.state, "delivered");
    assert.equal(after_.callback.attempts.length, 1, "attempt rows stay");

    const feed = (await get("/events?limit=100")).json.events as Json[];
    const event = feed.find((e) => e.delivery_id === deliveryId)!;
    assert.equal(event.body, null);
    assert.equal(event.deleted, true);
    const redeliver = await fetch(`${server.url}/deliveries/${deliveryId}/redeliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(redeliver.status, 410);
    assert.equal(((await redeliver.json()) as Json).error_code, "job_deleted");

    const listed = (await get("/transcribe?call_uuid=call-delete")).json.requests as Json[];
    assert.equal(listed[0]!.deleted, true);
    assert.equal(
      (await fetch(`${server.url}/transcribe/${id}`, { method: "DELETE" })).status,
      200,
      "idempotent",
    );
    assert.equal((await fetch(`${server.url}/transcribe/nope`, { method: "DELETE" })).status, 404);
  });

  it("a summary of a deleted transcription is refused", async () => {
    const id = await submit("call-delete-2", false);
    await fetch(`${server.url}/transcribe/${id}`, { method: "DELETE" });
    const res = await fetch(`${server.url}/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_uuid: "call-delete-2", request_id: id }),
    });
    assert.equal(res.status, 410);
    assert.equal(((await res.json()) as Json).error_code, "job_deleted");
  });
});

describe("retention", () => {
  it("expiryOf: the server's limits, shortened (never lengthened) by a request, 0 keeps", () => {
    const policy = { audioHours: 72, resultDays: 30 };
    const h = 3_600_000;
    assert.deepEqual(expiryOf(0, policy), { audioExpiresAt: 72 * h, resultExpiresAt: 720 * h });
    assert.deepEqual(expiryOf(0, policy, 1), { audioExpiresAt: h, resultExpiresAt: h });
    assert.deepEqual(expiryOf(0, policy, 100), { audioExpiresAt: 72 * h, resultExpiresAt: 100 * h });
    assert.deepEqual(expiryOf(0, { audioHours: 0, resultDays: 0 }), {
      audioExpiresAt: null,
      resultExpiresAt: null,
    });
  });

  it("the sweeper (clock moved forward) removes expired audio, then expired data; rows stay", async () => {
    const kept = await submit("call-kept", false);
    const form = new FormData();
    form.append("call_uuid", "call-short");
    form.append("retention_hours", "2");
    form.append("file", new Blob([readFileSync(wav)]), "call.wav");
    const short = (
      (await (await fetch(`${server.url}/transcribe`, { method: "POST", body: form })).json()) as Json
    ).request_id as string;
    const audioOf = async (id: string) => (await get(`/transcribe/${id}`)).json.result.data.id as string;
    const [keptAudio, shortAudio] = [await audioOf(kept), await audioOf(short)];
    const sweeperAt = (hours: number) =>
      createRetentionSweeper({
        store: server.store,
        blobs: server.blobs,
        logger: pino({ level: "silent" }),
        now: () => Date.now() + hours * 3_600_000,
      });

    assert.deepEqual(await sweeperAt(1).sweep(), { audio: 0, data: 0 }, "nothing expired yet");
    const at3h = await sweeperAt(3).sweep();
    assert.ok(at3h.audio >= 1 && at3h.data >= 1, JSON.stringify(at3h));
    assert.ok(!existsSync(join(server.dataDir, "audio", shortAudio)), "2-hour request: audio gone");
    assert.equal((await get(`/transcribe/${short}`)).json.deleted, true, "and its transcript");
    assert.ok(existsSync(join(server.dataDir, "audio", keptAudio)), "default 72 h: still there");
    assert.equal((await get(`/transcribe/${kept}`)).json.result.status, "S001");

    await sweeperAt(73).sweep();
    assert.ok(!existsSync(join(server.dataDir, "audio", keptAudio)), "72 h: audio gone");
    assert.equal(
      (await get(`/transcribe/${kept}`)).json.result.status,
      "S001",
      "the transcript stays 30 days",
    );
    await sweeperAt(31 * 24).sweep();
    const gone = (await get(`/transcribe/${kept}`)).json;
    assert.equal(gone.deleted, true);
    assert.equal(gone.status, "succeeded", "the row stays");
    assert.deepEqual(await sweeperAt(32 * 24).sweep(), { audio: 0, data: 0 }, "idempotent");
  });

  it("retention_hours is validated", async () => {
    const form = new FormData();
    form.append("call_uuid", "bad");
    form.append("retention_hours", "-1");
    form.append("file", new Blob([readFileSync(wav)]), "call.wav");
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    assert.equal(res.status, 400);
    const body = (await res.json()) as Json;
    assert.equal(body.error_code, "invalid_field");
    assert.match(body.error, /retention_hours/);
  });
});
