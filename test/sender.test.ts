/**
 * The webhook sender on its own, against real HTTP servers on loopback: what one attempt reports
 * for each way a receiver can answer, fail or hang.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { createWebhookSender, USER_AGENT } from "../src/delivery/sender.ts";
import { createEgressGuard } from "../src/net/egress.ts";

const loopback = createEgressGuard({ allow: ["127.0.0.0/8"] });
const send = createWebhookSender(loopback.dispatcher);
const closers: Array<() => void> = [];
after(async () => {
  closers.forEach((c) => c());
  await loopback.dispatcher.close();
});

type Seen = { method?: string; path?: string; headers?: IncomingMessage["headers"]; body?: string };

async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      Object.assign(seen, {
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      handle(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const post = (url: string, timeoutMs = 2000) =>
  send({ url, body: '{"status":"S001"}', headers: { "webhook-id": "msg_1" }, timeoutMs });

describe("webhook sender", () => {
  it("POSTs the body with its headers to the URL's path and query, and reports a 2xx with its body", async () => {
    const rx = await receiver((_req, res) => res.writeHead(201).end("thanks"));
    const out = await post(`${rx.url}/hooks/a?tenant=t1`);
    assert.deepEqual(
      { ...out, latencyMs: 0 },
      {
        statusCode: 201,
        errorClass: null,
        errorDetail: null,
        latencyMs: 0,
        responseSnippet: "thanks",
        retryAfter: null,
      },
    );
    assert.equal(rx.seen.method, "POST");
    assert.equal(rx.seen.path, "/hooks/a?tenant=t1");
    assert.equal(rx.seen.body, '{"status":"S001"}');
    assert.equal(rx.seen.headers?.["content-type"], "application/json");
    assert.equal(rx.seen.headers?.["user-agent"], USER_AGENT);
    assert.equal(rx.seen.headers?.["webhook-id"], "msg_1");
  });

  it("reports a 5xx with Retry-After, and an empty body as no snippet", async () => {
    const rx = await receiver((_req, res) => res.writeHead(503, { "Retry-After": "7" }).end());
    const out = await post(rx.url);
    assert.equal(out.statusCode, 503);
    assert.equal(out.errorClass, "http_5xx");
    assert.equal(out.errorDetail, "receiver answered HTTP 503");
    assert.equal(out.retryAfter, "7");
    assert.equal(out.responseSnippet, null);
  });

  it("keeps the first 2 KiB of a response, and stops one that never ends and closes its connection", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((r) => (closed = r));
    const rx = await receiver((_req, res) => {
      res.writeHead(200);
      const chunk = "y".repeat(16 * 1024);
      const more = (): void => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on("drain", more);
      res.on("close", closed);
      more();
    });
    const out = await post(rx.url, 5000);
    assert.equal(out.statusCode, 200);
    assert.equal(out.errorClass, null);
    assert.equal(out.responseSnippet, "y".repeat(2048));
    assert.ok(out.latencyMs < 5000, `gave up reading at ${out.latencyMs} ms, not at the timeout`);
    const inTime = await Promise.race([
      connectionClosed.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 3000)),
    ]);
    assert.ok(inTime, "the sender still reads the endless response 3 s after giving up on it");
  });

  it("reports a timeout when the receiver never answers, or sends headers and then stalls", async () => {
    const silent = await receiver(() => {});
    const stalled = await receiver((_req, res) => res.writeHead(200).write("partial"));
    for (const url of [silent.url, stalled.url]) {
      const out = await post(url, 300);
      assert.equal(out.statusCode, null);
      assert.equal(out.errorClass, "timeout");
      assert.equal(out.errorDetail, "no answer within 300 ms");
      assert.ok(out.latencyMs >= 300 && out.latencyMs < 1500, `timed out after ${out.latencyMs} ms`);
    }
  });

  it("classifies a refused connection, a malformed URL and a blocked address", async () => {
    const rx = await receiver((_req, res) => res.end());
    const port = new URL(rx.url).port;
    closers.pop()!(); // nothing listens there now
    const refused = await post(`http://127.0.0.1:${port}/`);
    assert.equal(refused.errorClass, "connect");
    assert.match(refused.errorDetail!, /ECONNREFUSED/);

    const malformed = await post("not a url");
    assert.equal(malformed.statusCode, null);
    assert.equal(malformed.errorClass, "other");

    const guarded = createEgressGuard({ allow: [] });
    const blocked = await createWebhookSender(guarded.dispatcher)({
      url: `http://127.0.0.1:${port}/`,
      body: "{}",
      headers: {},
      timeoutMs: 2000,
    });
    await guarded.dispatcher.close();
    assert.equal(blocked.errorClass, "ssrf_blocked");
  });
});
