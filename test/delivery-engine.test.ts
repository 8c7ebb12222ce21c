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
    assert.deepEqual(
      { ...dry.body, delivery_ids: new Set(dry.body.delivery_ids) },
      {
        dry_run: true,
        matched: 2,
        has_more: false,
        delivery_ids: new Set(inWindow.map((d) => d.deliveryId)),
      },
    );
    rx.setScript([200]);
    const before = rx.received.length;
    const res = await postJson(`${server.url}/deliveries/recover`, window);
    assert.equal(res.status, 202);
    assert.deepEqual(new Set(res.body.delivery_ids), new Set(inWindow.map((d) => d.deliveryId)));
    assert.equal(res.body.restarted, 2);
    for (const d of inWindow) await settled(server, d.deliveryId, "delivered");
    assert.equal((await delivery(server, early.deliveryId)).state, "abandoned");
    assert.equal(rx.received.length - before, 2);
    const bad = await postJson(`${server.url}/deliveries/recover`, { since: "yesterday" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error_code, "invalid_field");
    const unbounded = await postJson(`${server.url}/deliveries/recover`, { dry_run: true });
    assert.equal(unbounded.status, 400, "a recovery must say where its window starts");
    assert.deepEqual([unbounded.body.error_code, unbounded.body.field], ["missing_field", "since"]);
  });

  it("recover can be limited to one receiver (host or url_prefix) and says when more remain", async () => {
    const a = await receiver([410]);
    const b = await receiver([410]);
    const t0 = Date.now() - 20 * 86_400_000;
    const ofA = [1, 2, 3].map((i) => enqueueDelivery(server.store, `${a.url}/a`, { now: t0 + i }));
    const ofB = [1, 2].map((i) => enqueueDelivery(server.store, `${b.url}/b/x`, { now: t0 + i }));
    const ids = async (ps: Promise<{ deliveryId: string }>[]) =>
      (await Promise.all(ps)).map((d) => d.deliveryId);
    const [idsA, idsB] = [await ids(ofA), await ids(ofB)];
    server.delivery.kick();
    for (const id of [...idsA, ...idsB]) await settled(server, id, "abandoned");
    const since = new Date(t0).toISOString();
    const until = new Date(t0 + 1000).toISOString();
    const recover = (extra: object) =>
      postJson(`${server.url}/deliveries/recover`, { since, until, ...extra });

    const byHost = await recover({ host: new URL(a.url).host, dry_run: true });
    assert.deepEqual([byHost.body.matched, byHost.body.has_more], [3, false]);
    assert.deepEqual(new Set(byHost.body.delivery_ids), new Set(idsA));
    const byPrefix = await recover({ url_prefix: `${b.url}/b/`, dry_run: true });
    assert.deepEqual(new Set(byPrefix.body.delivery_ids), new Set(idsB));
    const none = await recover({ url_prefix: `${b.url}/other`, dry_run: true });
    assert.equal(none.body.matched, 0);

    a.setScript([200]);
    const first = await recover({ host: new URL(a.url).host, limit: 2 });
    assert.equal(first.status, 202);
    assert.deepEqual([first.body.matched, first.body.restarted, first.body.has_more], [2, 2, true]);
    for (const id of first.body.delivery_ids) await settled(server, id, "delivered");
    const rest = await recover({ host: new URL(a.url).host, limit: 2 });
    assert.deepEqual([rest.body.matched, rest.body.has_more], [1, false]);
    await settled(server, rest.body.delivery_ids[0], "delivered");
    for (const id of idsB) assert.equal((await delivery(server, id)).state, "abandoned", "B untouched");
    assert.equal(b.received.length, 2, "B got only its original attempts");
  });

  it("redelivery to a new URL does not carry the old auth header unless asked to", async () => {
    const old = await receiver([410]);
    const { deliveryId } = await enqueueDelivery(server.store, `${old.url}/h`, {
      authHeader: { name: "X-Hook-Token", value: "s3cret-old" },
    });
    server.delivery.kick();
    await settled(server, deliveryId, "abandoned");
    assert.equal(old.received[0]!.headers["x-hook-token"], "s3cret-old");

    const moveTo = async (url: string, extra: object = {}) => {
      const res = await postJson(`${server.url}/deliveries/${deliveryId}/redeliver`, { url, ...extra });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body;
    };
    const plain = await receiver([200]);
    const moved = await moveTo(`${plain.url}/new`);
    assert.equal(moved.auth_header, null, "the view says the header was dropped");
    const [got] = await plain.waitFor(1);
    assert.equal(got!.headers["x-hook-token"], undefined);
    await settled(server, deliveryId, "delivered");

    const kept = await receiver([200]);
    const refused = await postJson(`${server.url}/deliveries/${deliveryId}/redeliver`, {
      url: `${kept.url}/k`,
      keep_auth_header: true,
      auth_header_name: "X-Other",
      auth_header_value: "v",
    });
    assert.deepEqual([refused.status, refused.body.error_code], [400, "conflicting_fields"]);
    // once dropped it is gone: "keep" keeps what the delivery has now
    await moveTo(`${kept.url}/k`, { keep_auth_header: true });
    const [k] = await kept.waitFor(1);
    assert.equal(k!.headers["x-hook-token"], undefined);
    await settled(server, deliveryId, "delivered");

    const fresh = await receiver([200]);
    const given = await moveTo(`${fresh.url}/f`, {
      auth_header_name: "X-Hook-Token",
      auth_header_value: "s3cret-new",
    });
    assert.deepEqual(given.auth_header, { name: "X-Hook-Token", value: "[redacted]" });
    const [f] = await fresh.waitFor(1);
    assert.equal(f!.headers["x-hook-token"], "s3cret-new");
    await settled(server, deliveryId, "delivered");

    const again = await receiver([200]);
    await moveTo(`${again.url}/g`, { keep_auth_header: true });
    const [g] = await again.waitFor(1);
    assert.equal(g!.headers["x-hook-token"], "s3cret-new", "keep_auth_header keeps it on a new host");
    await settled(server, deliveryId, "delivered");
    // the same URL again is not a move: the header stays
    await moveTo(`${again.url}/g`);
    await again.waitFor(2);
    assert.equal(again.received[1]!.headers["x-hook-token"], "s3cret-new");
    await settled(server, deliveryId, "delivered");
  });

  it("a password in the callback URL is sent as Basic auth and shown nowhere", async () => {
    const rx = await receiver([500, 200]);
    const withPassword = rx.url.replace("http://", "http://hookuser:pa55w0rd-xyz@");
    const { jobId, deliveryId } = await enqueueDelivery(server.store, `${withPassword}/h?tenant=acme`);
    server.delivery.kick();
    await settled(server, deliveryId, "delivered");
    const expected = `Basic ${Buffer.from("hookuser:pa55w0rd-xyz").toString("base64")}`;
    assert.deepEqual(
      rx.received.map((r) => [r.headers.authorization, r.path]),
      [
        [expected, "/h?tenant=acme"],
        [expected, "/h?tenant=acme"],
      ],
    );
    const shown = [
      await getJson(`${server.url}/deliveries?limit=1000`),
      await getJson(`${server.url}/deliveries/${deliveryId}`),
      await getJson(`${server.url}/transcribe/${jobId}`),
      await getJson(`${server.url}/events?limit=1000`),
    ].map((j) => JSON.stringify(j));
    for (const text of shown) assert.ok(!text.includes("pa55w0rd-xyz"), text.slice(0, 300));
    const one = await getJson(`${server.url}/deliveries/${deliveryId}`);
    assert.equal(one.url, `${rx.url.replace("http://", "http://hookuser:***@")}/h?tenant=acme`);
  });

  it("every delivery names its event in x-callscribe-event; the body is untouched", async () => {
    const rx = await receiver([200]);
    const { jobId, deliveryId } = await enqueueDelivery(server.store, `${rx.url}/h`, {
      now: 1_700_000_000_000,
    });
    server.delivery.kick();
    await settled(server, deliveryId, "delivered");
    assert.equal(rx.received[0]!.headers["x-callscribe-event"], "transcriptDelivered");
    assert.deepEqual(JSON.parse(rx.received[0]!.body), {
      status: "S001",
      request_id: jobId,
      call_uuid: `c-${jobId}`,
      enqueued_at: 1_700_000_000_000,
    });
  });

  it("the events feed can start at a time (since) instead of a cursor", async () => {
    const rx = await receiver([200]);
    const t0 = Date.now() - 30 * 86_400_000;
    const [d1, d2, d3] = [
      await enqueueDelivery(server.store, `${rx.url}/e`, { now: t0 }),
      await enqueueDelivery(server.store, `${rx.url}/e`, { now: t0 + 1000 }),
      await enqueueDelivery(server.store, `${rx.url}/e`, { now: t0 + 2000 }),
    ];
    const res = await getJson(`${server.url}/events?limit=2&since=${new Date(t0 + 500).toISOString()}`);
    assert.deepEqual(
      res.events.map((e: Json) => e.delivery_id),
      [d2!.deliveryId, d3!.deliveryId],
    );
    const next = await getJson(`${server.url}/events?limit=2&after=${res.next_cursor}`);
    assert.ok(!next.events.some((e: Json) => [d1, d2, d3].some((d) => d!.deliveryId === e.delivery_id)));
    const both = await fetch(
      `${server.url}/events?since=${new Date(t0).toISOString()}&after=${res.next_cursor}`,
    );
    assert.equal(both.status, 400);
    assert.equal(((await both.json()) as Json).error_code, "conflicting_fields");
    const bad = await fetch(`${server.url}/events?since=last-tuesday`);
    assert.equal(((await bad.json()) as Json).error_code, "invalid_field");
    server.delivery.kick();
    for (const d of [d1, d2, d3]) await settled(server, d!.deliveryId, "delivered");
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
