/**
 * Scale-out on Postgres with real processes: 1 api + 3 worker processes on one database, 150
 * callback jobs, a random worker SIGKILLed 5 times during the run and restarted. Every callback
 * must arrive (duplicates are allowed, counted and reported), no job may be worked on by two live
 * workers at once, and no attempt may be recorded twice (a worker that lost its lease records none).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { sayPcm, writeWav } from "./helpers/audio.ts";
import { freePort } from "./helpers/net.ts";
import { dropSchema, freshSchema, PG_URL } from "./helpers/postgres.ts";
import { kill9, startProcess, submit, waitHealthy } from "./helpers/process.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll } from "./helpers/server.ts";

const JOBS = 150;
const WORKERS = 3;

interface Span {
  worker: string;
  start: number;
  end: number;
}

describe("1 api + 3 workers on Postgres, workers SIGKILLed during the run", () => {
  const schema = freshSchema();
  const dir = mkdtempSync(join(os.tmpdir(), "callscribe-multi-"));
  let rx: Receiver;
  let api: ChildProcess;
  const workers: Array<{ name: string; child: ChildProcess }> = [];
  /** per job: when each worker started it, and when it finished or died */
  const spans = new Map<string, Span[]>();
  const open = new Map<string, Map<string, Span>>(); // worker → job → span

  const env = (port: number) => ({
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: join(dir, "data"),
    NETWORK_ALLOWLIST: "127.0.0.0/8",
    LOG_LEVEL: "info",
    JOB_LEASE_MS: "3000",
    POLL_MS: "200",
    JOB_MAX_ATTEMPTS: "10",
    MAX_QUEUED_JOBS: "1000",
    DELIVERY_RETRY_BASE_MS: "200",
    DELIVERY_RETRY_FACTOR: "2",
    DELIVERY_TIMEOUT_MS: "2000",
    DELIVERY_MAX_ATTEMPTS: "5",
  });

  const track = (name: string) => (line: string) => {
    if (!line.startsWith("{")) return;
    const l = JSON.parse(line) as { msg?: string; requestId?: string; time: number };
    if (!l.requestId) return;
    const mine = open.get(name) ?? new Map<string, Span>();
    open.set(name, mine);
    if (l.msg === "job started") {
      const span = { worker: name, start: l.time, end: Number.POSITIVE_INFINITY };
      mine.set(l.requestId, span);
      spans.set(l.requestId, [...(spans.get(l.requestId) ?? []), span]);
    } else if (l.msg === "job finished") {
      const span = mine.get(l.requestId);
      if (span) span.end = l.time;
      mine.delete(l.requestId);
    }
  };

  let apiUrl = "";
  let generation = 0;
  const startWorker = (slot: number) => {
    const name = `w${slot}-g${generation++}`;
    const child = startProcess({ ...env(0), WORKER_ID: name }, ["--role", "worker"], track(name));
    workers[slot] = { name, child };
  };
  const killWorker = async (slot: number) => {
    const { name, child } = workers[slot]!;
    const at = Date.now();
    await kill9(child);
    for (const span of open.get(name)?.values() ?? []) span.end = at;
    open.delete(name);
  };

  before(async () => {
    rx = await startReceiver([200]);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startProcess(env(port), ["--role", "api"]);
    await waitHealthy(apiUrl);
  });
  after(async () => {
    await Promise.all([api, ...workers.map((w) => w.child)].map((c) => kill9(c)));
    await rx.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers every callback; no job on two live workers at once; no attempt recorded twice", async (t) => {
    const wav = writeWav(join(dir, "hello.wav"), sayPcm("Hello, thank you for calling. How can I help?"));
    for (let slot = 0; slot < WORKERS; slot++) startWorker(slot);
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          submit(apiUrl, wav, { call_uuid: `m-${i + j}`, callback_url: `${rx.url}/h` }),
        ),
      );
      ids.push(...batch.map((b) => b.request_id as string));
    }
    const arrived = () => new Set(rx.received.map((r) => (r.json as { request_id?: string }).request_id));

    // five kills spread over the run, each followed by a restart of that slot
    for (const share of [0.1, 0.25, 0.4, 0.55, 0.7]) {
      await poll(async () => arrived().size >= JOBS * share, 240_000);
      const slot = Math.floor(Math.random() * WORKERS);
      await killWorker(slot);
      await new Promise((r) => setTimeout(r, 300));
      startWorker(slot);
    }
    await poll(async () => ids.every((id) => arrived().has(id)), 240_000);

    const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await db.connect();
    try {
      await poll(async () => {
        const r = await db.query("SELECT count(*)::int AS n FROM deliveries WHERE state <> 'delivered'");
        return r.rows[0].n === 0;
      }, 60_000);
      const statuses = await db.query("SELECT status, count(*)::int AS n FROM jobs GROUP BY status");
      assert.deepEqual(statuses.rows, [{ status: "succeeded", n: JOBS }]);
      const twice = await db.query(
        `SELECT delivery_id, series, attempt_no FROM delivery_attempts
         GROUP BY delivery_id, series, attempt_no HAVING count(*) > 1`,
      );
      assert.deepEqual(twice.rows, [], "no attempt recorded twice");
    } finally {
      await db.end();
    }

    let takeovers = 0;
    for (const [job, list] of spans) {
      const sorted = [...list].sort((a, b) => a.start - b.start);
      if (sorted.length > 1) takeovers++;
      for (let i = 1; i < sorted.length; i++) {
        assert.ok(
          sorted[i - 1]!.end <= sorted[i]!.start,
          `job ${job}: ${sorted[i - 1]!.worker} (until ${sorted[i - 1]!.end}) overlaps ${sorted[i]!.worker} (from ${sorted[i]!.start})`,
        );
      }
    }
    const perJob = new Map<string, number>();
    for (const r of rx.received) {
      const id = (r.json as { request_id: string }).request_id;
      perJob.set(id, (perJob.get(id) ?? 0) + 1);
    }
    const duplicates = [...perJob.values()].reduce((n, c) => n + c - 1, 0);
    t.diagnostic(
      `${JOBS} jobs, 5 worker kills: ${takeovers} jobs taken over after a kill, ${duplicates} duplicate callbacks`,
    );
    assert.ok(takeovers >= 1, "at least one kill landed mid-job and the job was taken over");
  });
});
