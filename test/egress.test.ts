import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { buildConnector, fetch, request, type Dispatcher } from "undici";
import { classifyTransportError, createEgressGuard, EgressBlockedError } from "../src/net/egress.ts";

// Every socket opened in this process is published here; used to prove nothing was dialled.
const opened: unknown[] = [];
diagnostics.subscribe("net.client.socket", (msg) => opened.push(msg));

interface TestServer {
  port: number;
  connections: number;
  hosts: string[];
}

const servers: Server[] = [];
const dispatchers: Dispatcher[] = [];
after(async () => {
  await Promise.all(dispatchers.map((d) => d.destroy()));
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, info: TestServer) => void = (_req, res) =>
    res.end("ok"),
  host = "127.0.0.1",
): Promise<TestServer> {
  const info: TestServer = { port: 0, connections: 0, hosts: [] };
  const server = createServer((req, res) => {
    info.hosts.push(req.headers.host ?? "");
    handler(req, res, info);
  });
  server.on("connection", () => info.connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  info.port = (server.address() as AddressInfo).port;
  return info;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1"]);

/** Real connector that records what it was asked to dial and refuses anything but loopback. */
function spyConnector() {
  const real = buildConnector({});
  const calls: { hostname: string; servername: string | undefined }[] = [];
  const connector: buildConnector.connector = (opts, cb) => {
    calls.push({ hostname: opts.hostname, servername: opts.servername });
    if (!LOOPBACK.has(opts.hostname)) return cb(new Error(`test connector refuses ${opts.hostname}`), null);
    real(opts, cb);
  };
  return { connector, calls };
}

function guard(opts: Parameters<typeof createEgressGuard>[0]) {
  const g = createEgressGuard(opts);
  dispatchers.push(g.dispatcher);
  return g;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected the request to be refused");
}

test("loopback literals are refused with an empty allow-list and the server sees no connection", async () => {
  const srv = await startServer();
  const srv6 = await startServer(undefined, "::1");
  const { dispatcher } = guard({ allow: [] });
  const cases: [string, RegExp][] = [
    [
      `http://127.0.0.1:${srv.port}/`,
      /refused to connect to 127\.0\.0\.1 \(loopback address\) for host 127\.0\.0\.1/,
    ],
    [`http://[::1]:${srv6.port}/`, /refused to connect to ::1 \(loopback address\)/],
    [`http://[::ffff:127.0.0.1]:${srv.port}/`, /refused to connect to ::ffff:7f00:1 \(loopback address\)/],
    [`http://localhost:${srv.port}/`, /\(loopback address\) for host localhost/],
  ];
  for (const [url, message] of cases) {
    const before = opened.length;
    const err = await rejection(request(url, { dispatcher }));
    assert.ok(err instanceof EgressBlockedError, url);
    assert.equal(err.code, "ssrf_blocked");
    assert.match(err.message, message);
    assert.match(err.message, /allow it with NETWORK_ALLOWLIST/);
    assert.equal(classifyTransportError(err), "ssrf_blocked");
    assert.equal(opened.length, before, `no socket opened for ${url}`);
  }
  assert.equal(srv.connections, 0);
  assert.equal(srv6.connections, 0);
});

test("an allow-listed loopback range is reachable", async () => {
  const srv = await startServer();
  const { dispatcher } = guard({ allow: ["127.0.0.0/8"] });
  const before = opened.length;
  const res = await request(`http://127.0.0.1:${srv.port}/`, { dispatcher });
  assert.equal(res.statusCode, 200);
  assert.equal(opened.length, before + 1, "the socket probe sees real connections");
  assert.equal(await res.body.text(), "ok");
  assert.equal(srv.connections, 1);
});

test("hostnames resolving to private or metadata addresses are refused before connecting", async () => {
  const srv = await startServer();
  const answers = [
    [{ address: "10.1.2.3", family: 4 }],
    [{ address: "169.254.169.254", family: 4 }],
    [{ address: "::ffff:10.0.0.1", family: 6 }],
    [{ address: "fd00:ec2::254", family: 6 }],
    // One bad answer poisons the set even when another is allowed.
    [
      { address: "127.0.0.1", family: 4 },
      { address: "10.0.0.1", family: 4 },
    ],
  ];
  for (const answer of answers) {
    const resolved: string[] = [];
    const spy = spyConnector();
    const g = guard({
      allow: ["127.0.0.0/8"],
      connector: spy.connector,
      resolve: async (host) => {
        resolved.push(host);
        return answer;
      },
    });
    const before = opened.length;
    const err = await rejection(request(`http://evil.test:${srv.port}/`, { dispatcher: g.dispatcher }));
    assert.equal(classifyTransportError(err), "ssrf_blocked", JSON.stringify(answer));
    assert.match((err as Error).message, /refused to connect to .* for host evil\.test/);
    assert.deepEqual(resolved, ["evil.test"]);
    assert.deepEqual(spy.calls, [], "connector must not be asked to dial");
    assert.equal(opened.length, before, "no socket opened");

    await assert.rejects(g.check(new URL("https://evil.test/x")), EgressBlockedError);
  }
  const metadata = await rejection(
    guard({
      allow: [],
      connector: spyConnector().connector,
      resolve: async () => [{ address: "169.254.169.254", family: 4 }],
    }).check(new URL("http://evil.test/")),
  );
  assert.match((metadata as Error).message, /169\.254\.169\.254 \(metadata address\) for host evil\.test/);
  assert.equal(srv.connections, 0);
});

test("an allowed hostname is dialled at the vetted IP with Host and SNI unchanged", async () => {
  const srv = await startServer();
  const spy = spyConnector();
  const g = guard({
    allow: ["127.0.0.0/8"],
    connector: spy.connector,
    resolve: async () => [{ address: "127.0.0.1", family: 4 }],
  });
  await g.check(new URL(`http://good.test:${srv.port}/`));
  const res = await request(`http://good.test:${srv.port}/path`, { dispatcher: g.dispatcher });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
  assert.deepEqual(srv.hosts, [`good.test:${srv.port}`]);
  assert.deepEqual(spy.calls, [{ hostname: "127.0.0.1", servername: "good.test" }]);
});

test("a socket whose peer is not allowed is closed after connecting", async () => {
  const srv6 = await startServer(undefined, "::1");
  const real = buildConnector({});
  // Simulates a connector that ended up somewhere other than the vetted address.
  const misdial: buildConnector.connector = (opts, cb) => real({ ...opts, hostname: "::1" }, cb);
  const g = guard({
    allow: ["127.0.0.1/32"],
    connector: misdial,
    resolve: async () => [{ address: "127.0.0.1", family: 4 }],
  });
  const err = await rejection(request(`http://good.test:${srv6.port}/`, { dispatcher: g.dispatcher }));
  assert.ok(err instanceof EgressBlockedError);
  assert.match(err.message, /refused to connect to ::1 \(loopback address\) for host good\.test/);
  assert.deepEqual(srv6.hosts, [], "no request was sent over the rejected socket");
});

test("a redirect from an allowed server to a private host is refused", async () => {
  const srv = await startServer((_req, res) => {
    res.writeHead(302, { location: "http://evil.test/" }).end();
  });
  const spy = spyConnector();
  const resolved: string[] = [];
  const g = guard({
    allow: ["127.0.0.0/8"],
    connector: spy.connector,
    resolve: async (host) => {
      resolved.push(host);
      return [{ address: host === "evil.test" ? "10.0.0.1" : "127.0.0.1", family: 4 }];
    },
  });
  const err = await rejection(fetch(`http://127.0.0.1:${srv.port}/`, { dispatcher: g.dispatcher }));
  assert.equal(classifyTransportError(err), "ssrf_blocked");
  assert.deepEqual(resolved, ["evil.test"]);
  assert.deepEqual(
    spy.calls.map((c) => c.hostname),
    ["127.0.0.1"],
  );
  assert.equal(srv.hosts.length, 1);
});

test("check() refuses non-http schemes", async () => {
  const g = guard({ allow: ["127.0.0.0/8"], resolve: async () => assert.fail("must not resolve") });
  for (const url of ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/"]) {
    await assert.rejects(g.check(new URL(url)), (err: Error) => {
      assert.ok(err instanceof EgressBlockedError);
      assert.match(err.message, /only http and https/);
      return true;
    });
  }
  await g.check(new URL("http://127.0.0.1:1/"));
  await assert.rejects(guard({ allow: [] }).check(new URL("http://[::1]/")), EgressBlockedError);
});

test("classifyTransportError on real loopback failures", async () => {
  const { dispatcher } = guard({ allow: ["127.0.0.0/8"] });

  const closed = await startServer();
  const last = servers[servers.length - 1]!;
  await new Promise((resolve) => last.close(resolve));
  const refused = await rejection(request(`http://127.0.0.1:${closed.port}/`, { dispatcher }));
  assert.equal(classifyTransportError(refused), "connect");

  const silent = await startServer(() => {});
  const slow = await rejection(
    request(`http://127.0.0.1:${silent.port}/`, { dispatcher, headersTimeout: 100 }),
  );
  assert.equal(classifyTransportError(slow), "timeout");

  const rude = await startServer((req) => req.socket.destroy());
  const reset = await rejection(request(`http://127.0.0.1:${rude.port}/`, { dispatcher }));
  assert.equal(classifyTransportError(reset), "reset");
});

test("classifyTransportError walks cause chains", () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  const wrap = (cause: unknown) => new TypeError("fetch failed", { cause });
  const cases: [unknown, string][] = [
    [coded("ENOTFOUND"), "dns"],
    [wrap(coded("EAI_AGAIN")), "dns"],
    [wrap(coded("ECONNREFUSED")), "connect"],
    [coded("EHOSTUNREACH"), "connect"],
    [coded("ENETUNREACH"), "connect"],
    [wrap(coded("ERR_TLS_CERT_ALTNAME_INVALID")), "tls"],
    [wrap(coded("CERT_HAS_EXPIRED")), "tls"],
    [coded("DEPTH_ZERO_SELF_SIGNED_CERT"), "tls"],
    [coded("EPROTO"), "tls"],
    [wrap(coded("UND_ERR_CONNECT_TIMEOUT")), "timeout"],
    [coded("UND_ERR_HEADERS_TIMEOUT"), "timeout"],
    [coded("UND_ERR_BODY_TIMEOUT"), "timeout"],
    [coded("ETIMEDOUT"), "timeout"],
    [new DOMException("aborted", "AbortError"), "timeout"],
    [wrap(new DOMException("timed out", "TimeoutError")), "timeout"],
    [coded("ECONNRESET"), "reset"],
    [coded("EPIPE"), "reset"],
    [wrap(coded("UND_ERR_SOCKET")), "reset"],
    [wrap(new EgressBlockedError("refused", "evil.test", "10.0.0.1")), "ssrf_blocked"],
    [new AggregateError([coded("ECONNREFUSED")], "all failed"), "connect"],
    [new Error("boom"), "other"],
    ["a string", "other"],
    [null, "other"],
  ];
  for (const [err, kind] of cases) {
    assert.equal(classifyTransportError(err), kind, String(err));
  }
  const cyclic: Error & { cause?: unknown } = new Error("loop");
  cyclic.cause = cyclic;
  assert.equal(classifyTransportError(cyclic), "other");
});
