/**
 * The server on Postgres, in-process, with separate roles and separate data directories (as on two
 * machines): uploads travel through the database to the worker, inline requests are answered when
 * another process finishes the job, and a retry backlog does not slow healthy deliveries.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { sayPcm, tempDir, writeWav } from "./helpers/audio.ts";
import { insertPostgresBacklog, insertSqliteBacklog } from "./helpers/backlog.ts";
import { dropSchema, freshSchema, PG_URL } from "./helpers/postgres.ts";
import { LISTENER_APPLICATION_NAME } from "../src/store/postgres-listener.ts";
import { channelOf } from "../src/store/postgres-sql.ts";
import { percentile } from "./helpers/latency.ts";
import { truncatedUpload } from "./helpers/raw-request.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { waitFor } from "./helpers/poll.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { s001Shape } from "./helpers/shapes.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("Postgres: an api process and a worker process that share no disk", () => {
  const schema = freshSchema();
  let api: TestServer;
  let worker: TestServer;
  let rx: Receiver;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    tmp = tempDir();
    rx = await startReceiver([200]);
    const env = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, POLL_MS: "5000" };
    api = await startTestServer(env, { role: "api" });
    worker = await startTestServer(env, { role: "worker" });
  });
  after(async () => {
    await api.cleanup();
    await worker.cleanup();
    await rx.close();
    await dropSchema(schema);
    tmp.cleanup();
  });

  it("an upload received by the api is transcribed by the worker from the database copy", async () => {
    const wav = writeWav(join(tmp.dir, "hello.wav"), sayPcm("Hello, thank you for calling."));
    const form = new FormData();
    form.append("call_uuid", "pg-1");
    form.append("callback_url", `${rx.url}/h`);
    form.append("file", new Blob([readFileSync(wav)]), "hello.wav");
    const res = await fetch(`${api.url}/transcribe`, { method: "POST", body: form });
    assert.equal(res.status, 202);
    const accepted = (await res.json()) as Json;
    assert.deepEqual(readdirSync(join(api.dataDir, "audio")), [], "the api keeps nothing on its disk");

    const [hit] = await rx.waitFor(1, 60_000);
    const body = s001Shape.parse(hit!.json);
    assert.equal(body.request_id, accepted.request_id);
    assert.match(body.data.transcript.map((t) => t.text).join(" "), /hello|thank/);
    assert.ok(!existsSync(join(worker.dataDir, "audio", body.data.id)), "the worker dropped its copy");
    const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await db.connect();
    const chunks = await db.query("SELECT count(*)::int AS n FROM audio_blobs WHERE name = $1", [
      body.data.id,
    ]);
    await db.end();
    assert.equal(chunks.rows[0].n, 1, "the audio is kept in the database (one 1 MB chunk)");
  });

  /** An inline summary through the api, done by the worker: answered before the 5 s poll would have. */
  const answeredOnNotification = async (callUuid: string, text: string) => {
    const started = Date.now();
    const res = await fetch(`${api.url}/summarize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_uuid: callUuid, text }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Json).status, "S001");
    assert.ok(Date.now() - started < 4000, "answered before the 5 s poll would have");
  };

  it("an inline request on the api is answered when the worker finishes (LISTEN/NOTIFY, not polling)", async () => {
    await answeredOnNotification("pg-2", "I was charged twice and want a refund.");
  });

  it("after the database drops their listening connections, both processes listen again and inline requests are answered as before", async () => {
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const listening = async () =>
        (
          await db.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query = $2 ORDER BY pid`,
            [LISTENER_APPLICATION_NAME, `LISTEN ${channelOf(schema)}`],
          )
        ).rows.map((r) => r.pid as number);
      const before = await listening();
      assert.equal(before.length, 2, "the api and the worker each listen once");
      await db.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [before]);
      let again: number[] = [];
      await waitFor(
        async () => {
          again = await listening();
          return again.length === 2 && again.every((p) => !before.includes(p));
        },
        10_000,
        50,
      );
      assert.equal(again.filter((p) => !before.includes(p)).length, 2, "both listen on new connections");
    } finally {
      await db.end();
    }
    await answeredOnNotification("pg-2b", "The invoice was wrong again this month.");
  });

  it("a truncated upload gets a 400 (the queue-room check is a real database round trip here)", async () => {
    const res = await truncatedUpload(api.port);
    assert.equal(res.status, 400);
    assert.equal(res.body.error_code, "invalid_multipart");
    assert.deepEqual(readdirSync(join(api.dataDir, "audio")), [], "nothing of it stays");
  });
});

