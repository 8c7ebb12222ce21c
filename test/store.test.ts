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
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { NewDelivery, Store } from "../src/store/types.ts";

const delivery = (id: string): NewDelivery => ({
  id,
  event: "transcriptDelivered",
  url: "http://127.0.0.1:9/h",
  policy: "makimoto",
  authHeaderName: "X-Token",
  authHeaderValue: "secret",
  body: '{"status":"S001"}',
});

function storeContract(name: string, open: () => { store: Store; dispose(): void }) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => void;
    beforeEach(() => ({ store, dispose } = open()));
    afterEach(async () => {
      await store.close();
      dispose();
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
      assert.equal((await store.listDeliveries({ state: "abandoned", limit: 10 })).length, 1);

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

    it("start-up recovery requeues interrupted jobs and releases in-flight deliveries", async () => {
      await newJob("j1", 10);
      await newJob("j2", 10);
      await store.claimNextJob(11);
      await store.finishJob("j2", { status: "succeeded", result: {} }, delivery("d2"), 12);
      await store.claimDueDeliveries(12, 10);
      assert.equal(await store.requeueInterruptedJobs(50), 1);
      assert.equal(await store.releaseInterruptedDeliveries(50), 1);
      assert.equal((await store.getJob("j1"))?.status, "queued");
      const d = await store.getDelivery("d2");
      assert.equal(d?.state, "pending");
      assert.equal(d?.nextAttemptAt, 50);
    });
  });
}

storeContract("sqlite", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "callscribe-store-"));
  return {
    store: openSqliteStore(path.join(dir, "db.sqlite")),
    dispose: () => rmSync(dir, { recursive: true }),
  };
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
    ]);
    db.close();
    rmSync(dir, { recursive: true });
  });
});
