/**
 * A Python client written in the style of the public Kawa reference client (requests, Bearer
 * auth, cursor listing, multipart upload, polling) runs unchanged against the server: list,
 * create, poll to succeeded, read segments, delete, 401 on a wrong key, 404 on an unknown job.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { wordErrorRate } from "../src/engines/asr/wer.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const tmp = tempDir();
let server: TestServer;
before(async () => {
  server = await startTestServer({ API_KEYS: "acme:kawa-key" });
});
after(async () => {
  await server.cleanup();
  tmp.cleanup();
});

test("the Kawa-style Python client works end to end", async () => {
  const said = "thank you for calling how can i help you";
  const wav = writeWav(join(tmp.dir, "call.wav"), concatPcm(silence(0.4), sayPcm(said), silence(0.6)));
  const script = join(import.meta.dirname, "kawa", "client_check.py");
  const { stdout } = await promisify(execFile)("python3", [script, server.url, "kawa-key", wav], {
    timeout: 120_000,
  });
  const out = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  console.log(stdout.trim());
  assert.equal(out.status, "succeeded");
  assert.equal(out.listed_after_create, (out.listed_before as number) + 1);
  assert.ok(wordErrorRate(said, out.full_text as string).wer < 0.5, String(out.full_text));
  assert.deepEqual(out.speakers, ["Speaker 0"]);
  assert.equal(out.deleted, true);
  assert.equal(out.has_result_after_delete, false);
  assert.equal(out.wrong_key, "UNAUTHORIZED");
  assert.equal(out.unknown_job, "JOB_NOT_FOUND");
});
