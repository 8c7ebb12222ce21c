/**
 * Jobs API (`/v1`, SPEC.md section 5) over HTTP on a real server: every endpoint and error code,
 * tenants and key-owned jobs, cursor pagination with filters, usage and quota.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEYS = { a1: "key-a1", a2: "key-a2", b: "key-b" };
const tmp = tempDir();
let server: TestServer;
let wav: string;

before(async () => {
  server = await startTestServer({
    API_KEYS: `tenantA:${KEYS.a1},tenantA:${KEYS.a2},tenantB:${KEYS.b}`,
    QUOTA_MINUTES: "1",
    MAX_UPLOAD_MB: "1",
    POLL_MS: "60000",
  });
  wav = writeWav(join(tmp.dir, "call.wav"), [
    concatPcm(silence(0.3), sayPcm("thank you for calling"), silence(0.7)),
    concatPcm(silence(1.2), sayPcm("hello there", "rms"), silence(0.3)).subarray(0, 16000 * 2.5),
  ]);
});
after(async () => {
  await server.cleanup();
  tmp.cleanup();
});

async function call(key: string | null, method: string, path: string, body?: FormData | object) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, body: payload });
  const json = (await res.json()) as Json;
  assert.equal(typeof json.requestId, "string", `requestId on ${method} ${path}`);
  return { status: res.status, json };
}

function audioForm(file = wav, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(file)]), "call.wav");
  return form;
}

function expectError(r: { status: number; json: Json }, status: number, code: string) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json).sort(), ["error", "requestId"]);
  assert.equal(r.json.error.code, code);
  assert.equal(typeof r.json.error.message, "string");
}

const done = (key: string, id: string) =>
  poll(async () => {
    const r = await call(key, "GET", `/v1/transcriptions/${id}`);
    return ["succeeded", "failed"].includes(r.json.status) ? r.json : null;
  });

describe("transcriptions", () => {
  let jobId: string;
  it("POST → 202 queued; poll to succeeded with language, duration, words and segments", async () => {
    const r = await call(
      KEYS.a1,
      "POST",
      "/v1/transcriptions",
      audioForm(wav, { language: "en", metadata: '{"agent":"A17"}' }),
    );
    assert.equal(r.status, 202);
    assert.deepEqual(Object.keys(r.json).sort(), ["job_id", "received_at", "requestId", "status"]);
    assert.equal(r.json.status, "queued");
    assert.ok(!Number.isNaN(Date.parse(r.json.received_at)));
    jobId = r.json.job_id;
    const job = await done(KEYS.a1, jobId);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.type, "transcription");
    assert.equal(job.result.language, "en");
    assert.ok(Math.abs(job.result.duration_seconds - 2.5) < 0.1, String(job.result.duration_seconds));
    assert.ok(job.result.words_count >= 4);
    assert.deepEqual(Object.keys(job.result.transcript[0]).sort(), [
      "speaker_alias", "speaker_id", "text", "time_end", "time_start", "words",
    ]); // prettier-ignore
    assert.equal("source_job_id" in job, false);
  });

  it("a key of the same tenant sees it; another tenant gets 403 FORBIDDEN; no key 401; unknown 404", async () => {
    assert.equal((await call(KEYS.a2, "GET", `/v1/transcriptions/${jobId}`)).status, 200);
    expectError(await call(KEYS.b, "GET", `/v1/transcriptions/${jobId}`), 403, "FORBIDDEN");
    expectError(await call(KEYS.b, "DELETE", `/v1/transcriptions/${jobId}`), 403, "FORBIDDEN");
    expectError(await call(null, "GET", `/v1/transcriptions/${jobId}`), 401, "UNAUTHORIZED");
    expectError(await call("wrong", "GET", "/v1/transcriptions"), 401, "UNAUTHORIZED");
    expectError(await call(KEYS.a1, "GET", "/v1/transcriptions/nope"), 404, "JOB_NOT_FOUND");
    // the Call API's own jobs are owned too, through the apikey header
    const res = await fetch(`${server.url}/transcribe/${jobId}`, { headers: { apikey: KEYS.b } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Json).error_code, "forbidden");
  });

  it("refuses a missing file, bad metadata, non-audio, a language the recognizer lacks", async () => {
    const noFile = new FormData();
    noFile.append("language", "en");
    expectError(await call(KEYS.a1, "POST", "/v1/transcriptions", noFile), 400, "AUDIO_FILE_MISSING");
    expectError(await call(KEYS.a1, "POST", "/v1/transcriptions", { file: "x" }), 400, "AUDIO_FILE_MISSING");
    for (const metadata of ["{nope", "[1,2]", '"text"']) {
      expectError(
        await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(wav, { metadata })),
        400,
        "INVALID_METADATA_JSON",
      );
    }
    const text = join(tmp.dir, "notes.wav");
    writeFileSync(text, "these are not audio bytes at all");
    expectError(
      await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(text)),
      415,
      "UNSUPPORTED_AUDIO_FORMAT",
    );
    expectError(
      await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(wav, { language: "fr" })),
      400,
      "UNSUPPORTED_LANGUAGE",
    );
  });

  it("summarize and tag a transcription: new jobs with source_job_id and their result shapes", async () => {
    const s = await call(KEYS.a1, "POST", "/v1/summarize", { transcription_job_id: jobId });
    assert.equal(s.status, 202);
    assert.equal(s.json.type, "summary");
    const t = await call(KEYS.a2, "POST", "/v1/tag", { transcription_job_id: jobId });
    assert.equal(t.json.type, "tags");
    const summary = await done(KEYS.a1, s.json.job_id);
    assert.equal(summary.source_job_id, jobId);
    assert.equal(typeof summary.result.summary, "string");
    assert.ok("topic" in summary.result && typeof summary.result.meta_data === "object");
    const tags = await done(KEYS.a1, t.json.job_id);
    assert.equal(tags.type, "tags");
    assert.equal(tags.source_job_id, jobId);
    for (const values of Object.values(tags.result.tags as Record<string, unknown>))
      assert.ok(Array.isArray(values));
    assert.ok("call_reason" in tags.result.tags);
  });

  it("summarize/tag refuse: no source, two sources, bad JSON, not a transcription, empty text, other tenant", async () => {
    expectError(await call(KEYS.a1, "POST", "/v1/summarize", {}), 400, "MISSING_TRANSCRIPT_SOURCE");
    expectError(
      await call(KEYS.a1, "POST", "/v1/tag", { transcription_job_id: jobId, transcript_text: "hi" }),
      400,
      "MULTIPLE_TRANSCRIPT_SOURCES",
    );
    const bad = await fetch(`${server.url}/v1/summarize`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.a1}`, "content-type": "application/json" },
      body: "{oops",
    });
    expectError({ status: bad.status, json: (await bad.json()) as Json }, 400, "INVALID_JSON_BODY");
    const tagJob = (await call(KEYS.a1, "GET", "/v1/transcriptions?type=tags")).json.transcriptions[0].job_id;
    expectError(
      await call(KEYS.a1, "POST", "/v1/summarize", { transcription_job_id: tagJob }),
      400,
      "NOT_A_TRANSCRIPTION",
    );
    expectError(
      await call(KEYS.a1, "POST", "/v1/summarize", { transcript_text: "  " }),
      422,
      "TRANSCRIPT_EMPTY",
    );
    expectError(await call(KEYS.b, "POST", "/v1/tag", { transcription_job_id: jobId }), 403, "FORBIDDEN");
    expectError(
      await call(KEYS.a1, "POST", "/v1/tag", { transcription_job_id: "nope" }),
      404,
      "JOB_NOT_FOUND",
    );
  });

  it("409 TRANSCRIPTION_NOT_READY while it runs; 422 TRANSCRIPT_EMPTY for a call with no speech", async () => {
    // a queued job nobody has picked up yet (created behind the API's back: no runner kick, long POLL_MS)
    await server.store.createJob({
      id: "queued-job",
      kind: "transcription",
      callUuid: "q",
      params: { lang: "en", callbackUrl: null, callUuid: "q", source: { kind: "upload", filename: "q.wav" } },
      audioName: null,
      now: Date.now(),
      owner: "tenantA",
    });
    const early = await call(KEYS.a1, "POST", "/v1/summarize", { transcription_job_id: "queued-job" });
    expectError(early, 409, "TRANSCRIPTION_NOT_READY");
    assert.equal(early.json.error.details.status, "queued");
    expectError(
      await call(KEYS.a1, "DELETE", "/v1/transcriptions/queued-job"),
      409,
      "TRANSCRIPTION_NOT_READY",
    );

    const quiet = writeWav(join(tmp.dir, "quiet.wav"), [silence(2)]);
    const r = await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(quiet));
    const job = await done(KEYS.a1, r.json.job_id);
    assert.deepEqual(job.result.transcript, []);
    expectError(
      await call(KEYS.a1, "POST", "/v1/summarize", { transcription_job_id: r.json.job_id }),
      422,
      "TRANSCRIPT_EMPTY",
    );
  });

  it("413 FILE_TOO_LARGE over MAX_UPLOAD_MB; 400 AUDIO_DURATION_UNKNOWN when the length cannot be read", async () => {
    const big = join(tmp.dir, "big.wav");
    writeWav(big, [silence(40)]); // 1.28 MB > MAX_UPLOAD_MB=1
    expectError(await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(big)), 413, "FILE_TOO_LARGE");
    const streamed = join(tmp.dir, "streamed.mka");
    // Matroska written to a pipe has no duration in its header, and ffprobe does not guess one
    execFileSync("sh", ["-c", `ffmpeg -v error -i ${wav} -c:a flac -f matroska - > ${streamed}`]);
    expectError(
      await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(streamed)),
      400,
      "AUDIO_DURATION_UNKNOWN",
    );
  });
});

describe("listing", () => {
  const ids: string[] = [];
  before(async () => {
    // 25 tags jobs of tenant B from text (quick), every 5th in "es"-free text; tenant A's jobs stay apart
    for (let i = 0; i < 25; i++) {
      const r = await call(KEYS.b, "POST", i % 5 === 0 ? "/v1/summarize" : "/v1/tag", {
        transcript_text: `Customer: I want a refund for bill ${i}. Agent: done.`,
      });
      ids.push(r.json.job_id);
      await new Promise((res) => setTimeout(res, 2)); // distinct created_at
    }
    await poll(async () => {
      const r = await call(KEYS.b, "GET", "/v1/transcriptions?status=succeeded&limit=100");
      return r.json.transcriptions.length === 25;
    });
  });

  it("pages through 25 jobs newest first with the cursor; only the tenant's own", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { json: Json } = await call(
        KEYS.b,
        "GET",
        `/v1/transcriptions?limit=10${cursor ? `&cursor=${cursor}` : ""}`,
      );
      pages++;
      for (const j of r.json.transcriptions) {
        assert.deepEqual(Object.keys(j).sort(), [
          "audio_seconds", "created_at", "job_id", "language", "original_filename", "status", "type", "updated_at",
        ]); // prettier-ignore
        seen.push(j.job_id);
      }
      cursor = r.json.next_cursor;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    const defaults = await call(KEYS.b, "GET", "/v1/transcriptions");
    assert.equal(defaults.json.transcriptions.length, 10, "limit defaults to 10");
  });

  it("filters: type, status, job_id, created_after, language", async () => {
    const byType = await call(KEYS.b, "GET", "/v1/transcriptions?type=summary&limit=100");
    assert.equal(byType.json.transcriptions.length, 5);
    assert.ok(byType.json.transcriptions.every((j: Json) => j.type === "summary"));
    const one = await call(KEYS.b, "GET", `/v1/transcriptions?job_id=${ids[7]}`);
    assert.deepEqual(
      one.json.transcriptions.map((j: Json) => j.job_id),
      [ids[7]],
    );
    const all = (await call(KEYS.b, "GET", "/v1/transcriptions?limit=100")).json.transcriptions as Json[];
    const pivot = all.find((j) => j.job_id === ids[19])!.created_at;
    const after_ = await call(
      KEYS.b,
      "GET",
      `/v1/transcriptions?limit=100&created_after=${encodeURIComponent(pivot)}`,
    );
    assert.deepEqual(
      after_.json.transcriptions.map((j: Json) => j.job_id),
      ids.slice(20).reverse(),
    );
    assert.equal(
      (await call(KEYS.b, "GET", "/v1/transcriptions?status=failed")).json.transcriptions.length,
      0,
    );
    const english = await call(KEYS.a1, "GET", "/v1/transcriptions?language=en&limit=100");
    assert.ok(english.json.transcriptions.length >= 2);
    assert.ok(
      english.json.transcriptions.every((j: Json) => j.language === "en" && j.type === "transcription"),
    );
  });

  it("400 INVALID_PAGINATION for a bad limit or cursor, INVALID_FILTER for a bad filter", async () => {
    for (const q of ["limit=0", "limit=101", "limit=ten", "cursor=bm90LWEtY3Vyc29y", "cursor=%%%"]) {
      expectError(await call(KEYS.b, "GET", `/v1/transcriptions?${q}`), 400, "INVALID_PAGINATION");
    }
    for (const q of ["status=done", "type=audio", "created_after=yesterday"]) {
      expectError(await call(KEYS.b, "GET", `/v1/transcriptions?${q}`), 400, "INVALID_FILTER");
    }
  });
});

describe("usage and quota", () => {
  it("reports minutes used this month; a file over the quota → 429 QUOTA_EXCEEDED with details", async () => {
    const u = await call(KEYS.a1, "GET", "/v1/transcriptions/usage");
    assert.equal(u.status, 200);
    assert.equal(u.json.quota_minutes, 1);
    assert.ok(u.json.minutes_used > 0 && u.json.minutes_used < 1, JSON.stringify(u.json));
    const long = join(tmp.dir, "long.flac"); // 61 s, a few KB: under MAX_UPLOAD_MB, over the quota
    execFileSync("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "anullsrc=r=16000:cl=mono:d=61",
      "-c:a",
      "flac",
      long,
    ]);
    const r = await call(KEYS.a1, "POST", "/v1/transcriptions", audioForm(long));
    expectError(r, 429, "QUOTA_EXCEEDED");
    assert.equal(r.json.error.details.quota_minutes, 1);
    assert.ok(r.json.error.details.requested_minutes > 1);
    assert.equal((await call(KEYS.b, "GET", "/v1/transcriptions/usage")).json.minutes_used, 0, "per tenant");
  });
});

describe("tenants and the delivery routes", () => {
  it("a tenant sees only its own jobs' deliveries and events; another's is 403", async () => {
    const rx = await startReceiver([200]);
    try {
      const form = new FormData();
      form.append("call_uuid", "tenant-a-call");
      form.append("callback_url", `${rx.url}/hook`);
      form.append("file", new Blob([readFileSync(wav)]), "call.wav");
      const sent = await fetch(`${server.url}/transcribe`, {
        method: "POST",
        body: form,
        headers: { apikey: KEYS.a1 },
      });
      assert.equal(sent.status, 202);
      const requestId = ((await sent.json()) as Json).request_id as string;
      await poll(async () => rx.received.length > 0);
      const as = async (key: string, path: string, init: RequestInit = {}) => {
        const res = await fetch(`${server.url}${path}`, {
          ...init,
          headers: { apikey: key, ...(init.headers ?? {}) },
        });
        return { status: res.status, json: (await res.json()) as Json };
      };
      const mine = await as(KEYS.a2, "/deliveries");
      const delivery = (mine.json.deliveries as Json[]).find((d) => d.request_id === requestId)!;
      assert.ok(delivery, "tenant A (another key) sees it");
      assert.equal((await as(KEYS.b, "/deliveries")).json.deliveries.length, 0);
      assert.equal((await as(KEYS.b, `/deliveries/${delivery.id}`)).status, 403);
      const redeliver = await as(KEYS.b, `/deliveries/${delivery.id}/redeliver`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(redeliver.status, 403);
      assert.equal((await as(KEYS.b, "/events")).json.events.length, 0);
      assert.ok((await as(KEYS.a1, "/events")).json.events.some((e: Json) => e.request_id === requestId));
      const recover = await as(KEYS.b, "/deliveries/recover", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ since: "2000-01-01T00:00:00Z", state: "delivered", dry_run: true }),
      });
      assert.equal(recover.json.matched, 0);
    } finally {
      await rx.close();
    }
  });
});
