/**
 * The Store contract, run against a real SQLite file. Written as a function of a store factory so
 * the Postgres implementation can run the same cases.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres.ts";
import { LISTENER_APPLICATION_NAME } from "../src/store/postgres-listener.ts";
import * as Q from "../src/store/postgres-sql.ts";
import { loadMigrations } from "../src/store/migrate.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { movableBodies, openSqliteStoreThread } from "../src/store/sqlite-thread.ts";
import {
  LeaseLostError,
  type ClaimOptions,
  type JobQuery,
  type Lease,
  type NewAttempt,
  type NewDelivery,
  type NewJob,
  type Store,
} from "../src/store/types.ts";
import { insertPostgresBacklog } from "./helpers/backlog.ts";
import { enqueueDelivery } from "./helpers/enqueue.ts";
import { waitFor } from "./helpers/poll.ts";
import { dropSchema, freshSchema, PG_URL } from "./helpers/postgres.ts";

const delivery = (id: string): NewDelivery => ({
  id,
  event: "transcriptDelivered",
  url: "http://127.0.0.1:9/h",
  policy: "makimoto",
  authHeaderName: "X-Token",
  authHeaderValue: "secret",
  body: '{"status":"S001"}',
});

/** A finished-job candidate with nothing in it but its id and time. */
const bareJob = (id: string, now: number): NewJob => ({
  id,
  kind: "transcription",
  callUuid: "c",
  params: {},
  audioName: null,
  now,
});

type Opened = { store: Store; dispose(): Promise<void> | void };

