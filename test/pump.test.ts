import assert from "node:assert/strict";
import { test } from "node:test";
import pino from "pino";
import { createPump } from "../src/worker/pump.ts";

/** A pump over a queue of numbers whose handlers finish only when the test says so. */
function harness(opts: {
  concurrency: number;
  prefetch?: number;
  minBatch?: number;
  items: number;
  /** at most this many per claim, as a store holding rows back (a host at its cap) */
  perClaim?: number;
}) {
  const queue = Array.from({ length: opts.items }, (_, i) => i);
  const claims: number[] = [];
  const started: number[] = [];
  const finishers = new Map<number, () => void>();
  const pump = createPump<number>({
    name: "test",
    concurrency: opts.concurrency,
    prefetch: opts.prefetch,
    minBatch: opts.minBatch,
    claim: async (limit) => {
      claims.push(limit);
      return queue.splice(0, Math.min(limit, opts.perClaim ?? limit));
    },
    handle: (item) =>
      new Promise<void>((resolve) => {
        started.push(item);
        finishers.set(item, resolve);
      }),
    nextWakeAt: async () => null,
    logger: pino({ level: "silent" }),
  });
  const finish = async (item: number) => {
    finishers.get(item)!();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { pump, claims, started, finish, queue };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test("prefetch: a freed slot starts an item claimed ahead, without waiting for a claim", async () => {
  const h = harness({ concurrency: 2, prefetch: 2, minBatch: 2, items: 10 });
  h.pump.start();
  await settle();
  assert.deepEqual(h.claims, [4], "one claim fills the slots and the prefetch");
  assert.deepEqual(h.started, [0, 1], "only `concurrency` items run");
  assert.equal(h.pump.inFlight, 4, "claimed items count as in flight");

  await h.finish(0);
  assert.deepEqual(h.started, [0, 1, 2], "the next claimed item started");
  assert.deepEqual(h.claims, [4], "no claim for a single free place (below minBatch)");

  await h.finish(1);
  assert.deepEqual(h.started, [0, 1, 2, 3]);
  assert.deepEqual(h.claims, [4, 2], "two free places: one claim refills the prefetch");
  assert.equal(h.pump.inFlight, 4);
  await h.pump.stop(0);
});

test("without prefetch, a slot waits for the next claim", async () => {
  const h = harness({ concurrency: 2, items: 10 });
  h.pump.start();
  await settle();
  assert.deepEqual(h.claims, [2]);
  assert.equal(h.pump.inFlight, 2);
  await h.finish(0);
  assert.deepEqual(h.claims, [2, 1]);
  assert.deepEqual(h.started, [0, 1, 2]);
  await h.pump.stop(0);
});

test("stop: items already claimed are still handled, and stop waits for them", async () => {
  const h = harness({ concurrency: 1, prefetch: 1, minBatch: 1, items: 10 });
  h.pump.start();
  await settle();
  assert.deepEqual(h.started, [0]);
  let stopped = false;
  const stopping = h.pump.stop(10_000).then(() => (stopped = true));
  await h.finish(0);
  assert.deepEqual(h.started, [0, 1], "the prefetched item is sent, not dropped with its lease");
  assert.equal(stopped, false, "stop waits for it");
  await h.finish(1);
  await stopping;
  assert.deepEqual(h.claims, [2], "nothing is claimed after stop");
  assert.equal(h.queue.length, 8);
});

test("after a short claim, finishing items claim again only once minBatch have finished, or on a kick", async () => {
  const h = harness({ concurrency: 8, minBatch: 2, items: 10, perClaim: 2 });
  h.pump.start();
  await settle();
  assert.deepEqual(h.claims, [8], "asked for 8, got 2: held back");
  await h.finish(0);
  assert.deepEqual(h.claims, [8], "one finished: no claim (it would come back as short)");
  await h.finish(1);
  assert.deepEqual(h.claims, [8, 8], "minBatch finished: claim again");
  assert.deepEqual(h.started, [0, 1, 2, 3]);
  await h.finish(2);
  assert.deepEqual(h.claims, [8, 8]);
  h.pump.kick(); // new work or capacity given back (an attempt record committed)
  await settle();
  assert.deepEqual(h.claims, [8, 8, 7], "a kick claims at once");
  await h.pump.stop(0);
});
