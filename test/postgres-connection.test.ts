/**
 * Connections to the real server through a loopback TCP relay, so a test can cut them, refuse new
 * ones or make the database stop answering: the listener backs off, listens again once it can and
 * says so; store calls fail within their time limit instead of hanging, and work again after.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { listen, type ListenerChange } from "../src/store/postgres-listener.ts";
import { openPostgresStore } from "../src/store/postgres.ts";
import type { NewJob } from "../src/store/types.ts";
import { dropSchema, freshSchema, PG_URL } from "./helpers/postgres.ts";
import { startPgRelay } from "./helpers/pg-relay.ts";
import { waitFor } from "./helpers/poll.ts";

const until = (done: () => boolean) => waitFor(done, 10_000, 10);

describe("postgres connections that drop or hang", () => {
  it("backs off while the database is unreachable, listens again once it is back, and says so", async () => {
    const relay = await startPgRelay();
    const channel = `callscribe_listener_test_${process.pid}`;
    const heard: string[] = [];
    const changes: ListenerChange["state"][] = [];
    const listener = await listen({
      connection: { connectionString: relay.url },
      channel,
      onNotification: (p) => heard.push(p),
      onChange: (c) => changes.push(c.state),
      backoffMs: { min: 50, max: 400 },
    });
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      await db.query(`SELECT pg_notify($1, 'before')`, [channel]);
      await until(() => heard.length === 1);
      assert.deepEqual(heard, ["before"]);

      relay.refuse();
      relay.cut();
      await until(() => changes.length === 1);
      assert.deepEqual(changes, ["lost"]);
      // down for 1.2 s: tries after 50, 100, 200, 400, 400 ms… (at most 6), not in a loop
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(
        relay.state.refused >= 3 && relay.state.refused <= 6,
        `${relay.state.refused} tries while down`,
      );
      await db.query(`SELECT pg_notify($1, 'while down')`, [channel]);

      relay.forward();
      await until(() => changes.length === 2);
      assert.deepEqual(changes, ["lost", "restored"]);
      await db.query(`SELECT pg_notify($1, 'after')`, [channel]);
      await until(() => heard.length === 2);
      assert.deepEqual(heard, ["before", "after"], "what was announced while down is lost");
    } finally {
      await db.end();
      await listener.close();
      await relay.close();
    }
  });

  it("rejects when the first connection fails, and stays closed once closed", async () => {
    const relay = await startPgRelay();
    relay.refuse();
    await assert.rejects(
      listen({ connection: { connectionString: relay.url }, channel: "c", onNotification: () => {} }),
    );
    relay.forward();
    const changes: string[] = [];
    const listener = await listen({
      connection: { connectionString: relay.url },
      channel: "c",
      onNotification: () => {},
      onChange: (c) => changes.push(c.state),
      backoffMs: { min: 20, max: 20 },
    });
    await listener.close();
    relay.cut();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(changes, [], "a closed listener neither reports nor reconnects");
    assert.equal(relay.state.refused, 1, "only the first, failed connection was refused");
    await relay.close();
  });

  it("store calls fail within the time limit while the database stops answering, and work again after", async () => {
    const relay = await startPgRelay();
    const schema = freshSchema();
    const store = await openPostgresStore(relay.url, { schema, timeoutMs: 300 });
    const job = (id: string): NewJob => ({
      id,
      kind: "summary",
      callUuid: "c",
      params: {},
      audioName: null,
      now: 1,
    });
    const lease = { workerId: "w", until: 10_000 };
    /** rejects, or fails the test if it is still waiting after 5 s */
    const fails = (p: Promise<unknown>) =>
      assert.rejects(
        Promise.race([
          p.then(() => "answered"),
          new Promise((r) => setTimeout(() => r("still waiting after 5 s"), 5000).unref()),
        ]).then((outcome) => {
          if (outcome !== "answered") throw new Error(String(outcome));
        }),
        (err: Error) => !err.message.startsWith("still waiting"),
      );
    try {
      await store.createJob(job("t1"));
      await store.createJob(job("t2"));
      assert.equal((await store.claimNextJob(2, lease))?.id, "t1");
      const finish = () => store.finishJob("t1", { status: "succeeded", result: {} }, null, 3, null, "w");

      relay.stall(); // the pooled connection hangs, new ones are never answered
      await fails(finish()); // a transaction, on the pooled connection
      relay.forward(); // new connections pass again; the hung one stays hung
      await finish(); // so it must not have gone back to the pool
      assert.equal((await store.getJob("t1"))?.status, "succeeded");

      relay.stall();
      await fails(store.claimNextJob(4, lease)); // single statements
      await fails(store.countJobs("queued"));
      relay.forward();
      assert.equal((await store.claimNextJob(5, lease))?.id, "t2");
      assert.equal(await store.countJobs("queued"), 0);
    } finally {
      await relay.close(); // first: ending a client on a hung connection would wait for it
      await store.close();
      await dropSchema(schema);
    }
  });
});
