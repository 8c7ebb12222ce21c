/**
 * Limits that say so: audio longer than MAX_AUDIO_SECONDS is refused right after the probe (before
 * any decoding), summaries refuse inputs over MAX_SUMMARY_INPUT_CHARS; both with 413 and a
 * specific error_code, and nothing of the refused audio stays on disk.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkDuration } from "../src/pipeline/transcribe.ts";
import { AppError } from "../src/core/errors.ts";
import { concatPcm, RATE, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { percentile, pollHealthz } from "./helpers/latency.ts";
import { peakRssMb, startServerProcess } from "./helpers/process.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { e001Shape } from "./helpers/shapes.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("checkDuration", () => {
  it("passes unknown and short durations, refuses long ones naming both lengths", () => {
    assert.doesNotThrow(() => checkDuration(null, 60));
    assert.doesNotThrow(() => checkDuration(60, 60));
    assert.throws(
      () => checkDuration(36_000, 4 * 3600),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === "audio_too_long" &&
        e.httpStatus === 413 &&
        e.message === "the audio is 10.0 h long; this server takes at most 4.0 h (MAX_AUDIO_SECONDS)",
    );
  });
});

describe("limits over HTTP", () => {
  let server: TestServer;
  let rx: Receiver;
  let tmp: ReturnType<typeof tempDir>;
  let longWav: Buffer;

  before(async () => {
    tmp = tempDir();
    longWav = readFileSync(writeWav(join(tmp.dir, "long.wav"), [silence(90), silence(90)]));
    rx = await startReceiver([200]);
    server = await startTestServer({ MAX_AUDIO_SECONDS: "60", MAX_SUMMARY_INPUT_CHARS: "1000" });
  });
  after(async () => {
    await server.cleanup();
    await rx.close();
    tmp.cleanup();
  });

  const upload = async (fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([new Uint8Array(longWav)]), "long.wav");
    const started = Date.now();
    const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
    return { status: res.status, body: (await res.json()) as Json, ms: Date.now() - started };
  };

  it("audio over MAX_AUDIO_SECONDS → 413 audio_too_long inline, decided at the probe", async () => {
    const { status, body, ms } = await upload({ call_uuid: "long-1" });
    assert.equal(status, 413);
    e001Shape.parse(body);
    assert.equal(body.error_code, "audio_too_long");
    assert.equal(body.error, "the audio is 90 s long; this server takes at most 60 s (MAX_AUDIO_SECONDS)");
    assert.ok(ms < 2000, `refused in ${ms} ms`);
    assert.deepEqual(readdirSync(join(server.dataDir, "audio")), [], "the refused audio was deleted");
  });

  it("with a callback: E001 audio_too_long", async () => {
    const { status } = await upload({ call_uuid: "long-2", callback_url: `${rx.url}/h` });
    assert.equal(status, 202);
    const [hit] = await rx.waitFor(1);
    const body = e001Shape.parse(hit!.json);
    assert.equal(body.error_code, "audio_too_long");
  });

  it("summaries over MAX_SUMMARY_INPUT_CHARS → 413 summary_input_too_large; under it → 200", async () => {
    const post = async (body: object) => {
      const res = await fetch(`${server.url}/summarize`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ call_uuid: "s", ...body }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const text = await post({ text: "I was charged twice. ".repeat(60) });
    assert.equal(text.status, 413);
    assert.deepEqual([text.body.error_code, text.body.field], ["summary_input_too_large", "text"]);
    assert.match(text.body.error, /has 1260 characters; the limit is 1000 \(MAX_SUMMARY_INPUT_CHARS\)/);
    const items = Array.from({ length: 30 }, (_, i) => ({
      text: "I was charged twice, please refund me.",
      time_start: i,
    }));
    const transcript = await post({ transcript: items });
    assert.deepEqual([transcript.status, transcript.body.error_code], [413, "summary_input_too_large"]);
    const ok = await post({ text: "I was charged twice and would like a refund." });
    assert.equal(ok.status, 200);
  });
});

describe("GET /readyz", () => {
  it("200 when the database, the disk and the backends are fine; 503 naming the failing check, no URLs", async () => {
    const { freePort } = await import("./helpers/net.ts");
    const ok = await startTestServer();
    try {
      const res = await fetch(`${ok.url}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: "ready", checks: { database: "ok", disk: "ok" } });
    } finally {
      await ok.cleanup();
    }
    const closed = await freePort();
    const bad = await startTestServer({
      LLM_URL: `http://127.0.0.1:${closed}/v1`,
      MIN_FREE_DISK_MB: String(1024 * 1024 * 1024), // a petabyte: the disk is "full"
    });
    try {
      const res = await fetch(`${bad.url}/readyz`);
      assert.equal(res.status, 503);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), {
        status: "not_ready",
        checks: { database: "ok", disk: "low_disk", llm: "unreachable" },
      });
      assert.ok(!text.includes(String(closed)), "no backend address in the answer");
      assert.equal((await fetch(`${bad.url}/healthz`)).status, 200, "liveness is separate");
    } finally {
      await bad.cleanup();
    }
  });
});

describe("a failing final save", () => {
  const failNext = (server: TestServer, times: number) => {
    const real = server.store.finishJob.bind(server.store);
    let left = times;
    server.store.finishJob = async (...args) => {
      if (left-- > 0)
        throw Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" });
      return real(...args);
    };
  };
  const summarize = async (server: TestServer, rx: Receiver, id: string) => {
    const res = await fetch(`${server.url}/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_uuid: id, text: "I was charged twice.", callback_url: `${rx.url}/h` }),
    });
    assert.equal(res.status, 202);
    return ((await res.json()) as Json).request_id as string;
  };

  it("is retried: one failure, then the real result is saved and delivered", async () => {
    const rx = await startReceiver([200]);
    const server = await startTestServer({ STORAGE_RETRY_MS: "20" });
    try {
      failNext(server, 1);
      const id = await summarize(server, rx, "disk-1");
      const [hit] = await rx.waitFor(1);
      assert.equal((hit!.json as Json).status, "S001");
      assert.equal((await server.store.getJob(id))?.status, "succeeded");
    } finally {
      await server.cleanup();
      await rx.close();
    }
  });

  it("keeps failing: the job ends failed with E001 storage_failed once storage is back, never stuck", async () => {
    const rx = await startReceiver([200]);
    const server = await startTestServer({ STORAGE_RETRY_MS: "20" });
    try {
      failNext(server, 6); // 4 tries of the result, then 2 of the failure record
      const id = await summarize(server, rx, "disk-2");
      const [hit] = await rx.waitFor(1, 10_000);
      const body = e001Shape.parse(hit!.json);
      assert.equal(body.error_code, "storage_failed");
      assert.match(body.error, /could not be saved because storage failed/);
      const job = await server.store.getJob(id);
      assert.deepEqual([job?.status, job?.errorCode], ["failed", "storage_failed"]);
    } finally {
      await server.cleanup();
      await rx.close();
    }
  });
});

describe("progress", () => {
  it("GET /transcribe/{id} shows seconds of audio done of the total while processing", async () => {
    const { makeTwoChannelCall } = await import("./helpers/call.ts");
    const tmp2 = tempDir();
    const rx = await startReceiver([200]);
    const server = await startTestServer();
    try {
      const call = makeTwoChannelCall(tmp2.dir);
      const form = new FormData();
      form.append("call_uuid", "progress-1");
      form.append("callback_url", `${rx.url}/h`);
      form.append("file", new Blob([readFileSync(call.path)]), "call.wav");
      const accepted = (await (
        await fetch(`${server.url}/transcribe`, { method: "POST", body: form })
      ).json()) as Json;
      const seen: Array<{ done_seconds: number; total_seconds: number }> = [];
      for (;;) {
        const view = (await (await fetch(`${server.url}/transcribe/${accepted.request_id}`)).json()) as Json;
        if (view.progress) seen.push(view.progress);
        if (view.status === "succeeded" || view.status === "failed") {
          assert.equal(view.progress, undefined, "no progress once finished");
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(seen.length >= 1, "progress was visible while processing");
      for (const p of seen) {
        assert.ok(
          Math.abs(p.total_seconds - call.duration) < 0.2,
          `total ${p.total_seconds} vs ${call.duration}`,
        );
        assert.ok(p.done_seconds >= 0 && p.done_seconds <= p.total_seconds);
      }
      for (let i = 1; i < seen.length; i++)
        assert.ok(seen[i]!.done_seconds >= seen[i - 1]!.done_seconds, "monotone");
      console.log(`progress samples: ${seen.map((p) => p.done_seconds).join(", ")} of ${call.duration} s`);
    } finally {
      await server.cleanup();
      await rx.close();
      tmp2.cleanup();
    }
  });
});

describe("a 1-hour two-channel call", () => {
  it("is transcribed by a server process in bounded memory while /healthz answers in milliseconds", async () => {
    const { execFileSync } = await import("node:child_process");
    const tmp2 = tempDir();
    const rx = await startReceiver([200]);
    // compiled, as `npm start` runs it: the TypeScript loader alone costs ~50 MB
    const { url, pid, stop } = await startServerProcess(
      join(tmp2.dir, "data"),
      { NETWORK_ALLOWLIST: "127.0.0.0/8" },
      { compiled: true },
    );
    try {
      // speech at the start and the end, an hour of silence between (FLAC: ~1 MB to upload)
      const clip = (name: string, left: string, right: string) =>
        writeWav(join(tmp2.dir, name), [
          concatPcm(sayPcm(left), silence(4)).subarray(0, 5 * RATE),
          concatPcm(silence(2.5), sayPcm(right, "rms"), silence(5)).subarray(0, 5 * RATE),
        ]);
      const start = clip("start.wav", "Thank you for calling.", "Hello.");
      const end = clip("end.wav", "Goodbye now.", "Thanks, bye.");
      const call = join(tmp2.dir, "hour.flac");
      execFileSync("ffmpeg", [
        "-v", "error", "-y", "-i", start, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=stereo:d=3590", "-i", end,
        "-filter_complex", "[0:a][1:a][2:a]concat=n=3:v=0:a=1", "-c:a", "flac", call,
      ]); // prettier-ignore
      const form = new FormData();
      form.append("call_uuid", "hour-call");
      form.append("callback_url", `${rx.url}/h`);
      form.append("file", new Blob([readFileSync(call)]), "hour.flac");
      assert.equal((await fetch(`${url}/transcribe`, { method: "POST", body: form })).status, 202);
      const latencies = await pollHealthz(url, () => rx.received.length > 0);
      const body = rx.received[0]!.json as Json;
      assert.equal(body.status, "S001", JSON.stringify(body));
      const peak = peakRssMb(pid);
      const items = body.data.transcript as Json[];
      const p99 = percentile(latencies, 99);
      console.log(
        `1-hour call: peak RSS ${peak.toFixed(0)} MB; /healthz ${latencies.length} polls, p99 ${p99.toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms; ` +
          items.map((i) => `${i.time_start} ${i.speaker_id} ${i.text}`).join(" | "),
      );
      assert.equal(body.data.metadata.audio_duration, 3600);
      assert.ok(
        items.some((i) => i.time_start < 5 && i.speaker_id === 0),
        "the agent's first line",
      );
      assert.ok(
        items.some((i) => i.time_start < 5 && i.speaker_id === 1),
        "the caller's first line",
      );
      assert.ok(
        items.some((i) => i.time_start > 3595 && i.speaker_id === 0),
        "the agent's last line",
      );
      assert.ok(
        items.some((i) => i.time_start > 3595 && i.speaker_id === 1),
        "the caller's last line",
      );
      assert.ok(peak < 350, `peak RSS ${peak.toFixed(0)} MB`);
      assert.ok(p99 < 100, `healthz p99 ${p99.toFixed(1)} ms`);
    } finally {
      await stop();
      await rx.close();
      tmp2.cleanup();
    }
  });
});

describe("the event loop during a long summary", () => {
  it("/healthz answers in milliseconds while a 150 KB text is summarized", async () => {
    const tmp2 = tempDir();
    const { url, stop } = await startServerProcess(join(tmp2.dir, "data"));
    try {
      const lines = [
        "Customer: I was charged twice on my last bill and I would like a refund.",
        "Agent: I am sorry about that, let me check your account and the duplicate charge.",
        "Customer: My internet has also been dropping every evening this week.",
        "Agent: I have issued the refund and booked a technician visit for Thursday.",
      ];
      let text = "";
      while (text.length < 150_000) text += `${lines[text.length % lines.length]}\n`;
      const pending = fetch(`${url}/summarize`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ call_uuid: "big-text", text }),
      });
      let done = false;
      const result = pending.then(async (r) => {
        done = true;
        return { status: r.status, body: (await r.json()) as Json };
      });
      const latencies = await pollHealthz(url, () => done);
      const { status, body } = await result;
      assert.equal(status, 200, JSON.stringify(body).slice(0, 300));
      assert.equal(body.status, "S001");
      const p99 = percentile(latencies, 99);
      console.log(`/healthz during a 150 KB summary: ${latencies.length} polls, p99 ${p99.toFixed(1)} ms`);
      assert.ok(p99 < 100, `healthz p99 ${p99.toFixed(1)} ms`);
    } finally {
      await stop();
      tmp2.cleanup();
    }
  });
});

describe("a 10-hour recording", () => {
  it("is refused with audio_too_long in under 2 s (default MAX_AUDIO_SECONDS, 4 h) without decoding it", async () => {
    const { execFileSync } = await import("node:child_process");
    const tmp2 = tempDir();
    const server = await startTestServer();
    try {
      // a minute of Opus repeated by packet copy: a real 10-hour, 13.5 MB file in ~2 s
      const minute = join(tmp2.dir, "minute.opus");
      const tenHours = join(tmp2.dir, "ten-hours.opus");
      const ff = (args: string[]) => execFileSync("ffmpeg", ["-v", "error", "-y", ...args]);
      ff([
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=8000:cl=mono",
        "-t",
        "60",
        "-c:a",
        "libopus",
        "-b:a",
        "6k",
        minute,
      ]);
      ff(["-stream_loop", "599", "-i", minute, "-c", "copy", tenHours]);
      const bytes = readFileSync(tenHours);
      const rssBefore = process.memoryUsage().rss;
      const form = new FormData();
      form.append("call_uuid", "ten-hours");
      form.append("file", new Blob([new Uint8Array(bytes)]), "ten-hours.opus");
      const started = Date.now();
      const res = await fetch(`${server.url}/transcribe`, { method: "POST", body: form });
      const ms = Date.now() - started;
      const body = (await res.json()) as Json;
      assert.equal(res.status, 413);
      assert.equal(body.error_code, "audio_too_long");
      assert.equal(
        body.error,
        "the audio is 10.0 h long; this server takes at most 4.0 h (MAX_AUDIO_SECONDS)",
      );
      assert.ok(ms < 2000, `refused in ${ms} ms`);
      const grewMb = (process.memoryUsage().rss - rssBefore) / 1048576;
      console.log(
        `10-hour Opus (${(bytes.length / 1048576).toFixed(1)} MB) refused in ${ms} ms; RSS +${grewMb.toFixed(0)} MB`,
      );
      assert.ok(grewMb < 100, `memory grew by ${grewMb.toFixed(0)} MB`);
      assert.deepEqual(readdirSync(join(server.dataDir, "audio")), []);
    } finally {
      await server.cleanup();
      tmp2.cleanup();
    }
  });
});