function storeContract(name: string, open: () => Promise<Opened>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void> | void;
    beforeEach(async () => ({ store, dispose } = await open()));
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    const newJob = (id: string, now: number) =>
      store.createJob({
        id,
        kind: "transcription",
        callUuid: `c-${id}`,
        params: { a: 1 },
        audioName: "x.wav",
        now,
      });

    it("lists jobs newest first by owner and filters, pages by (created_at, id), without results", async () => {
      const make = (
        id: string,
        now: number,
        owner: string | null,
        kind: "transcription" | "tags",
        lang = "en",
      ) =>
        store.createJob({
          id,
          kind,
          callUuid: `call-${id.slice(0, 1)}`,
          params: { lang },
          audioName: null,
          now,
          owner,
        });
      await make("a1", 10, "A", "transcription");
      await make("a2", 20, "A", "tags");
      await make("a3", 20, "A", "transcription", "es");
      await make("b1", 30, "B", "transcription");
      await make("n1", 40, null, "transcription");
      await store.claimNextJob(50);
      await store.finishJob(
        "a1",
        { status: "succeeded", result: { metadata: { audio_duration: 12.5 } } },
        null,
        60,
      );
      const ids = async (q: Partial<JobQuery>) =>
        (await store.listJobs({ limit: 10, ...q })).map((j) => j.id);
      assert.deepEqual(await ids({ owner: "A" }), ["a3", "a2", "a1"]);
      assert.deepEqual(await ids({ owner: null }), ["n1"]);
      assert.deepEqual(await ids({}), ["n1", "b1", "a3", "a2", "a1"]);
      assert.deepEqual(await ids({ owner: "A", kind: "transcription" }), ["a3", "a1"]);
      assert.deepEqual(await ids({ owner: "A", lang: "es" }), ["a3"]);
      assert.deepEqual(await ids({ owner: "A", status: "succeeded" }), ["a1"]);
      assert.deepEqual(await ids({ owner: "A", createdAfter: 10 }), ["a3", "a2"]);
      assert.deepEqual(await ids({ jobId: "b1" }), ["b1"]);
      assert.deepEqual(await ids({ callUuid: "call-a" }), ["a3", "a2", "a1"]);
      assert.deepEqual(await ids({ owner: "A", limit: 2 }), ["a3", "a2"]);
      assert.deepEqual(await ids({ owner: "A", before: { createdAt: 20, id: "a2" } }), ["a1"]);
      assert.deepEqual(await ids({ owner: "A", before: { createdAt: 20, id: "a3" } }), ["a2", "a1"]);
      const [a1] = await store.listJobs({ limit: 1, jobId: "a1" });
      assert.equal(a1?.result, null, "listings leave results out");
      assert.equal(a1?.audioSeconds, 12.5);
      assert.equal(a1?.owner, "A");
    });

    it("deletes a job's data: result, text sources and webhook bodies; rows stay; usage remains", async () => {
      await store.createJob({
        id: "s1",
        kind: "summary",
        callUuid: "c",
        params: { source: { kind: "text", text: "card 4111" }, callbackUrl: "http://127.0.0.1/x" },
        audioName: null,
        now: 10,
        owner: "A",
      });
      await newJob("t1", 11);
      await store.claimNextJob(12);
      await store.claimNextJob(12);
      await store.finishJob(
        "s1",
        { status: "succeeded", result: { summary: "card 4111" } },
        delivery("d1"),
        13,
      );
      await store.finishJob(
        "t1",
        { status: "succeeded", result: { metadata: { audio_duration: 30 } } },
        null,
        13,
      );
      assert.equal(await store.usageSeconds(undefined, 0), 30);
      assert.equal(await store.deleteJobData("s1", 20), true);
      assert.equal(await store.deleteJobData("s1", 21), false, "once");
      assert.equal(await store.deleteJobData("t1", 22), true);
      const s1 = await store.getJob("s1");
      assert.equal(s1?.result, null);
      assert.equal(s1?.deletedAt, 20);
      assert.equal(JSON.stringify(s1?.params).includes("4111"), false);
      const [listed] = await store.deliveriesForJob("s1");
      assert.equal("body" in listed!, false, "a listing reads no body");
      const d = await store.getDelivery(listed!.id);
      assert.equal(d?.body, "");
      assert.equal(d?.state, "abandoned", "a pending webhook of a deleted job is not sent");
      assert.equal(await store.usageSeconds(undefined, 0), 30, "usage counts deleted jobs");
      assert.equal(await store.usageSeconds("A", 0), 0);
      assert.equal(await store.usageSeconds(undefined, 12), 0, "since");
    });

    it("claims queued jobs oldest first, one at a time", async () => {
      await newJob("j2", 20);
      await newJob("j1", 10);
      assert.equal((await store.claimNextJob(30))?.id, "j1");
      assert.equal((await store.claimNextJob(31))?.id, "j2");
      assert.equal(await store.claimNextJob(32), null);
      assert.equal(await store.countJobs("processing"), 2);
    });

    it("finishes a job and queues its delivery together", async () => {
      await newJob("j1", 10);
      await store.claimNextJob(11);
      await store.finishJob("j1", { status: "succeeded", result: { x: [1] } }, delivery("d1"), 12);
      const job = await store.getJob("j1");
      assert.equal(job?.status, "succeeded");
      assert.deepEqual(job?.result, { x: [1] });
      assert.deepEqual(job?.params, { a: 1 });
      const [d] = await store.deliveriesForJob("j1");
      assert.equal(d?.state, "pending");
      assert.equal(d?.nextAttemptAt, 12);
      assert.equal(d?.authHeaderValue, "secret");
    });

    it("writes neither the outcome nor the delivery when the transaction fails", async () => {
      await newJob("j1", 10);
      await newJob("j2", 10);
      await store.finishJob(
        "j1",
        { status: "failed", errorCode: "x", errorMessage: "y" },
        delivery("dup"),
        12,
      );
      await assert.rejects(store.finishJob("j2", { status: "succeeded", result: {} }, delivery("dup"), 13));
      assert.equal((await store.getJob("j2"))?.status, "queued");
      assert.equal((await store.deliveriesForJob("j2")).length, 0);
    });

    it("claims due deliveries only, records attempts append-only, and restarts a series", async () => {
      await newJob("j1", 10);
      await store.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 100);
      assert.deepEqual(await store.claimDueDeliveries(99, 10), []);
      const [d] = await store.claimDueDeliveries(100, 10);
      assert.equal(d?.state, "delivering");
      assert.deepEqual(await store.claimDueDeliveries(100, 10), [], "not claimed twice");
      assert.equal(await store.restartDelivery("d1", 101), null, "no restart while in flight");

      const attempt = {
        deliveryId: "d1",
        series: 1,
        startedAt: 100,
        latencyMs: 5,
        errorDetail: null,
        urlHost: "127.0.0.1:9",
        responseSnippet: "oops",
      };
      await store.recordAttempts(
        [
          {
            attempt: { ...attempt, attemptNo: 1, statusCode: 500, errorClass: "http_5xx" },
            update: { state: "pending", nextAttemptAt: 200 },
          },
        ],
        105,
      );
      assert.equal(await store.nextDueAt(), 200);
      await store.claimDueDeliveries(200, 10);
      await store.recordAttempts(
        [
          {
            attempt: { ...attempt, attemptNo: 2, statusCode: null, errorClass: "timeout" },
            update: { state: "abandoned", nextAttemptAt: null },
          },
        ],
        205,
      );
      let row = await store.getDelivery("d1");
      assert.equal(row?.state, "abandoned");
      assert.equal(row?.lastStatusCode, 500, "last HTTP status received is kept");
      assert.equal(row?.attemptsInSeries, 2);
      const { body, ...info } = row!;
      assert.ok(body.length > 0);
      assert.deepEqual(
        await store.listDeliveries({ state: "abandoned", limit: 10 }),
        [info],
        "a listing has every field of the delivery but its body",
      );

      row = await store.restartDelivery("d1", 300);
      assert.equal(row?.series, 2);
      assert.equal(row?.attemptsInSeries, 0);
      assert.equal(row?.state, "pending");
      const attempts = await store.attemptsFor("d1");
      assert.deepEqual(
        attempts.map((a) => [a.series, a.attemptNo, a.statusCode, a.errorClass]),
        [
          [1, 1, 500, "http_5xx"],
          [1, 2, null, "timeout"],
        ],
      );
    });

    it("lists deliveries by host, event and creation time; receiver figures per host over a window", async () => {
      const job = async (id: string, owner: string | null, url: string, at: number, summary = false) => {
        await store.createJob({
          id,
          kind: "transcription",
          callUuid: id,
          params: {},
          audioName: null,
          now: at,
          owner,
        });
        const d = { ...delivery(`d${id}`), url, ...(summary && { event: "summaryDelivered" as const }) };
        await store.finishJob(id, { status: "succeeded", result: {} }, d, at);
      };
      await job("1", "A", "http://a.example:8080/x", 100);
      await job("2", "B", "http://b.example/y", 200, true);
      await job("3", "A", "http://A.example:8080/z", 300);
      const ids = async (f: Parameters<Store["listDeliveries"]>[0]) =>
        (await store.listDeliveries(f)).map((d) => d.id);
      assert.deepEqual(await ids({ host: "a.example:8080", limit: 10 }), ["d3", "d1"]);
      assert.deepEqual(await ids({ event: "summaryDelivered", limit: 10 }), ["d2"]);
      assert.deepEqual(await ids({ since: 200, limit: 10 }), ["d3", "d2"]);
      assert.deepEqual(await ids({ until: 200, limit: 10 }), ["d1"]);
      assert.deepEqual(await ids({ host: "a.example:8080", since: 150, state: "pending", limit: 10 }), [
        "d3",
      ]);
      assert.deepEqual(await ids({ owner: "B", limit: 10 }), ["d2"]);

      const attempt = (deliveryId: string, n: number, at: number, ms: number, status: number) => ({
        attempt: {
          deliveryId,
          series: 1,
          attemptNo: n,
          startedAt: at,
          latencyMs: ms,
          statusCode: status,
          errorClass: status < 300 ? null : ("http_5xx" as const),
          errorDetail: null,
          urlHost: deliveryId === "d2" ? "b.example" : "a.example:8080",
          responseSnippet: null,
        },
        update: { state: status < 300 ? ("delivered" as const) : ("pending" as const), nextAttemptAt: null },
      });
      // d1: ten attempts 10..100 ms, 1000..1900, the last one answered; d2: one before the window
      await store.recordAttempts(
        Array.from({ length: 10 }, (_, i) =>
          attempt("d1", i + 1, 1000 + i * 100, (i + 1) * 10, i === 9 ? 200 : 500),
        ),
        2000,
      );
      await store.recordAttempts([attempt("d2", 1, 500, 999, 500), attempt("d2", 2, 1500, 5, 204)], 2000);

      const stats = await store.receiverStats({ since: 1000, now: 2000, bucketMs: 500 });
      assert.deepEqual(stats, [
        {
          host: "a.example:8080",
          attempts: 10,
          succeeded: 1,
          p50LatencyMs: 50,
          p99LatencyMs: 100,
          pending: 1,
          buckets: [
            { attempts: 5, succeeded: 0 },
            { attempts: 5, succeeded: 1 },
          ],
        },
        {
          host: "b.example",
          attempts: 1,
          succeeded: 1,
          p50LatencyMs: 5,
          p99LatencyMs: 5,
          pending: 0,
          buckets: [
            { attempts: 0, succeeded: 0 },
            { attempts: 1, succeeded: 1 },
          ],
        },
      ]);
      const mine = await store.receiverStats({ since: 1000, now: 2000, bucketMs: 500, owner: "B" });
      assert.deepEqual(
        mine.map((s) => [s.host, s.attempts, s.pending]),
        [["b.example", 1, 0]],
      );
      assert.deepEqual(await store.receiverStats({ since: 3000, now: 4000, bucketMs: 1000, owner: "B" }), []);
    });

    it("start-up recovery (all leases) requeues interrupted jobs and releases in-flight deliveries", async () => {
      await newJob("j1", 10);
      await newJob("j2", 10);
      await store.claimNextJob(11, A(1000));
      await store.finishJob("j2", { status: "succeeded", result: {} }, delivery("d2"), 12);
      await store.claimDueDeliveries(12, 10, { lease: A(1000) });
      assert.deepEqual(await store.expireLeases(50), { jobs: 0, deliveries: 0 }, "leases still live");
      assert.deepEqual(await store.expireLeases(50, { all: true }), { jobs: 1, deliveries: 1 });
      assert.equal((await store.getJob("j1"))?.status, "queued");
      const d = await store.getDelivery("d2");
      assert.equal(d?.state, "pending");
      assert.equal(d?.nextAttemptAt, 50);
    });

    it("job leases: heartbeat, expiry, takeover; the old holder can neither renew nor finish", async () => {
      await newJob("j1", 10);
      const first = await store.claimNextJob(11, A(100));
      assert.deepEqual([first?.id, first?.attempts], ["j1", 1]);
      assert.equal(await store.extendJobLease("j1", A(200)), true);
      assert.deepEqual(await store.expireLeases(150), { jobs: 0, deliveries: 0 }, "renewed lease holds");
      assert.deepEqual(await store.expireLeases(250), { jobs: 1, deliveries: 0 });
      const second = await store.claimNextJob(260, B(1000));
      assert.deepEqual([second?.id, second?.attempts], ["j1", 2], "each claim counts");
      assert.equal(await store.extendJobLease("j1", A(2000)), false);
      await assert.rejects(
        store.finishJob("j1", { status: "succeeded", result: {} }, delivery("dA"), 270, null, "A"),
        LeaseLostError,
      );
      assert.equal((await store.deliveriesForJob("j1")).length, 0, "the stale finish wrote nothing");
      await store.finishJob(
        "j1",
        { status: "succeeded", result: { by: "B" } },
        delivery("dB"),
        280,
        null,
        "B",
      );
      assert.deepEqual((await store.getJob("j1"))?.result, { by: "B" });
    });

    it("claims return routing columns only; the body is read separately", async () => {
      await newJob("j1", 10);
      await store.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 12);
      const [claimed] = await store.claimDueDeliveries(12, 10, { lease: A(1000) });
      assert.equal(claimed?.id, "d1");
      assert.ok(!("body" in claimed!) && !("authHeaderValue" in claimed!));
      // the body as stored: text (Postgres) or its UTF-8 bytes (SQLite), never re-serialized
      const contents = [...(await store.deliveryContents(["d1", "nope"]))].map(([id, c]) => [
        id,
        { ...c, body: Buffer.from(c.body).toString("utf8") },
      ]);
      assert.deepEqual(contents, [
        ["d1", { body: '{"status":"S001"}', authHeaderName: "X-Token", authHeaderValue: "secret" }],
      ]);
    });

    it("claimSendable: the claim and then the contents of what it claimed, in due order", async () => {
      for (const [job, id, at] of [
        ["j1", "d1", 12],
        ["j2", "d2", 11],
        ["j3", "d3", 30],
      ] as const) {
        await newJob(job, at - 1);
        await store.finishJob(job, { status: "succeeded", result: {} }, delivery(id), at);
      }
      const sendable = await store.claimSendable(20, 10, { lease: A(1000) });
      assert.deepEqual(
        sendable.map((d) => [d.id, d.state, Buffer.from(d.body).toString("utf8"), d.authHeaderValue]),
        [
          ["d2", "delivering", '{"status":"S001"}', "secret"],
          ["d1", "delivering", '{"status":"S001"}', "secret"],
        ],
        "due rows only, earliest first, each with its body and auth header",
      );
      assert.equal((await store.getDelivery("d1"))?.state, "delivering", "claimed under the lease");
      assert.deepEqual(await store.claimSendable(20, 10, { lease: A(1000) }), [], "not claimed twice");
    });

    it("an attempt by a worker that lost the delivery's lease is not recorded", async () => {
      await newJob("j1", 10);
      await store.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 12);
      const [d] = await store.claimDueDeliveries(12, 10, { lease: A(100) });
      await store.expireLeases(200);
      await store.claimDueDeliveries(200, 10, { lease: B(1000) });
      const attempt = answered(d!, 201);
      assert.equal(await store.recordAttempts([{ attempt, update: delivered }], 202, "A"), 0);
      assert.equal((await store.getDelivery("d1"))?.state, "delivering");
      assert.equal(await store.recordAttempts([{ attempt, update: delivered }], 203, "B"), 1);
      assert.equal((await store.getDelivery("d1"))?.state, "delivered");
      assert.equal((await store.attemptsFor("d1")).length, 1);
    });

    it("refuses an attempt for a delivery that does not exist", async () => {
      const attempt = answered({ id: "nowhere", series: 1, host: "127.0.0.1:9" }, 5);
      await assert.rejects(store.recordAttempts([{ attempt, update: delivered }], 6), /foreign key/i);
      assert.deepEqual(await store.attemptsFor("nowhere"), []);
    });

    it("a host left out or at its cap hides no other host's due rows behind its backlog", async () => {
      for (let i = 0; i < 30; i++) {
        await newJob(`a${i}`, 10);
        await store.finishJob(`a${i}`, { status: "succeeded", result: {} }, delivery(`da${i}`), 1000 + i);
      }
      const elsewhere = async (id: string, port: number, at: number) => {
        await newJob(id, 10);
        await store.finishJob(
          id,
          { status: "succeeded", result: {} },
          { ...delivery(`d${id}`), url: `http://127.0.0.1:${port}/h` },
          at,
        );
      };
      await elsewhere("b", 8, 2000);
      await elsewhere("c", 7, 2001);
      const busy = "127.0.0.1:9";
      const ids = (ds: Array<{ id: string }>) => ds.map((d) => d.id);
      // left out (an open circuit, this worker's window full): only the other hosts' rows
      assert.deepEqual(
        ids(await store.claimDueDeliveries(5000, 1, { lane: "first", excludeHosts: [busy] })),
        ["db"],
      );
      // at its cap across workers: 2 in flight, cap 2
      const first = await store.claimDueDeliveries(5000, 2, { lane: "first", lease: A(9000), perHost: 2 });
      assert.deepEqual(ids(first), ["da0", "da1"]);
      const next = await store.claimDueDeliveries(5001, 4, {
        lane: "first",
        lease: A(9000),
        perHost: 2,
        inFlight: { [busy]: 2 },
      });
      assert.deepEqual(ids(next), ["dc"]);
      // an operator's "send now" passes for a host left out
      await newJob("f", 10);
      await store.finishJob("f", { status: "succeeded", result: {} }, delivery("df"), 3000);
      await store.restartDelivery("df", 5002, { force: true });
      const forced = await store.claimDueDeliveries(5003, 4, { lane: "first", excludeHosts: [busy] });
      assert.deepEqual(ids(forced), ["df"]);
      // and for a host at its cap, behind a window full of its own rows
      await newJob("g", 10);
      await store.finishJob("g", { status: "succeeded", result: {} }, delivery("dg"), 3001);
      await store.restartDelivery("dg", 5004, { force: true });
      const forcedAtCap = await store.claimDueDeliveries(5005, 4, {
        lane: "first",
        perHost: 2,
        inFlight: { [busy]: 2 },
      });
      assert.deepEqual(ids(forcedAtCap), ["dg"]);
    });

    it("past a window crowded by a host at its cap, the other hosts in the window keep their rows", async () => {
      const finish = async (id: string, at: number, url?: string) => {
        await newJob(id, 10);
        const d = delivery(`d${id}`);
        await store.finishJob(id, { status: "succeeded", result: {} }, url ? { ...d, url } : d, at);
      };
      for (let i = 0; i < 6; i++) await finish(`a${i}`, 1000 + 2 * i);
      await finish("w", 1003, "http://127.0.0.1:8/h");
      await finish("x", 2000, "http://127.0.0.1:7/h");
      const ids = (ds: Array<{ id: string }>) => ds.map((d) => d.id);
      // the busy host reaches its cap of 2 (counted in the database on Postgres, given on SQLite)
      const first = await store.claimDueDeliveries(5000, 2, { lane: "first", lease: A(9000), perHost: 2 });
      assert.deepEqual(ids(first), ["da0", "da1"]);
      // the next window of 4 is dw, da2, da3, da4: dw is picked there, dx beyond it
      const next = await store.claimDueDeliveries(5001, 2, {
        lane: "first",
        lease: A(9000),
        perHost: 2,
        inFlight: { "127.0.0.1:9": 2 },
      });
      assert.deepEqual(ids(next), ["dw", "dx"]);
    });

    it("a worker's deliveries whose request is over no longer count against the per-host cap", async () => {
      for (let i = 0; i < 6; i++) {
        await newJob(`s${i}`, 10);
        await store.finishJob(`s${i}`, { status: "succeeded", result: {} }, delivery(`ds${i}`), 1000 + i);
      }
      const host = "127.0.0.1:9";
      const ids = (ds: Array<{ id: string }>) => ds.map((d) => d.id);
      const claim = (o: Partial<ClaimOptions>) =>
        store.claimDueDeliveries(2000, 4, { lane: "first", lease: A(9000), perHost: 2, ...o });
      assert.deepEqual(ids(await claim({})), ["ds0", "ds1"]);
      assert.deepEqual(ids(await claim({ inFlight: { [host]: 2 } })), [], "at its cap");
      // ds0's request is over, its attempt record not committed yet: it is still delivering
      assert.deepEqual(ids(await claim({ inFlight: { [host]: 1 }, settling: ["ds0"] })), ["ds2"]);
      assert.equal((await store.getDelivery("ds0"))?.state, "delivering");
    });

    it("gives claimed deliveries back unsent, only those the worker still holds", async () => {
      for (const id of ["r1", "r2"]) {
        await newJob(id, 10);
        await store.finishJob(id, { status: "succeeded", result: {} }, delivery(`d${id}`), 1000);
      }
      const claimed = await store.claimDueDeliveries(1000, 2, { lane: "first", lease: A(9000) });
      assert.equal(claimed.length, 2);
      assert.equal(await store.releaseDeliveries(["dr1", "dr2"], 1001, "B"), 0, "not B's to give back");
      assert.equal(await store.releaseDeliveries(["dr1"], 1001, "A"), 1);
      const back = await store.getDelivery("dr1");
      assert.equal(back?.state, "pending");
      assert.equal(back?.attemptsInSeries, 0, "no attempt spent");
      assert.deepEqual(await store.attemptsFor("dr1"), []);
      assert.equal((await store.getDelivery("dr2"))?.state, "delivering");
      const again = await store.claimDueDeliveries(1002, 2, { lane: "first", lease: B(9000) });
      assert.deepEqual(
        again.map((d) => d.id),
        ["dr1"],
        "claimable again at once",
      );
    });

    it("claims ignore pending rows that are not due, in either lane", async () => {
      await newJob("j1", 10);
      await store.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 1000);
      assert.deepEqual(await store.claimDueDeliveries(999, 10, { lane: "first" }), []);
      assert.equal(await store.nextDueAt({ lane: "first" }), 1000);
      assert.equal(await store.nextDueAt({ lane: "retry" }), null);
      const [d] = await store.claimDueDeliveries(1000, 10, { lane: "first", lease: A(5000) });
      const retry = { state: "pending" as const, nextAttemptAt: 3000 };
      await store.recordAttempts(
        [
          {
            attempt: {
              deliveryId: "d1",
              series: d!.series,
              attemptNo: 1,
              startedAt: 1001,
              latencyMs: 1,
              statusCode: 500,
              errorClass: "http_5xx",
              errorDetail: null,
              urlHost: d!.host,
              responseSnippet: null,
            },
            update: retry,
          },
        ],
        1002,
        "A",
      );
      assert.deepEqual(await store.claimDueDeliveries(2999, 10, { lane: "retry" }), []);
      assert.deepEqual(
        await store.claimDueDeliveries(5000, 10, { lane: "first" }),
        [],
        "retries are not first attempts",
      );
      assert.equal(await store.nextDueAt({ lane: "retry" }), 3000);
      assert.equal((await store.claimDueDeliveries(3000, 10, { lane: "retry" }))[0]?.id, "d1");
    });
  });
}

