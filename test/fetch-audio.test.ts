import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { buildConnector, type Dispatcher } from "undici";
import { AppError } from "../src/core/errors.ts";
import { createEgressGuard } from "../src/net/egress.ts";
import { fetchToFile, formatMegabytes } from "../src/pipeline/fetch-audio.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const dispatchers: Dispatcher[] = [];
let dir = "";
let fileNo = 0;
const dest = () => join(dir, `audio-${++fileNo}.bin`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "fetch-audio-"));
});
after(async () => {
  await Promise.all(dispatchers.map((d) => d.destroy()));
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await rm(dir, { recursive: true, force: true });
});

const requests: IncomingMessage[] = [];

async function serve(routes: Record<string, Handler>): Promise<string> {
  const server = createServer((req, res) => {
    requests.push(req);
    const handler = routes[new URL(req.url ?? "/", "http://x").pathname];
    if (handler) handler(req, res);
    else res.writeHead(404).end("missing");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Guard for loopback tests; its connector refuses to dial anything but 127.0.0.1. */
function loopbackGuard(allow: string[] = ["127.0.0.0/8"]) {
  const real = buildConnector({});
  const dialled: string[] = [];
  const g = createEgressGuard({
    allow,
    resolve: async (host) => [{ address: host === "evil.test" ? "10.0.0.1" : "127.0.0.1", family: 4 }],
    connector: (opts, cb) => {
      dialled.push(opts.hostname);
      if (opts.hostname !== "127.0.0.1") return cb(new Error(`test refuses ${opts.hostname}`), null);
      real(opts, cb);
    },
  });
  dispatchers.push(g.dispatcher);
  return { dispatcher: g.dispatcher, dialled };
}

const base = { maxBytes: 1024 * 1024, timeoutMs: 5000 };

async function fetchError(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected fetchToFile to fail");
}

test("200 streams the body to disk and counts bytes", async () => {
  const payload = Buffer.alloc(300_000, 7);
  const origin = await serve({
    "/a.wav": (_req, res) => {
      res.writeHead(200, { "content-type": "audio/wav" });
      res.write(payload.subarray(0, 100_000));
      res.end(payload.subarray(100_000));
    },
  });
  const path = dest();
  const result = await fetchToFile(`${origin}/a.wav`, path, { ...base, ...loopbackGuard() });
  assert.deepEqual(result, { bytes: payload.length, contentType: "audio/wav", finalUrl: `${origin}/a.wav` });
  assert.ok((await readFile(path)).equals(payload));
});

test("404 is audio_fetch_failed naming the status", async () => {
  const origin = await serve({});
  const path = dest();
  const err = await fetchError(fetchToFile(`${origin}/nope`, path, { ...base, ...loopbackGuard() }));
  assert.equal(err.code, "audio_fetch_failed");
  assert.equal(err.field, "uri");
  assert.equal(err.message, "fetching uri failed: HTTP 404 Not Found");
  assert.ok(!existsSync(path));
});

test("a declared Content-Length over the limit is refused up front", async () => {
  const origin = await serve({
    "/big": (_req, res) => {
      res.writeHead(200, { "content-length": String(60 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    },
  });
  const path = dest();
  const err = await fetchError(
    fetchToFile(`${origin}/big`, path, { ...base, maxBytes: 50 * 1024 * 1024, ...loopbackGuard() }),
  );
  assert.equal(err.code, "audio_too_large");
  assert.equal(err.message, "audio at uri exceeds the 50 MB limit");
  assert.ok(!existsSync(path));
});

test("a chunked body that grows past the limit is aborted and the partial file removed", async () => {
  let wrote = 0;
  const origin = await serve({
    "/stream": (_req, res) => {
      res.writeHead(200, { "content-type": "audio/mpeg" });
      const tick = setInterval(() => {
        if (res.destroyed || wrote > 10_000_000) return clearInterval(tick);
        wrote += 64 * 1024;
        res.write(Buffer.alloc(64 * 1024, 1));
      }, 1);
    },
  });
  const path = dest();
  const maxBytes = 200 * 1024;
  const err = await fetchError(
    fetchToFile(`${origin}/stream`, path, { ...base, maxBytes, ...loopbackGuard() }),
  );
  assert.equal(err.code, "audio_too_large");
  assert.match(err.message, /exceeds the 0\.2 MB limit/);
  assert.ok(!existsSync(path));
  assert.ok(wrote < 10_000_000, "the download stopped early");
});

test("a slow server hits the overall timeout and leaves no file", async () => {
  const origin = await serve({
    "/trickle": (_req, res) => {
      res.writeHead(200);
      res.write("partial");
    },
    "/silent": () => {},
  });
  for (const route of ["/trickle", "/silent"]) {
    const path = dest();
    const started = Date.now();
    const err = await fetchError(
      fetchToFile(`${origin}${route}`, path, { ...base, timeoutMs: 200, ...loopbackGuard() }),
    );
    assert.equal(err.code, "audio_fetch_failed");
    assert.equal(err.message, "fetching uri failed: timed out after 0.2 s");
    assert.ok(Date.now() - started < 3000);
    assert.ok(!existsSync(path), route);
  }
});

test("redirect chains are followed, relative and absolute", async () => {
  let origin = "";
  origin = await serve({
    "/a": (_req, res) => res.writeHead(301, { location: "b" }).end(),
    "/b": (_req, res) => res.writeHead(302, { location: `${origin}/c?x=1` }).end(),
    "/c": (_req, res) => res.writeHead(307, { location: "/final" }).end(),
    "/final": (_req, res) => res.writeHead(200, { "content-type": "audio/ogg" }).end("OggS"),
  });
  const path = dest();
  const result = await fetchToFile(`${origin}/a`, path, { ...base, ...loopbackGuard() });
  assert.deepEqual(result, { bytes: 4, contentType: "audio/ogg", finalUrl: `${origin}/final` });
  assert.equal(await readFile(path, "utf8"), "OggS");
});

test("too many redirects is a clear error", async () => {
  let hits = 0;
  const origin = await serve({
    "/loop": (_req, res) => {
      hits++;
      res.writeHead(302, { location: "/loop" }).end();
    },
  });
  const path = dest();
  const err = await fetchError(
    fetchToFile(`${origin}/loop`, path, { ...base, maxRedirects: 3, ...loopbackGuard() }),
  );
  assert.equal(err.code, "audio_fetch_failed");
  assert.equal(err.message, "fetching uri failed: too many redirects (more than 3)");
  assert.equal(hits, 4);
  assert.ok(!existsSync(path));
});

test("a redirect to a private address is refused with the guard's message", async () => {
  const origin = await serve({
    "/go": (_req, res) => res.writeHead(302, { location: "http://evil.test/x" }).end(),
  });
  const guard = loopbackGuard();
  const err = await fetchError(fetchToFile(`${origin}/go`, dest(), { ...base, ...guard }));
  assert.equal(err.code, "audio_fetch_failed");
  assert.equal(err.field, "uri");
  assert.match(err.message, /^refused to connect to 10\.0\.0\.1 \(private address\) for host evil\.test/);
  assert.deepEqual(guard.dialled, ["127.0.0.1"]);
});

test("loopback is refused without an allow-list entry", async () => {
  const origin = await serve({ "/a": (_req, res) => res.end("x") });
  const guard = loopbackGuard([]);
  const err = await fetchError(fetchToFile(`${origin}/a`, dest(), { ...base, ...guard }));
  assert.equal(err.code, "audio_fetch_failed");
  assert.match(err.message, /refused to connect to 127\.0\.0\.1 \(loopback address\)/);
  assert.deepEqual(guard.dialled, []);
});

test("credentials in the URL are sent as Basic auth and never appear in errors", async () => {
  const origin = await serve({
    "/private": (req, res) => {
      res.writeHead(req.headers.authorization === "Basic dXNlcjpzM2NyZXQ=" ? 403 : 401).end();
    },
  });
  const url = origin.replace("http://", "http://user:s3cret@") + "/private";
  const err = await fetchError(fetchToFile(url, dest(), { ...base, ...loopbackGuard() }));
  assert.equal(err.message, "fetching uri failed: HTTP 403 Forbidden");
  assert.doesNotMatch(JSON.stringify({ m: err.message, s: err.stack }), /s3cret/);
});

test("transport failures and bad URLs become audio_fetch_failed", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));

  const refused = await fetchError(
    fetchToFile(`http://127.0.0.1:${port}/`, dest(), { ...base, ...loopbackGuard() }),
  );
  assert.equal(refused.code, "audio_fetch_failed");
  assert.equal(refused.message, `fetching uri failed: could not connect to 127.0.0.1:${port}`);

  const scheme = await fetchError(
    fetchToFile("ftp://127.0.0.1/a.wav", dest(), { ...base, ...loopbackGuard() }),
  );
  assert.match(scheme.message, /unsupported scheme ftp:/);

  const invalid = await fetchError(fetchToFile("not a url", dest(), { ...base, ...loopbackGuard() }));
  assert.equal(invalid.message, "fetching uri failed: invalid URL");
});

test("formatMegabytes", () => {
  assert.equal(formatMegabytes(50 * 1024 * 1024), "50 MB");
  assert.equal(formatMegabytes(1.5 * 1024 * 1024), "1.5 MB");
  assert.equal(formatMegabytes(200 * 1024), "0.2 MB");
});
