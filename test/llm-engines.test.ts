import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chatCompletionsUrl, createChatClient } from "../src/engines/llm/chat-client.ts";
import { createLlmSummarizer } from "../src/engines/summarize/llm.ts";
import { createLlmTagger } from "../src/engines/tag/llm.ts";
import { SCRIPTED_CALLS } from "./fixtures/scripted-calls.ts";

interface ChatRequest {
  model: string;
  temperature: number;
  messages: { role: string; content: string }[];
  response_format: {
    type: string;
    json_schema: { name: string; strict: boolean; schema: Record<string, unknown> };
  };
}
interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequest;
}

const API_KEY = "sk-test-secret-123";
let server: Server;
let base: string;
let captured: Captured[] = [];
let reply: (req: Captured, index: number) => { status: number; body: string } = () => ({
  status: 500,
  body: "",
});

const completion = (content: string) =>
  JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content } }] });

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const c: Captured = {
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest,
      };
      captured.push(c);
      const r = reply(c, captured.length - 1);
      res.writeHead(r.status, { "content-type": "application/json" }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  captured = [];
});

const call = SCRIPTED_CALLS[0]!;
const client = () => createChatClient({ url: base, apiKey: API_KEY, model: "qwen2.5:7b" });

function assertWellFormed(c: Captured, schemaName: string) {
  assert.equal(c.path, "/v1/chat/completions");
  assert.equal(c.headers.authorization, `Bearer ${API_KEY}`);
  assert.match(String(c.headers["content-type"]), /application\/json/);
  assert.equal(c.body.model, "qwen2.5:7b");
  assert.equal(c.body.temperature, 0);
  assert.equal(c.body.response_format.type, "json_schema");
  assert.equal(c.body.response_format.json_schema.name, schemaName);
  assert.equal(c.body.response_format.json_schema.strict, true);
  assert.equal(c.body.response_format.json_schema.schema.type, "object");
  assert.equal(c.body.messages[0]!.role, "system");
  assert.equal(c.body.messages[1]!.role, "user");
}

