/**
 * Isolation: a receiver that hangs for the whole per-attempt timeout must not delay deliveries to
 * a healthy one. The dead host is capped at its per-host share, its circuit opens, and its
 * deliveries wait (without burning attempts) while the healthy host's keep flowing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enqueueDelivery } from "./helpers/enqueue.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;

describe("per-host isolation", () => {
  let server: TestServer;
  let dead: Receiver;
  let healthy: Receiver;

  before(async () => {
    dead = await startReceiver(["hang"]);
    healthy = await startReceiver([200]);
    server = await startTestServer({
      DELIVERY_TIMEOUT_MS: "3000",
      DELIVERY_RETRY_BASE_MS: "500",
      DELIVERY_PER_HOST_CONCURRENCY: "4",
      DELIVERY_CONCURRENCY: "16",
      CIRCUIT_FAILURE_THRESHOLD: "4",
      CIRCUIT_COOLDOWN_MS: "60000",
    });
  });
  after(async () => {
    await server.cleanup();
    await dead.close();
    await healthy.close();
  });

  it("keeps the healthy host's p99 enqueue→receive latency under 1 s while the dead one is backlogged", async () => {
    // a backlog for the dead host first: more than every slot of both lanes
    for (let i = 0; i < 60; i++) await enqueueDelivery(server.store, `${dead.url}/dead`);
    server.delivery.kick();
    const enqueuedAt = new Map<string, number>();
    for (let i = 0; i < 80; i++) {
      const { jobId } = await enqueueDelivery(server.store, `${healthy.url}/ok`);
      enqueuedAt.set(jobId, Date.now());
      await enqueueDelivery(server.store, `${dead.url}/dead`);
      server.delivery.kick();
      await new Promise((r) => setTimeout(r, 50)); // 20/s per host for 4 s: past the 3 s timeout
    }
    await healthy.waitFor(80, 10_000);
    const latencies = healthy.received.map(
      (r) => r.at - enqueuedAt.get((r.json as { request_id: string }).request_id)!,
    );
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`healthy host: p50 ${p50} ms, p99 ${p99} ms; dead host saw ${dead.received.length} requests`);
    assert.ok(p99 < 1000, `healthy p99 ${p99} ms`);

    const dh = `127.0.0.1:${dead.port}`;
    assert.ok(dead.received.length <= 8, `dead host got at most its share, saw ${dead.received.length}`);
    assert.equal(server.delivery.gate.circuit(dh, Date.now()), "open");
    const pending = await poll(async () => {
      const n = await server.store.countDeliveries("pending");
      return n >= 100 ? n : null;
    }, 5000);
    assert.ok(pending >= 100, `dead host's deliveries wait in the queue (${pending})`);
    const abandoned = await server.store.countDeliveries("abandoned");
    assert.equal(abandoned, 0, "no attempts burnt while the circuit is open");
  });
});
