/**
 * The `callscribe` command, run as a user runs it (`node bin/callscribe.js`, the package's bin)
 * against a real server with API keys and signed webhooks: transcribe (waiting, with progress),
 * jobs, deliveries, `listen` forwarding events to a local receiver and resuming from its saved
 * cursor, and the errors a user meets (server down, wrong key, bad file, unknown job).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseSigningSecrets, verify } from "../src/delivery/signer.ts";
import { concatPcm, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { freePort } from "./helpers/net.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BIN = join(import.meta.dirname, "..", "bin", "callscribe.js");
const KEY = "cli-key";
const SECRET = `whsec_${Buffer.from("callscribe-cli-test-secret").toString("base64")}`;
const tmp = tempDir("callscribe-cli-");
let server: TestServer;
let hooks: Receiver;
let wav: string;

before(async () => {
  [server, hooks] = await Promise.all([
    startTestServer({ API_KEYS: KEY, WEBHOOK_SIGNING_SECRET: SECRET }),
    startReceiver([200]),
  ]);
  wav = writeWav(
    join(tmp.dir, "call.wav"),
    concatPcm(silence(0.3), sayPcm("thank you for calling, how can I help you today"), silence(0.3)),
  );
});
after(async () => {
  await Promise.all([server.cleanup(), hooks.close()]);
  tmp.cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with the server's URL and key in the environment (HOME kept out of the user's). */
function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> & { child: ReturnType<typeof spawn> } {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    CALLSCRIBE_URL: server.url,
    CALLSCRIBE_API_KEY: KEY,
    HOME: tmp.dir,
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: merged, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const done = new Promise<Run>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
  return Object.assign(done, { child });
}

const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

/** A summary with a callback: a delivery (and an event) without waiting for speech recognition. */
async function summaryEvent(callUuid: string, url = hooks.url): Promise<string> {
  const res = await fetch(`${server.url}/summarize`, {
    method: "POST",
    headers: { apikey: KEY, "content-type": "application/json" },
    body: JSON.stringify({
      call_uuid: callUuid,
      callback_url: url,
      text: "Customer: my card was charged twice.",
    }),
  });
  assert.equal(res.status, 202);
  return ((await res.json()) as Json).request_id as string;
}

describe("help", () => {
  it("every command has --help and exits 0", async () => {
    const commands = [
      [],
      ["transcribe"],
      ["jobs"],
      ["jobs", "ls"],
      ["jobs", "show"],
      ["jobs", "rm"],
      ["deliveries", "ls"],
      ["deliveries", "show"],
      ["deliveries", "redeliver"],
      ["deliveries", "recover"],
      ["listen"],
    ];
    const runs = await Promise.all(commands.map((c) => cli([...c, "--help"])));
    runs.forEach((r, i) => {
      ok(r);
      assert.match(r.stdout, new RegExp(`Usage: callscribe ${commands[i]!.join(" ")}`));
    });
    assert.match(runs[0]!.stdout, /Exit codes:/);
    assert.match(runs[0]!.stdout, /CALLSCRIBE_API_KEY/);
    assert.match(runs.at(-1)!.stdout, /--forward-to <url>/);
  });
});

