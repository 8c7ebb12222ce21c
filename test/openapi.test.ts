/**
 * `GET /openapi.json` and `GET /docs` on a real server: the document is valid OpenAPI 3.1 (checked
 * by @readme/openapi-parser), describes every route the server registers and nothing it does not,
 * its request schemas refuse what the server refuses, and real answers and webhook bodies validate
 * against its response schemas (closed objects: a field the doc lacks fails too).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validate } from "@readme/openapi-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import { buildOpenApiDocument } from "../src/api/openapi/document.ts";
import { registeredRoutes, undocumented } from "../src/api/openapi/routes.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEY = "openapi-key";
const tmp = tempDir();
let server: TestServer;
let receiver: Receiver;
let doc: Json;
let wav: string;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

before(async () => {
  [server, receiver] = await Promise.all([startTestServer({ API_KEYS: KEY }), startReceiver([200])]);
  wav = writeWav(
    join(tmp.dir, "call.wav"),
    concatPcm(silence(0.3), sayPcm("thank you for calling, how can I help"), silence(0.3)),
  );
  const res = await fetch(`${server.url}/openapi.json`);
  assert.equal(res.status, 200, "the document needs no key");
  doc = (await res.json()) as Json;
  ajv.addSchema(doc, "openapi");
});
after(async () => {
  await Promise.all([server.cleanup(), receiver.close()]);
  tmp.cleanup();
});

const pointer = (...parts: string[]) =>
  "openapi#/" + parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/** The validator of a response body the document describes (path in OpenAPI form). */
function responseCheck(method: string, path: string, status: number) {
  return ajv.getSchema(
    pointer("paths", path, method, "responses", String(status), "content", "application/json", "schema"),
  )!;
}

function assertConforms(body: unknown, method: string, path: string, status: number) {
  const check = responseCheck(method, path, status);
  assert.ok(check, `the document has no ${status} body for ${method.toUpperCase()} ${path}`);
  assert.ok(
    check(body),
    `${method.toUpperCase()} ${path} ${status} does not match the document: ${JSON.stringify(check.errors?.slice(0, 3))}\n${JSON.stringify(body).slice(0, 600)}`,
  );
}

async function api(
  method: string,
  path: string,
  body?: object | FormData,
  headers: Record<string, string> = {},
) {
  const auth: Record<string, string> = path.startsWith("/v1")
    ? { authorization: `Bearer ${KEY}` }
    : { apikey: KEY };
  const init: RequestInit = { method, headers: { ...auth, ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : null };
}

function audioForm(fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(wav)]), "call.wav");
  return form;
}