describe("Postgres: a burst to one host at its per-host cap", () => {
  it("drains without waiting for a poll: committed attempts free the host's share for the next claim", async () => {
    const schema = freshSchema();
    // the per-host count comes from the database; rows stay `delivering` until their attempt
    // commits, so a claim made between the HTTP answer and the commit finds the host full
    const server = await startTestServer({
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      DELIVERY_CONCURRENCY: "16",
      DELIVERY_PER_HOST_CONCURRENCY: "16",
      POLL_MS: "60000",
    });
    const rx = await startReceiver([200]);
    try {
      const { enqueueDelivery } = await import("./helpers/enqueue.ts");
      await server.delivery.stop(0);
      for (let i = 0; i < 600; i++) await enqueueDelivery(server.store, `${rx.url}/h`);
      server.delivery.start();
      // the pump's idle sleep is 60 s: a lost wake-up leaves rows pending far beyond this
      await rx.waitFor(600, 20_000);
      assert.equal(await server.store.countDeliveries("pending"), 0);
    } finally {
      await server.cleanup();
      await rx.close();
      await dropSchema(schema);
    }
  });
});

for (const store of ["sqlite", "postgres"] as const) {
  describe(`${store}: a backlog of 100k retries not yet due`, () => {
    it("does not slow steady deliveries to a healthy host (p99 within 2× of no backlog)", async () => {
      const schema = freshSchema();
      const env: Record<string, string> =
        store === "postgres" ? { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema } : {};
      const server = await startTestServer(env);
      const rx = await startReceiver([200]);
      try {
        const { enqueueDelivery } = await import("./helpers/enqueue.ts");
        /** 200/s for 3 s; enqueue→receive latencies */
        const steady = async () => {
          const sentAt = new Map<string, number>();
          const before = rx.received.length;
          for (let tick = 0; tick < 60; tick++) {
            for (let i = 0; i < 10; i++) {
              const { jobId } = await enqueueDelivery(server.store, `${rx.url}/h`);
              sentAt.set(jobId, Date.now());
            }
            server.delivery.kick();
            await new Promise((r) => setTimeout(r, 50));
          }
          await rx.waitFor(before + 600, 30_000);
          return rx.received
            .slice(before)
            .map((r) => r.at - sentAt.get((r.json as { request_id: string }).request_id)!);
        };
        const quiet = percentile(await steady(), 99);
        await addRetryBacklog(server, store, schema, 100_000);
        const loaded = percentile(await steady(), 99);
        console.log(
          `${store}: steady 200/s p99 ${quiet} ms without backlog, ${loaded} ms with 100k retries pending`,
        );
        assert.ok(
          loaded <= Math.max(2 * quiet, 50),
          `p99 ${loaded} ms with the backlog vs ${quiet} ms without`,
        );
      } finally {
        await server.cleanup();
        await rx.close();
        if (store === "postgres") await dropSchema(schema);
      }
    });
  });
}

/** 100k pending retries due tomorrow, written straight into the database. */
async function addRetryBacklog(server: TestServer, store: "sqlite" | "postgres", schema: string, n: number) {
  const later = Date.now() + 86_400_000;
  const { enqueueDelivery } = await import("./helpers/enqueue.ts");
  const { jobId } = await enqueueDelivery(server.store, "http://127.0.0.1:9/backlog", { now: later });
  const backlog = { prefix: "b", n, at: later, jobId, url: "http://127.0.0.1:9/backlog" };
  if (store === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(join(server.dataDir, "callscribe.sqlite"));
    insertSqliteBacklog(db, backlog);
    db.close();
    return;
  }
  const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await db.connect();
  await insertPostgresBacklog(db, backlog);
  await db.end();
}