/** A 200 answer to a delivery's first attempt in its series. */
const answered = (d: { id: string; series: number; host: string }, startedAt: number): NewAttempt => ({
  deliveryId: d.id,
  series: d.series,
  attemptNo: 1,
  startedAt,
  latencyMs: 1,
  statusCode: 200,
  errorClass: null,
  errorDetail: null,
  urlHost: d.host,
  responseSnippet: null,
});
const delivered = { state: "delivered" as const, nextAttemptAt: null };

const A = (until: number): Lease => ({ workerId: "A", until });
const B = (until: number): Lease => ({ workerId: "B", until });

storeContract("sqlite", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
  return {
    store: openSqliteStore(path.join(dir, "db.sqlite")),
    dispose: () => rmSync(dir, { recursive: true }),
  };
});

// the server's default: every call goes to the one connection on the store's own thread
storeContract("sqlite on its own thread", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
  return {
    store: await openSqliteStoreThread(path.join(dir, "db.sqlite")),
    dispose: () => rmSync(dir, { recursive: true }),
  };
});

describe("sqlite on its own thread", () => {
  it("keeps call order, rebuilds LeaseLostError, and reports a file it cannot open", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
    const store = await openSqliteStoreThread(path.join(dir, "db.sqlite"));
    try {
      // issued in one tick without awaiting: a read after a write sees it
      const created = store.createJob(bareJob("j1", 1));
      const read = store.getJob("j1");
      await created;
      assert.equal((await read)?.id, "j1");
      await store.claimNextJob(2, A(1000));
      await assert.rejects(
        store.finishJob("j1", { status: "succeeded", result: {} }, null, 3, null, "B"),
        (e: unknown) => e instanceof LeaseLostError,
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true });
    }
    await assert.rejects(
      openSqliteStoreThread(path.join(dir, "missing", "db.sqlite")),
      /directory does not exist|unable to open/,
    );
  });

  it("carries every field of an attempt record and of a claimed row across the thread", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
    const file = path.join(dir, "db.sqlite");
    const thread = await openSqliteStoreThread(file);
    try {
      await thread.createJob(bareJob("j1", 1));
      await thread.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 2);
      const [claimed] = await thread.claimSendable(3, 10, { lease: A(1000), settling: ["other"] });
      assert.ok(claimed);
      const { body, authHeaderName, authHeaderValue, ...routing } = claimed;
      const stored = await thread.getDelivery("d1");
      assert.deepEqual(
        { ...routing, body, authHeaderName, authHeaderValue },
        { ...stored, seq: routing.seq, body: '{"status":"S001"}' },
        "the claimed row as the store reads it",
      );
      assert.deepEqual(
        [routing.state, routing.series, routing.attemptsInSeries, authHeaderName, authHeaderValue],
        ["delivering", 1, 0, "X-Token", "secret"],
      );

      const attempt: NewAttempt = {
        ...answered({ id: "d1", series: 1, host: claimed.host }, 7),
        statusCode: 503,
        errorClass: "http_5xx",
        errorDetail: "receiver answered HTTP 503",
        latencyMs: 12,
        responseSnippet: "busy",
      };
      const recorded = await thread.recordAttempts(
        [{ attempt, update: { state: "pending", nextAttemptAt: 99 } }],
        8,
        "A",
      );
      assert.equal(recorded, 1);
      const [row] = await thread.attemptsFor("d1");
      assert.deepEqual({ ...row, id: undefined }, { ...attempt, id: undefined });
      const after = await thread.getDelivery("d1");
      assert.deepEqual(
        [after?.state, after?.nextAttemptAt, after?.attemptsInSeries, after?.lastStatusCode],
        ["pending", 99, 1, 503],
      );
      await thread.restartDelivery("d1", 9, { force: true });
      const [forced] = await thread.claimSendable(10, 10, { lease: A(1000) });
      assert.deepEqual(
        { ...forced, body: undefined },
        { ...(await thread.getDelivery("d1")), seq: routing.seq, body: undefined, forceSend: true },
        "a row an operator forced, claimed again in a new series",
      );
    } finally {
      await thread.close();
      rmSync(dir, { recursive: true });
    }
  });

  it("moves large bodies to the main thread whole, copies small ones, never moves a view on part of a buffer", async () => {
    const own = (n: number) => new Uint8Array(new ArrayBuffer(n)).fill(120);
    const view = Buffer.from("x".repeat(9000)).subarray(0, 8192); // part of a buffer, as pooled Buffers are
    const large = own(50_000);
    const moved = movableBodies([
      [["a", 1, large, null], ["b", 2, own(500)], ["c", 3, view], ["d", 4, "text"], null],
      [["a", 1, large]],
      { body: own(50_000) },
      [{ body: own(50_000) }],
      undefined,
    ]);
    assert.deepEqual(moved, [large.buffer], "each owned large body once; nothing else");

    const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
    const store = await openSqliteStoreThread(path.join(dir, "db.sqlite"));
    try {
      const bodies = {
        big: JSON.stringify({ pad: "y".repeat(50_000) }),
        small: '{"status":"S001"}',
        // fewer characters than the bytes threshold, more bytes: it is the bytes that count
        wide: JSON.stringify({ pad: "é".repeat(4100) }),
      };
      for (const [id, body] of Object.entries(bodies)) {
        await store.createJob(bareJob(`j-${id}`, 1));
        await store.finishJob(`j-${id}`, { status: "succeeded", result: {} }, { ...delivery(id), body }, 2);
      }
      const sent = await store.claimSendable(3, 10, { lease: A(1000) });
      assert.deepEqual(
        Object.fromEntries(sent.map((d) => [d.id, Buffer.from(d.body).toString("utf8")])),
        bodies,
      );
      const kinds = Object.fromEntries(
        sent.map((d) => [d.id, typeof d.body === "string" ? "text" : "bytes"]),
      );
      assert.deepEqual(kinds, { big: "bytes", small: "text", wide: "bytes" }, "small bodies cross as text");
      assert.equal((await store.getDelivery("big"))?.body, bodies.big, "the stored body is intact");
    } finally {
      await store.close();
      rmSync(dir, { recursive: true });
    }
  });
});

