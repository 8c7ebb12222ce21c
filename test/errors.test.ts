/**
 * Bad input gets the right status and a clear message inline, or an E001 webhook whose `error`
 * says what went wrong. Private-network refusals are shown with loopback targets and an empty
 * allow-list, and with a resolver stub for a test hostname (no connection is ever attempted).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startBadInputRig, type BadInputRig } from "./helpers/bad-input-rig.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { e001Shape } from "./helpers/shapes.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PRIVATE_HOSTS: Record<string, string> = {
  "intranet.test": "10.20.30.40",
  "metadata.test": "169.254.169.254",
};
const lookups: string[] = [];
const stubResolve = async (host: string) => {
  lookups.push(host);
  const address = PRIVATE_HOSTS[host] ?? (host === "localhost" ? "127.0.0.1" : undefined);
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return [{ address, family: 4 }];
};

async function postJson(server: TestServer, body: unknown, raw?: string) {
  const res = await fetch(`${server.url}/transcribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function postForm(
  server: TestServer,
  fields: Record<string, string>,
  file?: { bytes: Buffer; name: string },
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append("file", new Blob([new Uint8Array(file.bytes)]), file.name);
  const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Json };
}

describe("bad input", () => {
  let rig: BadInputRig;
  let server: TestServer;
  let filesUrl: string;
  let wav: Buffer;
  let rx: Receiver;

  before(async () => {
    rig = await startBadInputRig({ resolve: stubResolve });
    ({ server, rx, filesUrl, wav } = rig);
  });
  after(() => rig.close());

  it("malformed JSON → 400", async () => {
    const { status, body } = await postJson(server, null, "{not json");
    assert.equal(status, 400);
    assert.equal(body.error, "request body is not valid JSON");
  });

  it("missing call_uuid → 400 naming the field", async () => {
    const { status, body } = await postJson(server, { uri: `${filesUrl}/a.wav` });
    assert.equal(status, 400);
    assert.equal(body.field, "call_uuid");
    assert.match(body.error, /call_uuid is required/);
  });

  it("neither uri nor file → 400; both → 400", async () => {
    const neither = await postJson(server, { call_uuid: "x" });
    assert.equal(neither.status, 400);
    assert.match(neither.body.error, /missing audio/);
    const both = await postForm(
      server,
      { call_uuid: "x", uri: `${filesUrl}/a.wav` },
      { bytes: wav, name: "a.wav" },
    );
    assert.equal(both.status, 400);
    assert.match(both.body.error, /either uri or file, not both/);
  });

  it("bad URLs and field types → 400", async () => {
    const cases: Array<[unknown, string]> = [
      [{ call_uuid: "x", uri: "ftp://example.test/a.wav" }, "uri"],
      [{ call_uuid: "x", uri: `${filesUrl}/a.wav`, callback_url: "not a url" }, "callback_url"],
      [{ call_uuid: "x", uri: `${filesUrl}/a.wav`, speaker_aliases: "Agent" }, "speaker_aliases"],
      [
        { call_uuid: "x", uri: `${filesUrl}/a.wav`, callback_auth_header_name: "X-Token" },
        "callback_auth_header_value",
      ],
      [{ call_uuid: "", uri: `${filesUrl}/a.wav` }, "call_uuid"],
    ];
    for (const [req, field] of cases) {
      const { status, body } = await postJson(server, req);
      assert.equal(status, 400, JSON.stringify(req));
      assert.equal(body.field, field);
      assert.ok(body.error.length > 5);
    }
  });

  it("oversize upload → 413 and nothing stored", async () => {
    const before = readdirSync(join(server.dataDir, "audio")).length;
    const { status, body } = await postForm(
      server,
      { call_uuid: "x" },
      { bytes: Buffer.alloc(400_000, 1), name: "big.wav" },
    );
    assert.equal(status, 413);
    assert.match(body.error, /exceeds the 0.25 MB limit/);
    assert.equal(readdirSync(join(server.dataDir, "audio")).length, before);
  });

  it("a JSON body over 1 MB → 413 saying so", async () => {
    const { status, body } = await postJson(server, {
      call_uuid: "x",
      uri: `${filesUrl}/a.wav`,
      pad: "x".repeat(1_100_000),
    });
    assert.equal(status, 413);
    assert.match(body.error, /request body is too large/);
    assert.equal(body.error_code, "body_too_large");
  });

  it("upload that is not audio → 415 with a clear message", async () => {
    const { status, body } = await postForm(
      server,
      { call_uuid: "x" },
      { bytes: Buffer.from("hello world\n"), name: "a.wav" },
    );
    assert.equal(status, 415);
    e001Shape.parse(body);
    assert.equal(body.error_code, "unsupported_audio");
    assert.match(body.error, /not decodable audio/);
  });

  it("uri answering 404 → 400 naming the status; not audio → 415", async () => {
    const missing = await postJson(server, { call_uuid: "x", uri: `${filesUrl}/missing.wav` });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error_code, "audio_fetch_failed");
    assert.match(missing.body.error, /HTTP 404/);
    const text = await postJson(server, { call_uuid: "x", uri: `${filesUrl}/notes.txt` });
    assert.equal(text.status, 415);
  });

  it("uri on a private network is refused before connecting, inline or with a callback", async () => {
    for (const extra of [{}, { callback_url: `${rx.url}/h` }]) {
      lookups.length = 0;
      const { status, body } = await postJson(server, {
        call_uuid: "x",
        uri: "http://intranet.test/call.wav",
        ...extra,
      });
      assert.equal(status, 400);
      assert.deepEqual([body.error_code, body.field], ["url_not_allowed", "uri"]);
      assert.match(body.error, /refused to connect to 10\.20\.30\.40 \(private address\)/);
      assert.deepEqual(lookups, ["intranet.test"]);
    }
  });

  it("callback_url on a private or metadata address → 400", async () => {
    const { status, body } = await postJson(server, {
      call_uuid: "x",
      uri: `${filesUrl}/a.wav`,
      callback_url: "http://metadata.test/latest",
    });
    assert.equal(status, 400);
    assert.deepEqual([body.error_code, body.field], ["url_not_allowed", "callback_url"]);
    assert.match(body.error, /169\.254\.169\.254/);
  });

  it("with a callback, failures arrive as E001 webhooks saying what went wrong", async () => {
    const cases: Array<[Json, RegExp, string]> = [
      [{ uri: `${filesUrl}/missing.wav` }, /HTTP 404/, "audio_fetch_failed"],
      [{ uri: `${filesUrl}/notes.txt` }, /not decodable audio/, "unsupported_audio"],
    ];
    for (const [i, [fields, pattern, code]] of cases.entries()) {
      const res = await postJson(server, { call_uuid: `e-${i}`, callback_url: `${rx.url}/h`, ...fields });
      assert.equal(res.status, 202);
      const hits = await rx.waitFor(i + 1);
      const body = e001Shape.parse(hits[i]!.json);
      assert.equal(body.call_uuid, `e-${i}`);
      assert.equal(body.request_id, res.body.request_id);
      assert.match(body.error, pattern);
      assert.equal(body.error_code, code);
    }
  });

  it("unknown request id → 404; unknown route → 404 JSON", async () => {
    const res = await fetch(`${server.url}/transcribe/00000000-0000-0000-0000-000000000000`);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as Json).error, /no transcription/);
    const route = await fetch(`${server.url}/nope`);
    assert.equal(route.status, 404);
  });
});

describe("private-network guard with an empty allow-list", () => {
  it("refuses loopback uri and callback targets", async () => {
    const rx = await startReceiver([200]);
    const server = await startTestServer({ NETWORK_ALLOWLIST: "" });
    try {
      const uri = await postJson(server, { call_uuid: "x", uri: `${rx.url}/a.wav` });
      assert.equal(uri.status, 400);
      assert.equal(uri.body.error_code, "url_not_allowed");
      assert.match(uri.body.error, /refused to connect to 127\.0\.0\.1 \(loopback address\)/);
      const cb = await postForm(
        server,
        { call_uuid: "x", callback_url: `${rx.url}/h` },
        { bytes: Buffer.from("RIFF"), name: "a.wav" },
      );
      assert.equal(cb.status, 400);
      assert.deepEqual([cb.body.error_code, cb.body.field], ["url_not_allowed", "callback_url"]);
      assert.equal(rx.received.length, 0, "nothing reached the loopback receiver");
    } finally {
      await server.cleanup();
      await rx.close();
    }
  });
});

describe("API keys", () => {
  it("401 without a valid apikey header when API_KEYS is set; healthz stays open", async () => {
    const server = await startTestServer({ API_KEYS: "k1,k2" });
    try {
      const none = await fetch(`${server.url}/transcribe/abc`);
      assert.equal(none.status, 401);
      const wrong = await fetch(`${server.url}/transcribe/abc`, { headers: { apikey: "nope" } });
      assert.equal(wrong.status, 401);
      const ok = await fetch(`${server.url}/transcribe/abc`, { headers: { apikey: "k2" } });
      assert.equal(ok.status, 404);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.cleanup();
    }
  });
});
