/**
 * Isolation: a receiver that hangs for the whole per-attempt timeout must not delay deliveries to
 * a healthy one. The dead host is capped at its per-host share, its circuit opens, and its
 * deliveries wait (without burning attempts) while the healthy host's keep flowing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enqueueDelivery } from "./helpers/enqueue.ts";
import { captureLogs } from "./helpers/logs.ts";
import { percentile } from "./helpers/latency.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

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
      CIRCUIT_FAILURE_THRESHOLD: "2",
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
    await poll(async () => server.delivery.gate.circuit(dh, Date.now()) === "open", 15_000);
    const pending = await poll(async () => {
      const n = await server.store.countDeliveries("pending");
      return n >= 100 ? n : null;
    }, 5000);
    assert.ok(pending >= 100, `dead host's deliveries wait in the queue (${pending})`);
    const abandoned = await server.store.countDeliveries("abandoned");
    assert.equal(abandoned, 0, "no attempts burnt while the circuit is open");
  });
});

describe("receivers that never answer, with the default slots", () => {
  it("two hung hosts hold a few slots each; a healthy host is served from its first attempt on", async () => {
    const hung = [await startReceiver(["hang"]), await startReceiver(["hang"])];
    const healthy = await startReceiver([200]);
    const server = await startTestServer({ DELIVERY_TIMEOUT_MS: "30000" }); // 128 per lane, 64 per host
    try {
      for (let i = 0; i < 150; i++) for (const h of hung) await enqueueDelivery(server.store, `${h.url}/x`);
      server.delivery.kick();
      await poll(async () => hung.every((h) => h.received.length > 0), 5000);
      const enqueuedAt = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const { jobId } = await enqueueDelivery(server.store, `${healthy.url}/ok`);
        enqueuedAt.set(jobId, Date.now());
        server.delivery.kick();
        await new Promise((r) => setTimeout(r, 25));
      }
      await healthy.waitFor(40, 10_000);
      const latencies = healthy.received.map(
        (r) => r.at - enqueuedAt.get((r.json as { request_id: string }).request_id)!,
      );
      const p99 = percentile(latencies, 99);
      console.log(
        `healthy beside two hung hosts: p99 ${p99} ms; hung hosts hold ${hung.map((h) => h.received.length)}`,
      );
      assert.ok(p99 < 1000, `healthy p99 ${p99} ms`);
      for (const h of hung)
        assert.ok(h.received.length <= 4, `a hung host holds its small window (${h.received.length})`);
    } finally {
      await server.cleanup();
      await Promise.all([...hung, healthy].map((r) => r.close()));
    }
  });
});

describe("a delivery claimed ahead whose host's circuit opens before its turn", () => {
  it("goes back unsent, no attempt spent, held by the circuit", async () => {
    const host = await startReceiver([200, "hang"]);
    const logs = captureLogs("info");
    const server = await startTestServer(
      {
        DELIVERY_PER_HOST_CONCURRENCY: "2", // a window of 1 at first, 2 after one success
        DELIVERY_CONCURRENCY: "1", // one slot per lane, one delivery claimed ahead of it
        DELIVERY_TIMEOUT_MS: "1500",
        CIRCUIT_FAILURE_THRESHOLD: "1",
        CIRCUIT_COOLDOWN_MS: "60000",
      },
      { logger: logs.logger },
    );
    try {
      const first = await enqueueDelivery(server.store, `${host.url}/h`);
      server.delivery.kick();
      await poll(async () => (await server.store.getDelivery(first.deliveryId))?.state === "delivered");
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await enqueueDelivery(server.store, `${host.url}/h`)).deliveryId);
      server.delivery.kick();
      await host.waitFor(2);
      await poll(async () => {
        const rows = await Promise.all(ids.map((id) => server.store.getDelivery(id)));
        return rows.every((d) => d?.state === "delivering");
      });
      // the sent one times out, the circuit opens: the one waiting for the slot is not sent
      const given = await poll(
        async () => logs.lines.find((l) => String(l.msg).startsWith("claimed delivery given back")) ?? null,
        10_000,
      );
      const id = String(given.deliveryId);
      assert.ok(ids.includes(id));
      const view = (await (await fetch(`${server.url}/deliveries/${id}`)).json()) as Record<string, unknown>;
      assert.equal(view.state, "pending");
      assert.equal(view.held_reason, "circuit_open");
      assert.deepEqual(await server.store.attemptsFor(id), [], "no attempt spent");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(host.received.length, 2, "nothing went past the open circuit");
    } finally {
      await server.cleanup();
      await host.close();
    }
  });
});

describe("held deliveries", () => {
  type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const getJson = async (url: string) => (await (await fetch(url)).json()) as Json;

  it("say why (circuit_open, host_busy) in GET /deliveries, /metrics and the log; now:true sends one anyway", async () => {
    const failing = await startReceiver([500]);
    const logs = captureLogs("info");
    const server = await startTestServer(
      { CIRCUIT_FAILURE_THRESHOLD: "2", CIRCUIT_COOLDOWN_MS: "60000", DELIVERY_RETRY_BASE_MS: "50" },
      { logger: logs.logger },
    );
    const host = `127.0.0.1:${failing.port}`;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await enqueueDelivery(server.store, `${failing.url}/h`)).deliveryId);
      server.delivery.kick();
      await poll(async () => logs.lines.some((l) => l.msg === "circuit opened" && l.host === host), 10_000);
      const held = await poll(async () => {
        const list = (await getJson(`${server.url}/deliveries?state=pending`)).deliveries as Json[];
        const mine = list.filter((d) => ids.includes(d.id) && d.held_reason);
        return mine.length > 0 ? mine : null;
      });
      for (const d of held) {
        assert.equal(d.held_reason, "circuit_open");
        assert.ok(Date.parse(d.held_until) > Date.now() + 30_000, "held until the cool-down ends");
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(
        metrics,
        new RegExp(`callscribe_circuit_state\\{host="${host.replace(/\./g, "\\.")}"\\} 2`),
      );

      failing.setScript([200]);
      const before = failing.received.length;
      const res = await fetch(`${server.url}/deliveries/${held[0]!.id}/redeliver`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ now: true }),
      });
      assert.equal(res.status, 202);
      await poll(
        async () => (await getJson(`${server.url}/deliveries/${held[0]!.id}`)).state === "delivered",
      );
      // The forced attempt is the only one while the circuit is open; its success closes the
      // circuit, after which the held ones may follow (they are sent as soon as the answer is in,
      // before the forced attempt's record commits, so they can arrive before the poll above ends).
      const after = failing.received.slice(before);
      const forced = after.filter((r) => (r.json as Json).request_id === held[0]!.request_id);
      assert.equal(forced.length, 1, "the forced delivery was sent once");
      assert.deepEqual(
        after.filter((r) => r.at < forced[0]!.at),
        [],
        "nothing went past the open circuit before the forced attempt",
      );
      await poll(async () => logs.lines.some((l) => l.msg === "circuit closed" && l.host === host));
    } finally {
      await server.cleanup();
      await failing.close();
    }
  });

  it("a host at its cap holds the rest as host_busy", async () => {
    const slow = await startReceiver(["hang"]);
    const server = await startTestServer({
      DELIVERY_PER_HOST_CONCURRENCY: "1",
      DELIVERY_TIMEOUT_MS: "20000",
    });
    try {
      const a = await enqueueDelivery(server.store, `${slow.url}/a`);
      const b = await enqueueDelivery(server.store, `${slow.url}/b`);
      server.delivery.kick();
      await slow.waitFor(1);
      const ours = async () =>
        ((await getJson(`${server.url}/deliveries`)).deliveries as Json[]).filter((d) =>
          [a.deliveryId, b.deliveryId].includes(d.id as string),
        );
      const heldNow = async () => {
        const views = await ours();
        assert.deepEqual(views.map((d) => d.state).sort(), ["delivering", "pending"]);
        const waiting = views.find((d) => d.state === "pending")!;
        assert.equal(waiting.held_reason, "host_busy");
        assert.equal(waiting.held_until, null);
      };
      await heldNow();
      // and still so once the pump has had time to claim again (past its short-claim wait)
      server.delivery.kick();
      await new Promise((r) => setTimeout(r, 300));
      await heldNow();
      assert.equal(slow.received.length, 1);
    } finally {
      await server.cleanup();
      await slow.close();
    }
  });
});

describe("a retry held back by its host's cap", () => {
  let server: TestServer;
  let host: Receiver;

  before(async () => {
    // the first attempt fails; the next request (a first attempt of another delivery) takes 600 ms
    host = await startReceiver([500, { status: 200, delayMs: 600 }, 200]);
    server = await startTestServer({
      DELIVERY_PER_HOST_CONCURRENCY: "1",
      DELIVERY_RETRY_BASE_MS: "100",
      CIRCUIT_FAILURE_THRESHOLD: "50",
    });
  });
  after(async () => {
    await server.cleanup();
    await host.close();
  });

  it("is sent as soon as the host frees, not at the next idle poll", async () => {
    const retried = await enqueueDelivery(server.store, `${host.url}/retried`);
    server.delivery.kick();
    await host.waitFor(1, 5000);
    // while the host's only slot is busy with this slow first attempt, the retry falls due; the
    // retry lane finds its host at the cap and goes to sleep
    await enqueueDelivery(server.store, `${host.url}/slow`);
    server.delivery.kick();
    const [, slow] = await host.waitFor(2, 5000);
    assert.equal(slow!.path, "/slow");
    const all = await host.waitFor(3, 5000);
    const retry = all[2]!;
    assert.equal((retry.json as { request_id: string }).request_id, retried.jobId);
    const afterSlow = retry.at - slow!.at - 600;
    console.log(`retry sent ${afterSlow} ms after the slow attempt's answer`);
    assert.ok(afterSlow < 1000, `the retry waited ${afterSlow} ms after its host freed`);
  });
});