storeContract("postgres", async () => {
  const schema = freshSchema();
  return { store: await openPostgresStore(PG_URL, { schema }), dispose: () => dropSchema(schema) };
});

/** A Postgres store on a fresh schema and a client on that schema, both closed and the schema dropped after `fn`. */
async function withPostgres(fn: (store: Store, db: pg.Client, schema: string) => Promise<void>) {
  const schema = freshSchema();
  const store = await openPostgresStore(PG_URL, { schema });
  const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await db.connect();
  try {
    await fn(store, db, schema);
  } finally {
    await db.end();
    await store.close();
    await dropSchema(schema);
  }
}

describe("postgres: queue table maintenance", () => {
  it("has the delivery state table vacuumed and analyzed after 1 % of its rows change (a queue's statistics go stale fast)", async () => {
    await withPostgres(async (_store, db, schema) => {
      const { rows } = await db.query(
        `SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname IN ('delivery_states', 'delivery_items') ORDER BY c.relname`,
        [schema],
      );
      assert.deepEqual(rows, [
        { relname: "delivery_items", reloptions: null },
        {
          relname: "delivery_states",
          reloptions: ["autovacuum_vacuum_scale_factor=0.01", "autovacuum_analyze_scale_factor=0.01"],
        },
      ]);
    });
  });

  it("sending and recording a delivery leaves its row in delivery_items (the one with the body) untouched", async () => {
    await withPostgres(async (store, db) => {
      const { deliveryId } = await enqueueDelivery(store, "http://127.0.0.1:9/h", { now: 1 });
      const version = async () =>
        (
          await db.query(`SELECT ctid::text, xmin::text, xmax::text FROM delivery_items WHERE id = $1`, [
            deliveryId,
          ])
        ).rows[0];
      const enqueued = await version();
      const [d] = await store.claimDueDeliveries(2, 10, { lease: A(1000) });
      assert.equal(await store.recordAttempts([{ attempt: answered(d!, 3), update: delivered }], 4, "A"), 1);
      // an attempt's foreign key on delivery_items locked the row: xmax became the recorder's transaction
      assert.deepEqual(await version(), enqueued);
      assert.equal((await store.getDelivery(deliveryId))?.state, "delivered");
    });
  });

  it("a claimed row gets entries in two indexes only (primary key, in flight); the lease sweep and listings by state still read an index", async () => {
    await withPostgres(async (store, db) => {
      const { jobId } = await enqueueDelivery(store, "http://127.0.0.1:9/h", { now: 1 });
      await insertPostgresBacklog(db, { prefix: "b", n: 20_000, at: 10, jobId, url: "http://127.0.0.1:9/h" });
      await db.query(
        `UPDATE delivery_states SET state = 'abandoned' WHERE id IN (SELECT id FROM delivery_states ORDER BY id LIMIT 200)`,
      );
      const [claimed] = await store.claimDueDeliveries(100, 10, { lease: A(1000) });
      assert.ok(claimed, "a due row was claimed");
      await db.query("ANALYZE delivery_states, delivery_items");
      const { rows: indexes } = await db.query(
        `SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'delivery_states'::regclass ORDER BY 1`,
      );
      const holding: string[] = [];
      for (const { name, predicate } of indexes as { name: string; predicate: string | null }[]) {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM delivery_states WHERE id = $1 AND (${predicate ?? "true"})`,
          [claimed.id],
        );
        if (rows[0].n === 1) holding.push(name);
      }
      assert.deepEqual(holding, ["deliveries_in_flight", "delivery_states_pkey"]);
      const indexesRead = async (q: Q.Sql) => {
        const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${q.text}`, q.values);
        return [...JSON.stringify(rows[0]["QUERY PLAN"]).matchAll(/"Index Name":"(\w+)"/g)].map((m) => m[1]);
      };
      assert.deepEqual(await indexesRead(Q.expireDeliveries(100, 100)), ["deliveries_in_flight"]);
      const readBy: [Q.Sql, string][] = [
        [Q.listDeliveries({ state: "delivering", limit: 50 }), "deliveries_in_flight"],
        [Q.listDeliveries({ state: "abandoned", limit: 50 }), "deliveries_state_seq"],
        [Q.findDeliveries({ state: "abandoned", limit: 50 }), "deliveries_state_seq"],
      ];
      for (const [q, index] of readBy)
        assert.ok((await indexesRead(q)).includes(index), `${index}: ${q.text}`);
      assert.deepEqual(await indexesRead(Q.countDeliveries("abandoned")), ["deliveries_state_seq"]);
    });
  });
  it("the job claim and the queued count read jobs_queued whatever the statistics say (taken before a burst of jobs)", async () => {
    await withPostgres(async (_store, db) => {
      const insertJobs = (status: string, n: number, from: number) =>
        db.query(
          `INSERT INTO jobs (id, kind, status, call_uuid, params, created_at, updated_at)
           SELECT $1 || g, 'transcription', $1, 'c', '{}', g, g FROM generate_series($2::int, $3::int) g`,
          [status, from, from + n - 1],
        );
      await insertJobs("succeeded", 20_000, 1);
      await db.query("ANALYZE jobs");
      await insertJobs("queued", 2_000, 30_000);
      const plan = async (q: Q.Sql) =>
        JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) ${q.text}`, q.values)).rows[0]["QUERY PLAN"]);
      const readBy: [Q.Sql, string[]][] = [
        [Q.claimJob(1, undefined), ["jobs_pkey", "jobs_queued"]], // the row found, then updated by its id
        [Q.countJobs("queued"), ["jobs_queued"]],
      ];
      for (const [q, indexes] of readBy) {
        const p = await plan(q);
        assert.deepEqual([...p.matchAll(/"Index Name":"(\w+)"/g)].map((m) => m[1]).sort(), indexes, q.text);
        assert.ok(!p.includes('"Node Type":"Sort"'), q.text);
      }
    });
  });
});

describe("postgres: shared by several workers", () => {
  it("a host's cap holds across claimers; SKIP LOCKED never hands a row to two", async () => {
    const schema = freshSchema();
    const [s1, s2] = [
      await openPostgresStore(PG_URL, { schema }),
      await openPostgresStore(PG_URL, { schema }),
    ];
    try {
      for (let i = 0; i < 6; i++) {
        await s1.createJob({
          id: `j${i}`,
          kind: "transcription",
          callUuid: "c",
          params: {},
          audioName: null,
          now: 1,
        });
        await s1.finishJob(`j${i}`, { status: "succeeded", result: {} }, delivery(`d${i}`), 10);
      }
      const [a, b] = await Promise.all([
        s1.claimDueDeliveries(10, 10, { perHost: 2, lease: A(1000) }),
        s2.claimDueDeliveries(10, 10, { perHost: 2, lease: B(1000) }),
      ]);
      const ids = [...a, ...b].map((d) => d.id);
      assert.equal(new Set(ids).size, ids.length, "no delivery claimed twice");
      assert.ok(ids.length >= 2 && ids.length <= 4, `cap of 2 per host (soft under a race): ${ids.length}`);
      assert.deepEqual(
        await s1.claimDueDeliveries(10, 10, { perHost: 2, lease: A(1000) }),
        [],
        "host is at its cap",
      );
      const jobs = await Promise.all([s1.claimNextJob(20, A(1000)), s2.claimNextJob(20, B(1000))]);
      assert.equal(jobs.filter(Boolean).length, 0, "finished jobs are not claimed");
    } finally {
      await s1.close();
      await s2.close();
      await dropSchema(schema);
    }
  });

  it("gives claimed deliveries back at once when their bodies cannot be read", async () => {
    await withPostgres(async (store, db) => {
      await store.createJob(bareJob("j1", 1));
      await store.finishJob("j1", { status: "succeeded", result: {} }, delivery("d1"), 10);
      await db.query("ALTER TABLE delivery_items RENAME COLUMN body TO body_unreadable");
      await assert.rejects(store.claimSendable(20, 10, { lane: "first", lease: A(60_000) }), /body/);
      await db.query("ALTER TABLE delivery_items RENAME COLUMN body_unreadable TO body");
      assert.deepEqual(
        (await db.query("SELECT state, locked_by FROM deliveries WHERE id = 'd1'")).rows,
        [{ state: "pending", locked_by: null }],
        "given back, not held until the lease lapses",
      );
      const again = await store.claimSendable(30, 10, { lane: "first", lease: B(60_000) });
      assert.deepEqual(
        again.map((d) => [d.id, d.body]),
        [["d1", '{"status":"S001"}']],
      );
    });
  });

  it("announces finished jobs to other processes (LISTEN/NOTIFY)", async () => {
    const schema = freshSchema();
    const [s1, s2] = [
      await openPostgresStore(PG_URL, { schema }),
      await openPostgresStore(PG_URL, { schema }),
    ];
    try {
      const heard: string[] = [];
      await s2.subscribe((p) => heard.push(p));
      await s1.createJob({ id: "n1", kind: "summary", callUuid: "c", params: {}, audioName: null, now: 1 });
      await s1.claimNextJob(2, A(1000));
      await s1.finishJob("n1", { status: "succeeded", result: {} }, delivery("dn"), 3, null, "A");
      const deadline = Date.now() + 5000;
      while (heard.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(heard, ["jobs", "deliveries", "job:n1"]);
    } finally {
      await s1.close();
      await s2.close();
      await dropSchema(schema);
    }
  });

  it("listens again after the database drops the connection, and says it was lost and restored", async () => {
    const schema = freshSchema();
    const [s1, s2] = [
      await openPostgresStore(PG_URL, { schema }),
      await openPostgresStore(PG_URL, { schema }),
    ];
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      const heard: string[] = [];
      const changes: string[] = [];
      await s2.subscribe(
        (p) => heard.push(p),
        (c) => changes.push(c.state),
      );
      const { rows } = await db.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND query = $2`,
        [LISTENER_APPLICATION_NAME, `LISTEN ${Q.channelOf(schema)}`],
      );
      assert.deepEqual(rows, [{ ok: true }]);
      await waitFor(() => changes.length >= 2, 10_000, 20);
      assert.deepEqual(changes, ["lost", "restored"]);
      await s1.createJob({ id: "r1", kind: "summary", callUuid: "c", params: {}, audioName: null, now: 1 });
      await waitFor(() => heard.length >= 1, 10_000, 20);
      assert.deepEqual(heard, ["jobs"]);
    } finally {
      await db.end();
      await s1.close();
      await s2.close();
      await dropSchema(schema);
    }
  });

  it("does not wake a deployment in another schema of the same database", async () => {
    const [mine, theirs] = [freshSchema(), freshSchema()];
    const [s1, s2] = [
      await openPostgresStore(PG_URL, { schema: mine }),
      await openPostgresStore(PG_URL, { schema: theirs }),
    ];
    try {
      const heard: string[] = [];
      const heardMine: string[] = [];
      await s2.subscribe((p) => heard.push(p));
      await s1.subscribe((p) => heardMine.push(p));
      await s1.createJob({ id: "x1", kind: "summary", callUuid: "c", params: {}, audioName: null, now: 1 });
      const deadline = Date.now() + 5000;
      while (heardMine.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(heardMine, ["jobs"]);
      assert.deepEqual(heard, [], "the other schema heard nothing");
    } finally {
      await s1.close();
      await s2.close();
      await dropSchema(mine);
      await dropSchema(theirs);
    }
  });
});