describe("the document", () => {
  it("is valid OpenAPI 3.1, with the webhooks and the API key schemes", async () => {
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, JSON.stringify(result.valid ? [] : result.errors));
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.webhooks).sort(), ["summaryDelivered", "transcriptDelivered"]);
    assert.equal(doc.components.securitySchemes.ApiKeyHeader.name, "apikey");
    assert.equal(doc.components.securitySchemes.BearerAuth.scheme, "bearer");
    assert.deepEqual(doc.paths["/v1/transcriptions"].get.security, [{ BearerAuth: [] }]);
    assert.deepEqual(doc.paths["/events"].get.security, [{ ApiKeyHeader: [] }]);
    assert.deepEqual(doc.paths["/healthz"].get.security, []);
    // every example body is valid by its own schema
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) {
        const media = op.requestBody?.content?.["application/json"];
        if (media?.example === undefined) continue;
        const check = ajv.getSchema(
          pointer("paths", path, method, "requestBody", "content", "application/json", "schema"),
        )!;
        assert.ok(check(media.example), `${method} ${path} example: ${JSON.stringify(check.errors)}`);
      }
    }
    // a server without keys says so, and is valid too
    const open = buildOpenApiDocument({ apiKeys: false });
    assert.ok((await validate(structuredClone(open) as never)).valid);
    assert.equal((open.components as Json).securitySchemes, undefined);
  });

  it("describes every route the server registers, and only those", () => {
    const routes = registeredRoutes(server.app!);
    for (const known of ["GET /healthz", "POST /transcribe", "GET /v1/transcriptions/:id", "GET /events"])
      assert.ok(
        routes.some((r) => `${r.method} ${r.url}` === known),
        `${known} was seen registering`,
      );
    assert.deepEqual(
      undocumented(routes, doc),
      [],
      "routes missing from the document: describe them in src/api/openapi/document.ts",
    );
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const method of Object.keys(ops as Json)) {
        const url = path.replace(/\{(\w+)\}/g, ":$1");
        assert.ok(
          server.app!.hasRoute({ method: method.toUpperCase() as "GET", url }),
          `documented ${method} ${path} is not served`,
        );
      }
    }
    // and the check itself notices a route the document lacks
    assert.deepEqual(undocumented([...routes, { method: "PUT", url: "/calls/:id" }], doc), [
      "PUT /calls/:id",
    ]);
  });

  it("renders at /docs from files the package ships: no key, no CDN", async () => {
    const page = await fetch(`${server.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), "every asset is served locally");
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((s) => s.endsWith("swagger-ui-bundle.js")));
    assert.ok(assets.some((s) => s.endsWith("swagger-ui.css")));
    for (const s of assets) {
      const res = await fetch(new URL(s, `${server.url}/docs`));
      assert.equal(res.status, 200, s);
      assert.ok((await res.arrayBuffer()).byteLength > 0, s);
    }
    const init = await (await fetch(`${server.url}/docs/assets/init.js`)).text();
    assert.match(
      init,
      /new URL\("openapi\.json", document\.baseURI\)/,
      "the page loads this server's document",
    );
    assert.equal((await fetch(`${server.url}/docs/assets/..%2Fpackage.json`)).status, 404);
    const slash = await fetch(`${server.url}/docs/`, { redirect: "manual" });
    assert.equal(slash.status, 302);
  });
});

describe("request schemas and validation agree", () => {
  const requestCheck = (method: string, path: string, media = "application/json") =>
    ajv.getSchema(pointer("paths", path, method, "requestBody", "content", media, "schema"))!;

  const cases: Array<{
    path: string;
    method: "post";
    body: Json;
    doc: "valid" | "invalid";
    status?: number;
  }> = [
    { path: "/transcribe", method: "post", body: { uri: "https://example.com/a.wav" }, doc: "invalid" },
    { path: "/transcribe", method: "post", body: { call_uuid: "c", uri: "x", lang: 5 }, doc: "invalid" },
    {
      path: "/transcribe",
      method: "post",
      body: { call_uuid: "c", callback_policy: "soon" },
      doc: "invalid",
    },
    {
      path: "/transcribe",
      method: "post",
      body: { call_uuid: "c", speaker_aliases: "Agent" },
      doc: "invalid",
    },
    {
      path: "/transcribe",
      method: "post",
      body: { call_uuid: "c", callbak_url: "https://x.y/" },
      doc: "invalid",
    },
    { path: "/summarize", method: "post", body: { call_uuid: "c", text: 12 }, doc: "invalid" },
    { path: "/summarize", method: "post", body: { call_uuid: "c", transcript: [{}] }, doc: "invalid" },
    { path: "/deliveries/recover", method: "post", body: { dry_run: true }, doc: "invalid" },
    { path: "/deliveries/recover", method: "post", body: { since: "yesterday" }, doc: "invalid" },
    {
      path: "/deliveries/recover",
      method: "post",
      body: { since: "2026-01-01T00:00:00Z", limit: 0 },
      doc: "invalid",
    },
    {
      path: "/deliveries/recover",
      method: "post",
      body: { since: "2026-01-01T00:00:00Z", dry_run: true },
      doc: "valid",
      status: 200,
    },
    { path: "/v1/summarize", method: "post", body: { transcript_text: 7 }, doc: "invalid" },
    { path: "/v1/tag", method: "post", body: { transcript_text: "hi", retention_hours: -1 }, doc: "invalid" },
  ];

  for (const c of cases) {
    it(`${c.path} ${JSON.stringify(c.body)}: the document says ${c.doc}, the server agrees`, async () => {
      const check = requestCheck(c.method, c.path);
      assert.equal(check(c.body), c.doc === "valid", JSON.stringify(check.errors));
      const r = await api("POST", c.path, c.body);
      if (c.doc === "invalid") assert.equal(r.status, 400, JSON.stringify(r.json));
      else assert.equal(r.status, c.status, JSON.stringify(r.json));
      assertConforms(r.json, c.method, c.path, r.status);
    });
  }

  it("query parameters: what the document forbids is refused", async () => {
    for (const [path, query, name] of [
      ["/v1/transcriptions", "limit=0", "limit"],
      ["/v1/transcriptions", "status=done", "status"],
      ["/events", "limit=5000", "limit"],
      ["/deliveries", "state=lost", "state"],
      ["/transcribe", "call_uuid=c&limit=0", "limit"],
    ] as const) {
      const param = (doc.paths[path].get.parameters as Json[]).find((p) => p.name === name)!;
      const value = new URLSearchParams(query).get(name)!;
      const check = ajv.compile(param.schema);
      const asNumber = Number(value);
      assert.ok(!check(value) && !check(asNumber), `${path} ${query}: the document allows it`);
      const r = await api("GET", `${path}?${query}`);
      assert.equal(r.status, 400, `${path}?${query}`);
      assertConforms(r.json, "get", path, 400);
    }
  });
});

describe("real answers match the response schemas", () => {
  it("Call API: accepted, read, listed, the webhook body and its headers, events, deliveries", async () => {
    const accepted = await api(
      "POST",
      "/transcribe",
      audioForm({ call_uuid: "doc-1", callback_url: receiver.url }),
    );
    assert.equal(accepted.status, 202);
    assertConforms(accepted.json, "post", "/transcribe", 202);
    const id = accepted.json!.request_id as string;
    const [hook] = await receiver.waitFor(1, 60_000);
    const hookCheck = ajv.getSchema(
      pointer(
        "webhooks",
        "transcriptDelivered",
        "post",
        "requestBody",
        "content",
        "application/json",
        "schema",
      ),
    )!;
    assert.ok(hookCheck(hook!.json), JSON.stringify(hookCheck.errors));
    assert.equal(hook!.headers["x-callscribe-event"], "transcriptDelivered");
    assert.equal(hook!.headers["webhook-attempt"], "1");

    const job = await poll(async () => {
      const r = await api("GET", `/transcribe/${id}`);
      return r.json!.callback?.state === "delivered" ? r : null;
    });
    assertConforms(job.json, "get", "/transcribe/{id}", 200);
    assertConforms((await api("GET", "/transcribe?call_uuid=doc-1")).json, "get", "/transcribe", 200);
    const deliveries = await api("GET", "/deliveries");
    assertConforms(deliveries.json, "get", "/deliveries", 200);
    const deliveryId = deliveries.json!.deliveries[0].id as string;
    assertConforms((await api("GET", `/deliveries/${deliveryId}`)).json, "get", "/deliveries/{id}", 200);
    assertConforms((await api("GET", "/events")).json, "get", "/events", 200);
    const again = await api("POST", `/deliveries/${deliveryId}/redeliver`, {});
    assert.equal(again.status, 202);
    assertConforms(again.json, "post", "/deliveries/{id}/redeliver", 202);
    await receiver.waitFor(2, 30_000);
    const deleted = await api("DELETE", `/transcribe/${id}`);
    assertConforms(deleted.json, "delete", "/transcribe/{id}", 200);
    assertConforms((await api("GET", `/transcribe/${id}`)).json, "get", "/transcribe/{id}", 200);
    const missing = await api("GET", "/transcribe/nope");
    assert.equal(missing.status, 404);
    assertConforms(missing.json, "get", "/transcribe/{id}", 404);
  });

  it("Call API inline: the transcript, and a summary of text", async () => {
    const inline = await api(
      "POST",
      "/transcribe",
      audioForm({ call_uuid: "doc-2", word_timestamps: "true" }),
    );
    assert.equal(inline.status, 200, JSON.stringify(inline.json));
    assertConforms(inline.json, "post", "/transcribe", 200);
    const summary = await api("POST", "/summarize", {
      call_uuid: "doc-2",
      text: "Customer: I was charged twice this month. Agent: I will refund the duplicate charge today.",
    });
    assert.equal(summary.status, 200, JSON.stringify(summary.json));
    assertConforms(summary.json, "post", "/summarize", 200);
    const read = await api("GET", `/summarize/${summary.json!.data.msg_id}`);
    assertConforms(read.json, "get", "/summarize/{id}", 200);
  });

  it("Jobs API: submit, list, read with its result, tags, usage, errors", async () => {
    const sub = await api("POST", "/v1/transcriptions", audioForm({ metadata: '{"call_uuid":"doc-3"}' }));
    assert.equal(sub.status, 202);
    assertConforms(sub.json, "post", "/v1/transcriptions", 202);
    const id = sub.json!.job_id as string;
    const done = await poll(async () => {
      const r = await api("GET", `/v1/transcriptions/${id}`);
      assertConforms(r.json, "get", "/v1/transcriptions/{id}", 200);
      return r.json!.status === "succeeded" ? r : null;
    }, 60_000);
    assert.ok(done.json!.result.transcript.length > 0);
    assertConforms((await api("GET", "/v1/transcriptions?limit=5")).json, "get", "/v1/transcriptions", 200);
    assertConforms(
      (await api("GET", "/v1/transcriptions/usage")).json,
      "get",
      "/v1/transcriptions/usage",
      200,
    );
    const tag = await api("POST", "/v1/tag", { transcription_job_id: id });
    assert.equal(tag.status, 202);
    assertConforms(tag.json, "post", "/v1/tag", 202);
    await poll(async () => {
      const r = await api("GET", `/v1/transcriptions/${tag.json!.job_id}`);
      assertConforms(r.json, "get", "/v1/transcriptions/{id}", 200);
      return r.json!.status !== "queued" && r.json!.status !== "processing";
    }, 60_000);
    const gone = await api("DELETE", `/v1/transcriptions/${id}`);
    assert.equal(gone.status, 202);
    assertConforms(gone.json, "delete", "/v1/transcriptions/{id}", 202);
    const noKey = await fetch(`${server.url}/v1/transcriptions`);
    assert.equal(noKey.status, 401);
    assertConforms(await noKey.json(), "get", "/v1/transcriptions", 401);
  });

  it("operations: health, readiness, metrics", async () => {
    assertConforms(await (await fetch(`${server.url}/healthz`)).json(), "get", "/healthz", 200);
    const ready = await fetch(`${server.url}/readyz`);
    assertConforms(await ready.json(), "get", "/readyz", ready.status);
    const metrics = await fetch(`${server.url}/metrics`, { headers: { apikey: KEY } });
    assert.equal(metrics.status, 200);
    assert.ok(doc.paths["/metrics"].get.responses["200"].content["text/plain"]);
  });
});