test("url normalisation accepts base, /v1 and the full path", () => {
  assert.equal(chatCompletionsUrl("http://h:1"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/v1"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/v1/"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/v1/chat/completions"), "http://h:1/v1/chat/completions");
});

test("summarizer: valid JSON on the first try", async () => {
  const summaries = [
    { topic: "Billing Issue", summary: "The customer was charged twice. Outcome: refund issued." },
  ];
  reply = () => ({ status: 200, body: completion(JSON.stringify({ summaries })) });
  const out = await createLlmSummarizer({ client: client() }).summarize({ transcript: call.transcript });
  assert.deepEqual(out, summaries);
  assert.equal(captured.length, 1);
  const c = captured[0]!;
  assertWellFormed(c, "topic_summaries");
  const schema = c.body.response_format.json_schema.schema as {
    properties: { summaries: { minItems: number; items: { properties: { topic: { enum: string[] } } } } };
  };
  assert.equal(schema.properties.summaries.minItems, 1);
  assert.ok(schema.properties.summaries.items.properties.topic.enum.includes("Payments/Refunds"));
  assert.match(c.body.messages[0]!.content, /Billing Issue/);
  assert.match(c.body.messages[1]!.content, /User: hi yeah i was charged twice/);
  assert.match(c.body.messages[1]!.content, /Agent: thank you for calling/);
});

test("summarizer: invalid JSON then valid is retried once with a corrective message", async () => {
  reply = (_req, i) =>
    i === 0
      ? { status: 200, body: completion("Sure! Here is the summary: the customer") }
      : {
          status: 200,
          body: completion('```json\n{"summaries":[{"topic":"billing issue","summary":"ok"}]}\n```'),
        };
  const out = await createLlmSummarizer({ client: client() }).summarize({ transcript: call.transcript });
  assert.deepEqual(out, [{ topic: "Billing Issue", summary: "ok" }]);
  assert.equal(captured.length, 2);
  const second = captured[1]!.body.messages;
  assert.equal(second.length, 4);
  assert.equal(second[2]!.role, "assistant");
  assert.equal(second[2]!.content, "Sure! Here is the summary: the customer");
  assert.equal(second[3]!.role, "user");
  assert.match(second[3]!.content, /not valid JSON matching the "topic_summaries" schema/);
});

test("summarizer: schema mismatch twice rejects with a clear error without the key", async () => {
  reply = () => ({ status: 200, body: completion(JSON.stringify({ summaries: [] })) });
  await assert.rejects(
    createLlmSummarizer({ client: client() }).summarize({ transcript: call.transcript }),
    (e: Error) => {
      assert.match(e.message, /returned invalid output twice/);
      assert.match(e.message, /topic_summaries/);
      assert.match(e.message, /at least one summary/);
      assert.ok(!e.message.includes(API_KEY));
      return true;
    },
  );
  assert.equal(captured.length, 2);
});

test("summarizer: a topic outside the taxonomy is invalid output", async () => {
  reply = () => ({ status: 200, body: completion('{"summaries":[{"topic":"Weather","summary":"x"}]}') });
  await assert.rejects(
    createLlmSummarizer({ client: client() }).summarize({ text: "hello" }),
    /invalid output twice.*topic must be one of/,
  );
});

test("HTTP 500 is an error with the status and a body excerpt, not retried", async () => {
  reply = () => ({ status: 500, body: `{"error":"model crashed while loading ${API_KEY}"}` });
  await assert.rejects(
    createLlmSummarizer({ client: client() }).summarize({ transcript: call.transcript }),
    (e: Error) => {
      assert.match(e.message, /HTTP 500/);
      assert.match(e.message, /model crashed while loading/);
      assert.ok(!e.message.includes(API_KEY), e.message);
      return true;
    },
  );
  assert.equal(captured.length, 1);
});

test("unreachable server rejects with a transport error", async () => {
  const dead = createChatClient({ url: "http://127.0.0.1:1", apiKey: API_KEY, timeoutMs: 2000 });
  await assert.rejects(
    createLlmSummarizer({ client: dead }).summarize({ text: "hello" }),
    /chat request to http:\/\/127\.0\.0\.1:1\/v1\/chat\/completions failed/,
  );
});

test("tagger: valid JSON path", async () => {
  const tags = {
    call_reason: ["billing_issue"],
    call_outcome: ["refund_issued"],
    customer_sentiment: ["positive"],
  };
  reply = () => ({ status: 200, body: completion(JSON.stringify({ tags })) });
  const url = `${base}/v1/`;
  const out = await createLlmTagger({
    client: createChatClient({ url, apiKey: API_KEY, model: "qwen2.5:7b" }),
  }).tag({
    transcript: call.transcript,
  });
  assert.deepEqual(out, tags);
  assertWellFormed(captured[0]!, "call_tags");
  const schema = captured[0]!.body.response_format.json_schema.schema as {
    properties: { tags: { required: string[]; properties: { call_outcome: { items: { enum: string[] } } } } };
  };
  assert.deepEqual(schema.properties.tags.required, ["call_reason", "call_outcome", "customer_sentiment"]);
  assert.ok(schema.properties.tags.properties.call_outcome.items.enum.includes("follow_up_required"));
});

test("tagger: invalid then valid retries once; invalid twice rejects; 500 errors", async () => {
  const good = {
    tags: { call_reason: ["complaint"], call_outcome: [], customer_sentiment: ["negative", "frustrated"] },
  };
  reply = (_r, i) => ({
    status: 200,
    body: completion(i === 0 ? '{"tags":{"call_reason":"complaint"}}' : JSON.stringify(good)),
  });
  assert.deepEqual(await createLlmTagger({ client: client() }).tag({ text: "it was rude" }), good.tags);
  assert.equal(captured.length, 2);
  assert.match(captured[1]!.body.messages[3]!.content, /"call_tags" schema/);

  captured = [];
  reply = () => ({ status: 200, body: completion("{not json") });
  await assert.rejects(
    createLlmTagger({ client: client() }).tag({ text: "x" }),
    /returned invalid output twice for schema "call_tags"/,
  );
  assert.equal(captured.length, 2);

  captured = [];
  reply = () => ({ status: 503, body: "overloaded" });
  await assert.rejects(createLlmTagger({ client: client() }).tag({ text: "x" }), /HTTP 503: overloaded/);
  assert.equal(captured.length, 1);
});

test("empty source does not call the model", async () => {
  const s = await createLlmSummarizer({ client: client() }).summarize({ transcript: [] });
  assert.equal(s[0]!.topic, "General Enquiry");
  const t = await createLlmTagger({ client: client() }).tag({ text: " " });
  assert.deepEqual(t.call_reason, ["general_enquiry"]);
  assert.equal(captured.length, 0);
});
