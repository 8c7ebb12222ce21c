/**
 * `POST /summarize` end to end (SPEC.md sections 3 and 4): inline and webhook bodies checked field
 * by field, every source kind, the error statuses, an LLM backend that keeps answering invalid
 * JSON (E001), and `summarize: true` on /transcribe delivering both webhooks in order.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { captureLogs } from "./helpers/logs.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { e001Shape, s001Shape } from "./helpers/shapes.ts";
import { SCRIPTED_CALLS, asPlainText } from "./fixtures/scripted-calls.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const summaryS001 = z.strictObject({
  status: z.literal("S001"),
  call_uuid: z.string().min(1),
  data: z.strictObject({
    summaries: z.array(z.strictObject({ topic: z.string().min(1), summary: z.string().min(1) })).min(1),
    request_id: z.uuid(),
    msg_id: z.uuid(),
  }),
});

const billing = SCRIPTED_CALLS.find((c) => c.topic === "Billing Issue")!;

async function post(server: TestServer, path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe("POST /summarize", () => {
  let server: TestServer;
  let rx: Receiver;
  let tmp: ReturnType<typeof tempDir>;
  let callWav: string;

  before(async () => {
    tmp = tempDir();
    const agent = concatPcm(
      silence(0.3),
      sayPcm("Thank you for calling. How can I help you?"),
      silence(4.5),
      sayPcm("I can see the duplicate charge. I have issued a refund."),
      silence(0.5),
    );
    const user = concatPcm(silence(3.2), sayPcm("I was charged twice on my bill. I want a refund.", "rms"));
    callWav = writeWav(join(tmp.dir, "billing.wav"), [
      agent,
      concatPcm(user, silence((agent.length - user.length) / 16000)),
    ]);
    rx = await startReceiver([200]);
    server = await startTestServer();
  });
  after(async () => {
    await server.cleanup();
    await rx.close();
    tmp.cleanup();
  });

  it("inline from transcript items: S001 with the scripted topic", async () => {
    const { status, body } = await post(server, "/summarize", {
      call_uuid: "s-1",
      transcript: billing.transcript,
    });
    assert.equal(status, 200, JSON.stringify(body));
    const parsed = summaryS001.parse(body);
    assert.equal(parsed.call_uuid, "s-1");
    assert.equal(parsed.data.request_id, parsed.data.msg_id, "a summary of items carries its own id");
    assert.equal(parsed.data.summaries[0]!.topic, "Billing Issue");
    assert.match(parsed.data.summaries[0]!.summary.toLowerCase(), /refund/);
    const view = (await (await fetch(`${server.url}/summarize/${parsed.data.request_id}`)).json()) as Json;
    assert.deepEqual(view.result, body);
    assert.ok(view.tags.call_reason.length >= 1);
  });

  it("inline from plain text", async () => {
    const { status, body } = await post(server, "/summarize", {
      call_uuid: "s-2",
      text: asPlainText(billing.transcript),
    });
    assert.equal(status, 200);
    assert.equal(summaryS001.parse(body).data.summaries[0]!.topic, "Billing Issue");
  });

  it("from the request_id of a finished transcription, delivered as summaryDelivered", async () => {
    const form = new FormData();
    form.append("call_uuid", "s-3");
    form.append("file", new Blob([readFileSync(callWav)]), "call.wav");
    const t = (await (
      await fetch(`${server.url}/transcribe`, { method: "POST", body: form })
    ).json()) as Json;
    assert.equal(t.status, "S001");
    const res = await post(server, "/summarize", {
      call_uuid: "s-3",
      request_id: t.request_id,
      callback_url: `${rx.url}/summary?x=1`,
    });
    assert.equal(res.status, 202);
    const [hit] = await rx.waitFor(1);
    const body = summaryS001.parse(hit!.json);
    assert.equal(body.call_uuid, "s-3");
    assert.equal(body.data.request_id, t.request_id, "the transcription's request_id, as in the seed");
    assert.equal(body.data.msg_id, res.body.request_id, "msg_id names the summary message (its job)");
    assert.equal(hit!.headers["x-callscribe-event"], "summaryDelivered");
    assert.equal(hit!.path, "/summary?x=1");
    const view = (await (await fetch(`${server.url}/summarize/${res.body.request_id}`)).json()) as Json;
    assert.deepEqual(view.result, body, "GET /summarize shows the body that was delivered");
  });

  it("rejects wrong source combinations and unknown or unfinished transcriptions", async () => {
    const none = await post(server, "/summarize", { call_uuid: "x" });
    assert.equal(none.status, 400);
    assert.match(none.body.error, /exactly one of request_id, transcript or text/);
    assert.equal(none.body.error_code, "missing_field");
    const both = await post(server, "/summarize", { call_uuid: "x", text: "hi", transcript: [] });
    assert.equal(both.status, 400);
    assert.match(both.body.error, /not transcript and text/);
    assert.equal(both.body.error_code, "conflicting_fields");
    const noUuid = await post(server, "/summarize", { text: "hi" });
    assert.equal(noUuid.status, 400);
    assert.equal(noUuid.body.field, "call_uuid");
    const unknown = await post(server, "/summarize", {
      call_uuid: "x",
      request_id: "3f1f0000-0000-0000-0000-000000000000",
    });
    assert.equal(unknown.status, 404);

    const slow = new FormData();
    slow.append("call_uuid", "busy");
    slow.append("callback_url", `${rx.url}/t`);
    slow.append("file", new Blob([readFileSync(callWav)]), "call.wav");
    const accepted = (await (
      await fetch(`${server.url}/transcribe`, { method: "POST", body: slow })
    ).json()) as Json;
    const busy = await post(server, "/summarize", { call_uuid: "x", request_id: accepted.request_id });
    assert.equal(busy.status, 409);
    assert.match(busy.body.error, /still (queued|processing)/);
    assert.equal(busy.body.error_code, "transcription_not_ready");

    const bad = new FormData();
    bad.append("call_uuid", "bad");
    bad.append("file", new Blob([Buffer.from("not audio")]), "x.wav");
    const failed = (await (
      await fetch(`${server.url}/transcribe`, { method: "POST", body: bad })
    ).json()) as Json;
    const res = await post(server, "/summarize", { call_uuid: "x", request_id: failed.request_id });
    assert.equal(res.status, 409);
    assert.match(res.body.error, /failed/);
    assert.equal(res.body.error_code, "transcription_failed");
  });

  it("summarize: true on /transcribe delivers transcriptDelivered then summaryDelivered", async () => {
    const hooks = await startReceiver([200]);
    try {
      const form = new FormData();
      form.append("call_uuid", "both-1");
      form.append("callback_url", `${hooks.url}/cb`);
      form.append("summarize", "true");
      form.append("file", new Blob([readFileSync(callWav)]), "call.wav");
      const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
      assert.equal(res.status, 202);
      const accepted = (await res.json()) as Json;
      const [first, second] = await hooks.waitFor(2, 60_000);
      const transcript = s001Shape.parse(first!.json);
      const summary = summaryS001.parse(second!.json);
      assert.equal(transcript.request_id, accepted.request_id);
      assert.equal(transcript.call_uuid, "both-1");
      assert.equal(summary.call_uuid, "both-1");
      assert.equal(summary.data.request_id, accepted.request_id, "the transcription's request_id");
      assert.notEqual(summary.data.msg_id, accepted.request_id, "msg_id names the summary message");
      assert.deepEqual(
        [first!.headers["x-callscribe-event"], second!.headers["x-callscribe-event"]],
        ["transcriptDelivered", "summaryDelivered"],
      );
      assert.equal(summary.data.summaries[0]!.topic, "Billing Issue");
    } finally {
      await hooks.close();
    }
  });
});

describe("LLM summary backend", () => {
  it("invalid JSON twice → E001 summaryDelivered with a fixed sentence; the details only in the log", async () => {
    let calls = 0;
    const llm = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        calls++;
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            choices: [{ message: { role: "assistant", content: "I think it is about billing" } }],
          }),
        );
      });
    });
    await new Promise<void>((r) => llm.listen(0, "127.0.0.1", r));
    const rx = await startReceiver([200]);
    const llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
    const logs = captureLogs();
    const server = await startTestServer(
      { LLM_URL: llmUrl, LLM_MODEL: "test-model" },
      { logger: logs.logger },
    );
    try {
      const res = await post(server, "/summarize", {
        call_uuid: "llm-1",
        text: "i was charged twice",
        callback_url: `${rx.url}/h`,
      });
      assert.equal(res.status, 202);
      const [hit] = await rx.waitFor(1);
      const body = e001Shape.parse(hit!.json);
      assert.equal(body.call_uuid, "llm-1");
      assert.equal(body.request_id, res.body.request_id);
      assert.equal(body.error_code, "summary_failed");
      assert.equal(
        body.error,
        "the summary could not be produced: the summarization engine failed (details are in the server log)",
      );
      const shown = JSON.stringify(
        await (await fetch(`${server.url}/summarize/${res.body.request_id}`)).json(),
      );
      for (const internal of [llmUrl, "test-model", "topic_summaries"]) {
        assert.ok(!hit!.body.includes(internal) && !shown.includes(internal), `"${internal}" leaked`);
      }
      assert.match(logs.text(), /returned invalid output twice/, "the operator still sees why");
      assert.ok(calls >= 2, `the model was asked again once (${calls} calls)`);
    } finally {
      await server.cleanup();
      await rx.close();
      llm.close();
    }
  });
});