describe("sqlite migrations", () => {
  it("apply once, in WAL mode, and are recorded", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
    const file = path.join(dir, "db.sqlite");
    await openSqliteStore(file).close();
    await openSqliteStore(file).close(); // second open must not re-apply
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.deepEqual(db.prepare("SELECT version, name FROM schema_migrations").all(), [
      { version: 1, name: "001_init.sql" },
      { version: 2, name: "002_delivery_engine.sql" },
      { version: 3, name: "003_leases.sql" },
      { version: 4, name: "004_shared_circuits.sql" },
      { version: 5, name: "005_delivery_bodies.sql" },
      { version: 6, name: "006_job_progress.sql" },
      { version: 7, name: "007_jobs_api.sql" },
      { version: 8, name: "008_attempts_started.sql" },
      { version: 9, name: "009_host_heads.sql" },
      { version: 10, name: "010_checks_without_temporary_btrees.sql" },
    ]);
    db.close();
    rmSync(dir, { recursive: true });
  });

  it("state checks build no temporary b-tree, still refuse unknown states, and reach connections already open (010)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
    const file = path.join(dir, "db.sqlite");
    // a database as migration 009 left it, with a job and a delivery, and a connection open on it
    const early = new Database(file);
    early.pragma("journal_mode = WAL");
    early.exec(
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
    );
    for (const m of loadMigrations("sqlite").filter((m) => m.version <= 9)) {
      early.exec(m.sql);
      early.prepare(`INSERT INTO schema_migrations VALUES (?, ?, 0)`).run(m.version, m.name);
    }
    early.exec(`INSERT INTO jobs (id, kind, status, call_uuid, params, created_at, updated_at)
      VALUES ('j', 'transcription', 'succeeded', 'c', '{}', 1, 1);
      INSERT INTO deliveries (id, job_id, event, url, host, state, next_attempt_at, created_at, updated_at)
      VALUES ('d', 'j', 'transcriptDelivered', 'http://127.0.0.1:9/h', '127.0.0.1:9', 'pending', 1, 1, 1);
      INSERT INTO delivery_bodies (delivery_id, body) VALUES ('d', '{}');`);
    const temporaryBtrees = (db: Database.Database, sql: string) =>
      (db.prepare(`EXPLAIN ${sql}`).all() as { opcode: string }[]).filter((r) => r.opcode === "OpenEphemeral")
        .length;
    const stateChange = `UPDATE deliveries SET state = 'delivered' WHERE id = 'x'`;
    const statesOf = (db: Database.Database) =>
      db.prepare(`SELECT state, count(*) AS n FROM deliveries GROUP BY state`).all();
    assert.equal(
      temporaryBtrees(early, stateChange),
      1,
      "009: the CHECK's IN list builds a temporary b-tree",
    );
    const version = early.pragma("schema_version", { simple: true }) as number;

    const store = openSqliteStore(file); // applies 010
    await enqueueDelivery(store, "http://127.0.0.1:9/h", { now: 2 });
    await store.close();
    assert.ok((early.pragma("schema_version", { simple: true }) as number) > version);
    for (const db of [early, new Database(file)]) {
      // the first statement run sees the new schema version and makes the connection read the schema again
      assert.deepEqual(statesOf(db), [{ state: "pending", n: 2 }]);
      assert.equal(temporaryBtrees(db, stateChange), 0);
      assert.equal(temporaryBtrees(db, `UPDATE jobs SET status = 'failed' WHERE id = 'x'`), 0);
      assert.equal(
        temporaryBtrees(
          db,
          `INSERT INTO host_circuits (host, state, failures, updated_at) VALUES ('h', 'open', 1, 1)`,
        ),
        0,
      );
      assert.throws(
        () => db.prepare(`UPDATE deliveries SET state = 'lost'`).run(),
        /CHECK constraint failed/,
      );
      assert.throws(() => db.prepare(`UPDATE jobs SET status = 'lost'`).run(), /CHECK constraint failed/);
      assert.deepEqual(statesOf(db), [{ state: "pending", n: 2 }]);
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      db.close();
    }
    rmSync(dir, { recursive: true });
  });
});
