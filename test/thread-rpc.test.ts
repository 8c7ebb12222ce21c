/**
 * The worker-thread RPC behind the audio and text threads: results and errors cross the boundary,
 * the thread ends when idle or when asked, and the next call starts a new one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { AppError } from "../src/core/errors.ts";
import { createAudioThread } from "../src/pipeline/audio-thread.ts";
import type { AudioPlan } from "../src/pipeline/prepare.ts";
import { scanAudio } from "../src/pipeline/prepare.ts";
import { createVad } from "../src/pipeline/vad.ts";
import { createThreadRpc } from "../src/worker/thread-rpc.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";

const tmp = tempDir();
after(() => tmp.cleanup());
const audioModule = new URL("../src/pipeline/audio-thread.ts", import.meta.url).href;
const wav = writeWav(join(tmp.dir, "a.wav"), [
  concatPcm(silence(0.5), sayPcm("hello there"), silence(1)),
  concatPcm(silence(1.5), sayPcm("hi", "rms"), silence(0.5)).subarray(0, 16000 * 2),
]);

test("a scan in the thread gives the same plan as in process; bad audio is an AppError", async () => {
  const audio = createAudioThread();
  try {
    const [inThread, inProcess] = await Promise.all([audio.scan(wav, 2), scanAudio(wav, 2, createVad())]);
    assert.deepEqual(inThread, inProcess);
    assert.equal(inThread.speakers.length, 2);
    await assert.rejects(audio.scan(join(tmp.dir, "missing.wav"), 1), (e: unknown) => e instanceof AppError);
  } finally {
    await audio.close();
  }
});

test("the thread ends after idleMs or on retireIfIdle, and the next call starts a new one", async () => {
  const rpc = createThreadRpc<{ file: string; channels: number }, AudioPlan>(
    audioModule,
    {},
    { idleMs: 200 },
  );
  try {
    assert.equal(rpc.running, false, "started on first call only");
    const first = await rpc.call({ file: wav, channels: 2 });
    assert.equal(rpc.running, true);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(rpc.running, false, "ended when idle");
    assert.deepEqual(await rpc.call({ file: wav, channels: 2 }), first);
    rpc.retireIfIdle();
    assert.equal(rpc.running, false, "ended at once");
    assert.deepEqual(await rpc.call({ file: wav, channels: 2 }), first);
  } finally {
    await rpc.close();
  }
});
