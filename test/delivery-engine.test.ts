/**
 * Delivery engine beyond the default policy: presets end to end (time-scaled), signatures verified
 * by the official `standardwebhooks` package, recovery, the events feed, attempt visibility and
 * Prometheus metrics. Everything over real loopback HTTP against the real server.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { enqueueDelivery } from "./helpers/enqueue.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const getJson = async (url: string) => (await (await fetch(url)).json()) as Json;
const postJson = async (url: string, body: unknown) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
};
const delivery = (s: TestServer, id: string) => getJson(`${s.url}/deliveries/${id}`);
const settled = (s: TestServer, id: string, state: string) =>
  poll(async () => {
    const d = await delivery(s, id);
    return d.state === state ? d : null;
  });

const SECRET_A = `whsec_${randomBytes(24).toString("base64")}`;
const SECRET_B = `whsec_${randomBytes(24).toString("base64")}`;

describe("delivery engine", () => {
  let server: TestServer;
  const receivers: Receiver[] = [];
  const receiver = async (...a: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...a);
    receivers.push(r);
    return r;
  };

  before(async () => {
    // 1/100 of real time: assemblyai's 10 s spacing becomes 100 ms
    server = await startTestServer({
      DELIVERY_TIME_SCALE: "0.01",
      DELIVERY_RETRY_BASE_MS: "5000",
      DELIVERY_RETRY_FACTOR: "4",
      DELIVERY_TIMEOUT_MS: "30000",
      WEBHOOK_SIGNING_SECRET: `${SECRET_A} ${SECRET_B}`,
      // the breaker has its own test (isolation); here every attempt must reach the receiver
      CIRCUIT_FAILURE_THRESHOLD: "50",
    });
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await server.cleanup();
  });

  it("assemblyai preset: 10 attempts ~100 ms apart (scaled 10 s), then abandoned", async () => {
    const rx = await receiver([500]);
    const { deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`, { policy: "assemblyai" });
    server.delivery.kick();
    const d = await settled(server, deliveryId, "abandoned");
    assert.equal(rx.received.length, 10);
    assert.equal(d.attempts.length, 10);
    const gaps = rx.received.slice(1).map((r, i) => r.at - rx.received[i]!.at);
    for (const g of gaps) assert.ok(g >= 95 && g < 1000, `gap ${g}`);
  });

  it("assemblyai preset: a 4xx is final after one attempt; makimoto retries it", async () => {
    const rx = await receiver([404]);
    const a = await enqueueDelivery(server.store, `${rx.url}/a`, { policy: "assemblyai" });
    const m = await enqueueDelivery(server.store, `${rx.url}/m`, { policy: "makimoto" });
    server.delivery.kick();
    assert.equal((await settled(server, a.deliveryId, "abandoned")).attempts.length, 1);
    const md = await settled(server, m.deliveryId, "abandoned");
    assert.equal(md.attempts.length, 3);
    const [t1, t2, t3] = md.attempts.map((x: Json) => Date.parse(x.at));
    assert.ok(t2 - t1 >= 50 && t3 - t2 >= 200, `makimoto spacing scaled: ${t2 - t1}, ${t3 - t2}`);
  });

  it("410 Gone stops retries at once", async () => {
    const rx = await receiver([410]);
    const { deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`);
    server.delivery.kick();
    const d = await settled(server, deliveryId, "abandoned");
    assert.equal(d.attempts.length, 1);
    assert.equal(d.webhook_status_code, 410);
  });

  it("Retry-After delays the next attempt (clamped to twice the schedule)", async () => {
    // assemblyai scaled: 100 ms scheduled; Retry-After 1 s (not scaled) → clamped to 200 ms (unclamped would be 1000)
    const rx = await receiver([{ status: 503, headers: { "retry-after": "1" } }, 200]);
    const { deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`, { policy: "assemblyai" });
    server.delivery.kick();
    await settled(server, deliveryId, "delivered");
    const gap = rx.received[1]!.at - rx.received[0]!.at;
    assert.ok(gap >= 190 && gap < 900, `gap ${gap}`);
  });

  it("signs with both active secrets; standardwebhooks verifies; tampering fails; id stable across retries and redelivery", async () => {
    const rx = await receiver([500, 200]);
    const { deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`);
    server.delivery.kick();
    await settled(server, deliveryId, "delivered");
    const [first, second] = rx.received;
    const headersOf = (r: typeof first) => ({
      "webhook-id": String(r!.headers["webhook-id"]),
      "webhook-timestamp": String(r!.headers["webhook-timestamp"]),
      "webhook-signature": String(r!.headers["webhook-signature"]),
    });
    for (const secret of [SECRET_A, SECRET_B]) {
      const wh = new Webhook(secret);
      assert.deepEqual(wh.verify(second!.body, headersOf(second)), JSON.parse(second!.body));
      assert.throws(() => wh.verify(second!.body.replace("S001", "E001"), headersOf(second)));
    }
    assert.equal(
      String(second!.headers["webhook-signature"]).split(" ").length,
      2,
      "one signature per secret",
    );
    assert.throws(() =>
      new Webhook(`whsec_${randomBytes(24).toString("base64")}`).verify(second!.body, headersOf(second)),
    );
    assert.equal(first!.headers["webhook-id"], `msg_${deliveryId}`);
    assert.equal(second!.headers["webhook-id"], first!.headers["webhook-id"]);
    assert.deepEqual([first!.headers["webhook-attempt"], second!.headers["webhook-attempt"]], ["1", "2"]);

    const res = await fetch(`${server.url}/deliveries/${deliveryId}/redeliver`, { method: "POST" });
    assert.equal(res.status, 202);
    await rx.waitFor(3);
    assert.equal(rx.received[2]!.headers["webhook-id"], `msg_${deliveryId}`);
    new Webhook(SECRET_A).verify(rx.received[2]!.body, headersOf(rx.received[2]));
  });

  it("redelivers to a new URL, and records host, status and the first 2 KiB of each response", async () => {
    const old = await receiver([{ status: 500, body: "x".repeat(10_000) }]);
    const fresh = await receiver([{ status: 200, body: "thanks" }]);
    const { deliveryId } = await enqueueDelivery(server.store, `${old.url}/h`, { policy: "makimoto" });
    server.delivery.kick();
    const d = await settled(server, deliveryId, "abandoned");
    assert.equal(d.attempts[0].response_body.length, 2048);
    assert.equal(d.attempts[0].url_host, `127.0.0.1:${old.port}`);
    assert.equal(d.attempts[0].error_class, "http_5xx");

    const res = await postJson(`${server.url}/deliveries/${deliveryId}/redeliver`, {
      url: `${fresh.url}/new`,
    });
    assert.equal(res.status, 202);
    const done = await settled(server, deliveryId, "delivered");
    assert.equal(fresh.received[0]!.path, "/new");
    const last = done.attempts.at(-1);
    assert.deepEqual(
      [last.series, last.url_host, last.response_body],
      [2, `127.0.0.1:${fresh.port}`, "thanks"],
    );
    const bad = await postJson(`${server.url}/deliveries/${deliveryId}/redeliver`, { url: "ftp://x" });
    assert.equal(bad.status, 400);
  });

  it("recover re-sends exactly the abandoned deliveries in the window; dry run counts them", async () => {
    const rx = await receiver([410]);
    const t0 = Date.now() - 10 * 86_400_000; // a window no other test writes into
    const early = await enqueueDelivery(server.store, `${rx.url}/h`, { now: t0 - 60_000 });
    const inWindow = [
      await enqueueDelivery(server.store, `${rx.url}/h`, { now: t0 - 20_000 }),
      await enqueueDelivery(server.store, `${rx.url}/h`, { now: t0 - 10_000 }),
    ];
    const ok = await receiver([200]);
    const delivered = await enqueueDelivery(server.store, `${ok.url}/h`, { now: t0 - 15_000 });
    server.delivery.kick();
    for (const d of [early, ...inWindow]) await settled(server, d.deliveryId, "abandoned");
    await settled(server, delivered.deliveryId, "delivered");

    const window = { since: new Date(t0 - 30_000).toISOString(), until: new Date(t0).toISOString() };
    const dry = await postJson(`${server.url}/deliveries/recover`, { ...window, dry_run: true });
    assert.deepEqual(dry.body, { dry_run: true, count: 2 });
    rx.setScript([200]);
    const before = rx.received.length;
    const res = await postJson(`${server.url}/deliveries/recover`, window);
    assert.equal(res.status, 202);
    assert.deepEqual(new Set(res.body.delivery_ids), new Set(inWindow.map((d) => d.deliveryId)));
    for (const d of inWindow) await settled(server, d.deliveryId, "delivered");
    assert.equal((await delivery(server, early.deliveryId)).state, "abandoned");
    assert.equal(rx.received.length - before, 2);
    const bad = await postJson(`${server.url}/deliveries/recover`, { since: "yesterday" });
    assert.equal(bad.status, 400);
  });

  it("the events feed pages through every webhook body exactly once with a stable cursor", async () => {
    const all: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const q: string = cursor ? `&after=${cursor}` : "";
      const res = await getJson(`${server.url}/events?limit=3${q}`);
      if (cursor) {
        const again = await getJson(`${server.url}/events?limit=3${q}`);
        assert.deepEqual(
          again.events.map((e: Json) => e.webhook_id),
          res.events.map((e: Json) => e.webhook_id),
          "same cursor, same page",
        );
      }
      if (res.events.length === 0) {
        assert.equal(res.next_cursor, cursor);
        break;
      }
      all.push(...res.events);
      cursor = res.next_cursor;
    }
    const listed = (await getJson(`${server.url}/deliveries?limit=1000`)).deliveries as Json[];
    assert.equal(all.length, listed.length);
    assert.equal(new Set(all.map((e) => e.webhook_id)).size, all.length, "no event twice");
    for (const e of all) {
      const d = listed.find((x) => x.id === e.delivery_id)!;
      assert.equal(e.body.request_id, d.request_id);
    }
    const bad = await fetch(`${server.url}/events?after=garbage`);
    assert.equal(bad.status, 400);
  });

  it("/metrics parses as Prometheus text and moves when deliveries happen", async () => {
    const scrape = async () => {
      const res = await fetch(`${server.url}/metrics`);
      assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
      return parsePrometheus(await res.text());
    };
    const before = await scrape();
    const rx = await receiver([200]);
    const { deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`);
    server.delivery.kick();
    await settled(server, deliveryId, "delivered");
    const afterScrape = await scrape();
    const key = 'callscribe_deliveries_total{outcome="delivered"}';
    assert.equal((afterScrape.get(key) ?? 0) - (before.get(key) ?? 0), 1);
    const count = "callscribe_delivery_attempt_duration_seconds_count";
    assert.ok(afterScrape.get(count)! > (before.get(count) ?? 0));
    assert.ok(afterScrape.has("callscribe_delivery_queue_depth"));
    assert.ok(afterScrape.has("callscribe_delivery_oldest_due_age_seconds"));
  });

  it("never shows callback auth header values in API output", async () => {
    const rx = await receiver([200]);
    const { jobId } = await enqueueDelivery(server.store, `${rx.url}/h`);
    const listed = JSON.stringify(await getJson(`${server.url}/deliveries`));
    assert.ok(!listed.includes("s3cret"));
    assert.ok(jobId);
  });
});

/** Minimal Prometheus text-format parser: throws on any line that is not a comment or a sample. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}
