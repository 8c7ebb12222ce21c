/**
 * Accepted mode and the delivery engine over real loopback HTTP: exact bodies, headers, attempt
 * counts and spacing, abandonment, and re-delivery. Retry timings are shortened via env
 * (base 200 ms, factor 2, 1.5 s per-attempt timeout).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { freePort } from "./helpers/net.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";
import { acceptedShape, e001Shape, s001Shape } from "./helpers/shapes.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function submit(server: TestServer, file: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(file)]), "audio.wav");
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Json };
}

const getJson = async (url: string) => (await (await fetch(url)).json()) as Json;

async function waitForState(server: TestServer, requestId: string, state: string): Promise<Json> {
  return poll(async () => {
    const view = await getJson(`${server.url}/transcribe/${requestId}`);
    return view.callback?.state === state ? view : null;
  });
}

describe("accepted mode and webhook delivery", () => {
  let server: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let speech: string;
  let notAudio: string;
  const receivers: Receiver[] = [];
  const receiver = async (...script: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...script);
    receivers.push(r);
    return r;
  };

  before(async () => {
    tmp = tempDir();
    const agent = concatPcm(silence(0.3), sayPcm("Good morning, how can I help you?"), silence(2.4));
    const user = concatPcm(silence(2.6), sayPcm("I need to change my address.", "rms"), silence(0.3));
    speech = writeWav(join(tmp.dir, "short-call.wav"), [agent, user.subarray(0, agent.length)]);
    notAudio = join(tmp.dir, "notes.txt");
    writeFileSync(notAudio, "this is not audio at all\n".repeat(50));
    server = await startTestServer();
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await server.cleanup();
    tmp.cleanup();
  });

  it("answers 202 and delivers exactly one S001 with the auth header and query kept", async () => {
    const rx = await receiver([200]);
    const { status, body } = await submit(server, speech, {
      call_uuid: "cb-1",
      callback_url: `${rx.url}/hooks/transcript?tenant=acme&ref=7`,
      callback_auth_header_name: "X-Hook-Token",
      callback_auth_header_value: "s3cret-value",
    });
    assert.equal(status, 202);
    const accepted = acceptedShape.parse(body);
    assert.equal(accepted.call_uuid, "cb-1");

    const [hit] = await rx.waitFor(1);
    const delivered = s001Shape.parse(hit!.json);
    assert.equal(delivered.request_id, accepted.request_id);
    assert.equal(delivered.call_uuid, "cb-1");
    assert.equal(delivered.data.metadata.num_of_channels, 2);
    assert.ok(delivered.data.transcript.some((t) => t.speaker_alias === "User"));
    assert.equal(hit!.path, "/hooks/transcript?tenant=acme&ref=7");
    assert.equal(hit!.headers["x-hook-token"], "s3cret-value");
    assert.equal(hit!.headers["content-type"], "application/json");

    const view = await waitForState(server, accepted.request_id, "delivered");
    assert.equal(view.callback.webhook_status_code, 200);
    assert.equal(view.callback.attempts.length, 1);
    assert.deepEqual(view.callback.auth_header, { name: "X-Hook-Token", value: "[redacted]" });
    assert.ok(!JSON.stringify(view).includes("s3cret-value"), "secret never in API output");
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(rx.received.length, 1, "exactly one delivery");
  });

  it("retries 500, 500 then 200: three attempts with growing gaps, delivered", async () => {
    const rx = await receiver([500, 500, 200]);
    const { body } = await submit(server, notAudio, { call_uuid: "cb-2", callback_url: `${rx.url}/h` });
    const view = await waitForState(server, body.request_id, "delivered");
    assert.equal(rx.received.length, 3);
    const [a, b, c] = rx.received.map((r) => r.at);
    const gap1 = b! - a!;
    const gap2 = c! - b!;
    assert.ok(gap1 >= 180, `first gap ${gap1}`);
    assert.ok(gap2 >= 380 && gap2 > gap1, `gaps grow: ${gap1} then ${gap2}`);
    assert.deepEqual(
      view.callback.attempts.map((x: Json) => x.status_code),
      [500, 500, 200],
    );
    assert.deepEqual(
      view.callback.attempts.map((x: Json) => x.error_class),
      ["http_5xx", "http_5xx", null],
    );
    assert.equal(view.callback.webhook_status_code, 200);
    // every attempt carried the same E001 body
    const bodies = new Set(rx.received.map((r) => r.body));
    assert.equal(bodies.size, 1);
    const e = e001Shape.parse(rx.received[0]!.json);
    assert.equal(e.request_id, body.request_id);
    assert.equal(e.error_code, "unsupported_audio");
  });

  it("abandons after exactly 3 attempts on 500, lists it, and redelivers once the receiver is back", async () => {
    const rx = await receiver([500]);
    const { body } = await submit(server, notAudio, { call_uuid: "cb-3", callback_url: `${rx.url}/h` });
    const view = await waitForState(server, body.request_id, "abandoned");
    assert.equal(view.callback.attempts.length, 3);
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(rx.received.length, 3, "no fourth attempt");

    const list = await getJson(`${server.url}/deliveries?state=abandoned`);
    const listed = list.deliveries.find((d: Json) => d.request_id === body.request_id);
    assert.ok(listed, "abandoned delivery is listed");
    assert.equal(listed.webhook_status_code, 500);

    rx.setScript([200]);
    const res = await fetch(`${server.url}/deliveries/${listed.id}/redeliver`, { method: "POST" });
    assert.equal(res.status, 202);
    const after = await waitForState(server, body.request_id, "delivered");
    assert.equal(rx.received.length, 4);
    assert.equal(rx.received[3]!.body, rx.received[0]!.body, "same body on redelivery");
    assert.deepEqual(
      after.callback.attempts.map((x: Json) => [x.series, x.attempt, x.status_code]),
      [
        [1, 1, 500],
        [1, 2, 500],
        [1, 3, 500],
        [2, 1, 200],
      ],
    );
  });

  it("abandons a receiver that hangs past the per-attempt timeout after 3 attempts", async () => {
    const rx = await receiver(["hang"]);
    const { body } = await submit(server, notAudio, { call_uuid: "cb-4", callback_url: `${rx.url}/h` });
    const view = await waitForState(server, body.request_id, "abandoned");
    assert.equal(rx.received.length, 3);
    for (const a of view.callback.attempts) {
      assert.equal(a.error_class, "timeout");
      assert.equal(a.status_code, null);
      assert.ok(a.latency_ms >= 1400 && a.latency_ms < 5000, `latency ${a.latency_ms}`);
    }
  });

  it("abandons after 3 refused connections", async () => {
    const port = await freePort();
    const { body } = await submit(server, notAudio, {
      call_uuid: "cb-5",
      callback_url: `http://127.0.0.1:${port}/h`,
    });
    const view = await waitForState(server, body.request_id, "abandoned");
    assert.deepEqual(
      view.callback.attempts.map((a: Json) => a.error_class),
      ["connect", "connect", "connect"],
    );
    assert.equal(view.callback.webhook_status_code, null);
  });

  it("accepts the webhook_auth_header_* aliases", async () => {
    const rx = await receiver([200]);
    await submit(server, notAudio, {
      call_uuid: "cb-6",
      callback_url: `${rx.url}/h`,
      webhook_auth_header_name: "Authorization",
      webhook_auth_header_value: "Bearer abc",
    });
    const [hit] = await rx.waitFor(1);
    assert.equal(hit!.headers.authorization, "Bearer abc");
  });
});