describe("BLOB_URL: audio in an S3-compatible bucket", () => {
  const creds = { accessKeyId: "AKIDTEST", secretAccessKey: "s3-secret-key-xyz" };
  it("the api stores the upload in the bucket (SigV4), the worker reads it from there", async () => {
    const { startS3Double } = await import("./helpers/s3-server.ts");
    const s3 = await startS3Double(creds, "eu-test-1");
    const schema = freshSchema();
    const tmp = tempDir();
    const rx = await startReceiver([200]);
    const env = {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      BLOB_URL: `${s3.url}/audio-bucket/calls`,
      BLOB_ACCESS_KEY_ID: creds.accessKeyId,
      BLOB_SECRET_ACCESS_KEY: creds.secretAccessKey,
      BLOB_REGION: "eu-test-1",
    };
    const api = await startTestServer(env, { role: "api" });
    const worker = await startTestServer(env, { role: "worker" });
    try {
      const wav = writeWav(join(tmp.dir, "hi.wav"), sayPcm("Hello there, thanks for calling."));
      const form = new FormData();
      form.append("call_uuid", "s3-1");
      form.append("callback_url", `${rx.url}/h`);
      form.append("file", new Blob([readFileSync(wav)]), "hi.wav");
      const res = await fetch(`${api.url}/transcribe`, { method: "POST", body: form });
      assert.equal(res.status, 202);
      const [hit] = await rx.waitFor(1, 60_000);
      const body = s001Shape.parse(hit!.json);
      const key = `/audio-bucket/calls/${body.data.id}`;
      assert.deepEqual(s3.objects.get(key), readFileSync(wav), "the bucket holds the uploaded bytes");
      assert.deepEqual(
        s3.requests.map((r) => [r.method, r.path, r.signed]),
        [
          ["PUT", key, true],
          ["GET", key, true],
        ],
      );
      const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await db.connect();
      const n = (await db.query("SELECT count(*)::int AS n FROM audio_blobs")).rows[0].n;
      await db.end();
      assert.equal(n, 0, "nothing in the database");
    } finally {
      await api.cleanup();
      await worker.cleanup();
      await rx.close();
      await s3.close();
      await dropSchema(schema);
      tmp.cleanup();
    }
  });

  it("a wrong secret fails with a clear message that names neither key", async () => {
    const { startS3Double } = await import("./helpers/s3-server.ts");
    const { createS3Blobs } = await import("../src/store/blobs-s3.ts");
    const s3 = await startS3Double(creds, "eu-test-1");
    const tmp = tempDir();
    try {
      const file = writeWav(join(tmp.dir, "a.wav"), sayPcm("Hi."));
      const wrong = createS3Blobs({
        url: `${s3.url}/b`,
        accessKeyId: "AKIDTEST",
        secretAccessKey: "nope-wrong",
        region: "eu-test-1",
      });
      await assert.rejects(wrong.put("a.wav", file), (e: Error) => {
        assert.match(
          e.message,
          /storing audio a\.wav at http:\/\/127\.0\.0\.1:\d+\/b\/ failed: HTTP 403 .*SignatureDoesNotMatch/,
        );
        assert.ok(!e.message.includes("nope-wrong") && !e.message.includes("AKIDTEST"));
        return true;
      });
      const right = createS3Blobs({ url: `${s3.url}/b`, ...creds, region: "eu-test-1" });
      await right.put("a.wav", file);
      await right.fetch("a.wav", join(tmp.dir, "copy.wav"));
      assert.deepEqual(readFileSync(join(tmp.dir, "copy.wav")), readFileSync(file));
      await right.remove("a.wav");
      await assert.rejects(right.fetch("a.wav", join(tmp.dir, "gone.wav")), /HTTP 404/);
    } finally {
      await s3.close();
      tmp.cleanup();
    }
  });
});
