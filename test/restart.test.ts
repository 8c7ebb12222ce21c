/**
 * Crash safety with a real process: SIGKILL the server after a job finished but before its
 * callback succeeded, and in the middle of a job; on restart the callback still arrives, once.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { makeTwoChannelCall } from "./helpers/call.ts";
import { sayPcm, tempDir, writeWav } from "./helpers/audio.ts";
import { freePort } from "./helpers/net.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { kill9, startProcess, submit, waitHealthy } from "./helpers/process.ts";
import { poll } from "./helpers/server.ts";
import { s001Shape } from "./helpers/shapes.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("SIGKILL and restart", () => {
  let tmp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  let url: string;
  let rx: Receiver;
  let child: ChildProcess | undefined;
  let shortWav: string;
  let longWav: string;

  before(async () => {
    tmp = tempDir();
    shortWav = writeWav(join(tmp.dir, "short.wav"), sayPcm("Your refund has been processed."));
    longWav = makeTwoChannelCall(tmp.dir).path;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: join(tmp.dir, "data"),
      NETWORK_ALLOWLIST: "127.0.0.0/8",
      DELIVERY_RETRY_BASE_MS: "1500",
      DELIVERY_RETRY_FACTOR: "1",
      DELIVERY_TIMEOUT_MS: "2000",
      LOG_LEVEL: "error",
    };
    rx = await startReceiver([200]);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) await kill9(child);
  });
  after(async () => {
    await rx.close();
    rmSync(tmp.dir, { recursive: true, force: true });
  });

  it("a finished job's pending delivery survives SIGKILL and arrives once after restart", async () => {
    rx.setScript([500]);
    child = startProcess(env);
    await waitHealthy(url);
    const accepted = await submit(url, shortWav, { call_uuid: "kill-1", callback_url: `${rx.url}/h` });
    // kill only once the failed attempt is on record, so the expected history is deterministic
    await poll(async () => {
      const view = (await (await fetch(`${url}/transcribe/${accepted.request_id}`)).json()) as Json;
      return view.callback?.attempts.length === 1;
    });
    await kill9(child);
    rx.setScript([200]);

    child = startProcess(env);
    await waitHealthy(url);
    await poll(async () => rx.acknowledged().length >= 1);
    await new Promise((r) => setTimeout(r, 2500));
    const acked = rx.acknowledged();
    assert.equal(acked.length, 1, "delivered exactly once");
    assert.equal(s001Shape.parse(acked[0]!.json).request_id, accepted.request_id);
    const view = (await (await fetch(`${url}/transcribe/${accepted.request_id}`)).json()) as Json;
    assert.equal(view.callback.state, "delivered");
    assert.deepEqual(
      view.callback.attempts.map((a: Json) => a.status_code),
      [500, 200],
    );
  });

  it("a job killed mid-processing is resumed and its callback delivered once", async () => {
    const before = rx.received.length;
    child = startProcess(env);
    await waitHealthy(url);
    const accepted = await submit(url, longWav, { call_uuid: "kill-2", callback_url: `${rx.url}/h` });
    await poll(async () => {
      const view = (await (await fetch(`${url}/transcribe/${accepted.request_id}`)).json()) as Json;
      return view.status === "processing";
    });
    await kill9(child);
    assert.equal(rx.received.length, before, "nothing delivered before the kill");

    child = startProcess(env);
    await waitHealthy(url);
    await rx.waitFor(before + 1, 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    const mine = rx.received.filter((r) => (r.json as Json).call_uuid === "kill-2");
    assert.equal(mine.length, 1);
    const body = s001Shape.parse(mine[0]!.json);
    assert.equal(body.request_id, accepted.request_id);
    assert.ok(body.data.transcript.length >= 4);
  });

  it("SIGTERM finishes the in-flight inline request, then exits 0", async () => {
    child = startProcess(env);
    await waitHealthy(url);
    const form = new FormData();
    form.append("call_uuid", "term-1");
    form.append("file", new Blob([readFileSync(longWav)]), "call.wav");
    const pending = fetch(`${url}/transcribe`, { method: "POST", body: form });
    await new Promise((r) => setTimeout(r, 1000)); // the upload is in and the job is running
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const res = await pending;
    assert.equal(res.status, 200);
    const body = s001Shape.parse(await res.json());
    assert.equal(body.call_uuid, "term-1");
    assert.equal(await exited, 0);
  });
});