describe("transcribe and jobs", () => {
  it("transcribe --wait --json prints the finished job with its transcript", async () => {
    const r = await cli(["transcribe", wav, "--wait", "--json", "--poll-interval", "200"]);
    ok(r);
    const job = JSON.parse(r.stdout) as Json;
    assert.equal(job.status, "succeeded");
    const text = (job.result.transcript as Json[]).map((i) => i.text).join(" ");
    assert.match(text, /thank|calling|help/i);
  });

  it("transcribe passes the recognition flags (speakers, vocabulary, redaction) as the API's fields", async () => {
    const r = await cli([
      "transcribe", wav, "--wait", "--json", "--poll-interval", "200", "--speakers", "1",
      "--vocabulary", "Acme,Northwind", "--redact-pii-policies", "email_address", "--format", "plain",
    ]); // prettier-ignore
    ok(r);
    const job = JSON.parse(r.stdout) as Json;
    assert.equal(job.status, "succeeded");
    const items = job.result.transcript as Json[];
    assert.deepEqual([...new Set(items.map((i) => i.speaker_id))], [0], "--speakers 1: one speaker");
    assert.equal(
      items.map((i) => i.text).join(" "),
      items
        .map((i) => i.text)
        .join(" ")
        .toLowerCase(),
      "plain text",
    );
    const bad = await cli(["transcribe", wav, "--redact-pii-policies", "shoe_size"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /redact_pii_policies/);
  });

  it("transcribe --wait without --json prints the transcript as lines", async () => {
    const r = await cli(["transcribe", wav, "-w", "--poll-interval", "200"]);
    ok(r);
    assert.match(r.stdout, /^\[0:0\d\.\d\] Speaker 0: .+/m);
  });

  it("shows a progress bar from the job's progress while a long call is processed", async () => {
    const line = sayPcm("this is a longer call about a billing question and a refund for my account");
    const long = writeWav(
      join(tmp.dir, "long.wav"),
      concatPcm(...Array.from({ length: 8 }, () => [line, silence(1)]).flat()),
    );
    const r = await cli(["transcribe", long, "--wait", "--progress", "--poll-interval", "100"]);
    ok(r);
    assert.match(r.stderr, /processing \[#*-*\]\s+\d+%\s+[\d.]+ of [\d.]+ s/);
  });

  it("jobs ls / show / rm", async () => {
    const sub = await cli(["transcribe", wav, "--metadata", '{"call_uuid":"cli-jobs"}']);
    ok(sub);
    const id = sub.stdout.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.match(sub.stderr, /callscribe jobs show/);

    const listed = await cli(["jobs", "ls", "--json"]);
    ok(listed);
    assert.ok((JSON.parse(listed.stdout).transcriptions as Json[]).some((j) => j.job_id === id));
    const table = await cli(["jobs", "ls", "--limit", "50"]);
    ok(table);
    assert.match(table.stdout, /^JOB_ID\s+TYPE\s+STATUS/);
    assert.match(table.stdout, new RegExp(`${id}\\s+transcription`));

    await poll(async () => {
      const s = await cli(["jobs", "show", id, "--json"]);
      return JSON.parse(s.stdout).status === "succeeded";
    }, 60_000);
    const shown = await cli(["jobs", "show", id]);
    ok(shown);
    assert.match(shown.stdout, /status\s+succeeded/);
    assert.match(shown.stdout, /\[0:0\d\.\d\] Speaker 0: /);

    ok(await cli(["jobs", "rm", id]));
    assert.equal(JSON.parse((await cli(["jobs", "show", id, "--json"])).stdout).deleted, true);

    const missing = await cli(["jobs", "show", "no-such-job"]);
    assert.equal(missing.code, 5);
    assert.match(
      missing.stderr,
      /^callscribe: no job no-such-job \(GET \/v1\/transcriptions\/no-such-job: 404 JOB_NOT_FOUND\)/,
    );
  });
});

describe("deliveries", () => {
  it("ls, show, redeliver, recover", async () => {
    const before = hooks.received.length;
    const requestId = await summaryEvent("cli-deliveries");
    await hooks.waitFor(before + 1, 30_000);
    const list = await poll(async () => {
      const r = await cli(["deliveries", "ls", "--json"]);
      const d = (JSON.parse(r.stdout).deliveries as Json[]).find((x) => x.request_id === requestId);
      return d?.state === "delivered" ? d : null;
    });
    const id = list.id as string;
    const table = await cli(["deliveries", "ls", "--state", "delivered"]);
    ok(table);
    assert.match(table.stdout, new RegExp(`${id}\\s+summaryDelivered\\s+delivered\\s+1\\s+200`));

    const shown = await cli(["deliveries", "show", id]);
    ok(shown);
    assert.match(shown.stdout, /state\s+delivered/);
    assert.match(shown.stdout, /^1\.1\s+\S+\s+200\s+\d+/m);

    const again = await cli(["deliveries", "redeliver", id]);
    ok(again);
    assert.match(again.stdout, new RegExp(`redelivering ${id} to ${hooks.url}`));
    await hooks.waitFor(before + 2, 30_000);
    assert.equal(hooks.received.at(-1)!.body, hooks.received[before]!.body, "the same body again");

    const since = new Date(Date.now() - 60_000).toISOString();
    const dry = await cli([
      "deliveries",
      "recover",
      "--since",
      since,
      "--state",
      "delivered",
      "--dry-run",
      "--json",
    ]);
    ok(dry);
    const plan = JSON.parse(dry.stdout) as Json;
    assert.equal(plan.dry_run, true);
    assert.ok((plan.delivery_ids as string[]).includes(id));

    const missing = await cli(["deliveries", "show", "nope"]);
    assert.equal(missing.code, 5);
    assert.match(missing.stderr, /no delivery with id nope/);
    const badTime = await cli(["deliveries", "recover", "--since", "yesterday"]);
    assert.equal(badTime.code, 1);
    assert.match(badTime.stderr, /since must be an ISO 8601 time/);
  });
});

describe("listen", () => {
  it("forwards events with a delivery's headers, stops, and resumes from the saved cursor", async () => {
    const local = await startReceiver([200]);
    const cursorFile = join(tmp.dir, "listen-cursor");
    try {
      const t0 = new Date(Date.now() - 1000).toISOString();
      const before = hooks.received.length;
      const first = await summaryEvent("cli-listen-1");
      const [real] = (await hooks.waitFor(before + 1, 30_000)).slice(before);

      // follows the feed until stopped
      const following = cli([
        "listen",
        "--forward-to",
        `${local.url}/hooks?from=cli`,
        "--cursor-file",
        cursorFile,
        "--since",
        t0,
        "--signing-secret",
        SECRET,
        "--interval",
        "200",
      ]);
      const [got] = await local.waitFor(1, 30_000);
      following.child.kill("SIGINT");
      const stopped = await following;
      ok(stopped);
      assert.match(stopped.stdout, new RegExp(`summaryDelivered\\s+${first}\\s+→ 200`));
      assert.ok(existsSync(cursorFile), "the cursor is saved");

      // the very body and headers a real delivery carries
      assert.equal(got!.path, "/hooks?from=cli");
      assert.equal(got!.body, real!.body);
      assert.equal(got!.headers["content-type"], "application/json");
      assert.equal(got!.headers["x-callscribe-event"], "summaryDelivered");
      assert.equal(got!.headers["webhook-id"], real!.headers["webhook-id"]);
      assert.equal(got!.headers["webhook-attempt"], "1");
      assert.equal(got!.headers["user-agent"], real!.headers["user-agent"]);
      const [key] = parseSigningSecrets(SECRET);
      const ts = Number(got!.headers["webhook-timestamp"]);
      assert.ok(Math.abs(ts - Date.now() / 1000) < 60);
      assert.ok(
        verify(
          key!,
          String(got!.headers["webhook-id"]),
          ts,
          got!.body,
          String(got!.headers["webhook-signature"]),
        ),
      );

      // a new event while it was stopped: the next run forwards that one only
      const second = await summaryEvent("cli-listen-2");
      await hooks.waitFor(before + 2, 30_000);
      const resumed = await cli([
        "listen",
        "--forward-to",
        local.url,
        "--cursor-file",
        cursorFile,
        "--once",
        "--json",
      ]);
      ok(resumed);
      assert.equal(local.received.length, 2);
      assert.equal((local.received[1]!.json as Json).call_uuid, "cli-listen-2");
      const lines = resumed.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Json);
      assert.deepEqual(
        lines.map((l) => [l.request_id, l.forwarded.status]),
        [[second, 200]],
      );
      assert.match(resumed.stderr, /resuming from the cursor/);
      assert.equal(local.received[1]!.headers["webhook-id"], undefined, "unsigned without a secret");

      const idle = await cli(["listen", "--forward-to", local.url, "--cursor-file", cursorFile, "--once"]);
      ok(idle);
      assert.equal(local.received.length, 2, "nothing forwarded twice");
      assert.match(idle.stderr, /forwarded 0 events/);
    } finally {
      await local.close();
    }
  });

  it("keeps a default cursor file per server under ~/.callscribe", async () => {
    const local = await startReceiver([200]);
    try {
      const r = await cli(["listen", "--forward-to", local.url, "--once"]);
      ok(r);
      const port = new URL(server.url).port;
      assert.match(
        r.stderr,
        new RegExp(`cursor saved in ${tmp.dir}/\\.callscribe/listen-cursor-127\\.0\\.0\\.1_${port}`),
      );
    } finally {
      await local.close();
    }
  });
});

describe("errors", () => {
  it("an unreachable server: a clear message and exit 3 (--url wins over CALLSCRIBE_URL)", async () => {
    const port = await freePort();
    const r = await cli(["--url", `http://127.0.0.1:${port}`, "jobs", "ls"]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      new RegExp(`cannot reach the server at http://127.0.0.1:${port} \\(connect ECONNREFUSED`),
    );
  });

  it("a wrong or missing key: exit 4 naming the key settings", async () => {
    const wrong = await cli(["jobs", "ls"], { CALLSCRIBE_API_KEY: "nope" });
    assert.equal(wrong.code, 4);
    assert.match(
      wrong.stderr,
      /401 UNAUTHORIZED\); the server does not accept this key \(--api-key or CALLSCRIBE_API_KEY\)/,
    );
    const none = await cli(["deliveries", "ls"], { CALLSCRIBE_API_KEY: undefined });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /the server needs an API key/);
    ok(await cli(["--api-key", KEY, "jobs", "ls"], { CALLSCRIBE_API_KEY: "nope" }));
  });

  it("a file that is missing or not audio, and bad flags", async () => {
    const missing = await cli(["transcribe", join(tmp.dir, "nope.wav")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.wav: ENOENT/);
    const notes = join(tmp.dir, "notes.wav");
    writeFileSync(notes, "these are not audio bytes at all");
    const notAudio = await cli(["transcribe", notes, "--wait"]);
    assert.equal(notAudio.code, 1);
    assert.match(notAudio.stderr, /415 UNSUPPORTED_AUDIO_FORMAT/);
    const flag = await cli(["jobs", "ls", "--bogus"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--bogus'/);
    const url = await cli(["jobs", "ls"], { CALLSCRIBE_URL: "ftp://example" });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /--url must be an http or https URL/);
  });

  it("listen with a cursor file from elsewhere says which file to delete", async () => {
    const cursorFile = join(tmp.dir, "foreign-cursor");
    writeFileSync(cursorFile, "not-a-cursor\n");
    const r = await cli([
      "listen",
      "--forward-to",
      "http://127.0.0.1:9/hooks",
      "--cursor-file",
      cursorFile,
      "--once",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`the cursor in ${cursorFile} is not this server's: delete the file`));
    assert.equal(readFileSync(cursorFile, "utf8"), "not-a-cursor\n", "left as it was");
  });
});
