/**
 * Downloads a caller-supplied audio URI to a file through the egress guard's dispatcher,
 * streaming to disk under a byte cap and one overall deadline.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { request, type Dispatcher } from "undici";
import { AppError } from "../core/errors.ts";
import { classifyTransportError } from "../net/egress.ts";

export interface FetchToFileOptions {
  dispatcher: Dispatcher;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
}

export interface FetchToFileResult {
  bytes: number;
  contentType: string | null;
  finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const fail = (message: string, cause?: unknown): AppError =>
  new AppError("audio_fetch_failed", `fetching uri failed: ${message}`, { field: "uri", cause });

export function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 1 ? Number(mb.toFixed(1)) : Number(mb.toPrecision(2))} MB`;
}

const tooLarge = (maxBytes: number): AppError =>
  new AppError("audio_too_large", `audio at uri exceeds the ${formatMegabytes(maxBytes)} limit`, {
    field: "uri",
  });

/** Removes user:pass@ from the URL (they travel as an Authorization header instead). */
function splitCredentials(url: URL): { url: URL; authorization: string | undefined } {
  if (!url.username && !url.password) return { url, authorization: undefined };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const clean = new URL(url.href);
  clean.username = "";
  clean.password = "";
  return { url: clean, authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` };
}

function parseHttpUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw fail("invalid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw fail(`unsupported scheme ${url.protocol} (only http and https are allowed)`);
  }
  return url;
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | null {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

function byteLimiter(maxBytes: number, onBytes: (n: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      if (total > maxBytes) return done(tooLarge(maxBytes));
      onBytes(total);
      done(null, chunk);
    },
  });
}

function transportError(err: unknown, host: string): AppError {
  const kind = classifyTransportError(err);
  switch (kind) {
    case "ssrf_blocked": {
      let e: unknown = err;
      while (e instanceof Error && (e as { code?: unknown }).code !== "ssrf_blocked") e = e.cause;
      return new AppError("audio_fetch_failed", e instanceof Error ? e.message : String(err), {
        field: "uri",
        cause: err,
      });
    }
    case "dns":
      return fail(`could not resolve host ${host}`, err);
    case "connect":
      return fail(`could not connect to ${host}`, err);
    case "tls":
      return fail(`TLS handshake with ${host} failed`, err);
    case "reset":
      return fail(`connection to ${host} was closed unexpectedly`, err);
    case "timeout":
      return fail(`request to ${host} timed out`, err);
    default:
      return fail(err instanceof Error ? err.message : String(err), err);
  }
}

export async function fetchToFile(
  uri: string,
  destPath: string,
  opts: FetchToFileOptions,
): Promise<FetchToFileResult> {
  const maxRedirects = opts.maxRedirects ?? 5;
  let { url, authorization } = splitCredentials(parseHttpUrl(uri));
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method: "GET",
        dispatcher: opts.dispatcher,
        signal: controller.signal,
        headers: authorization ? { authorization } : {},
      });
      const status = res.statusCode;
      if (REDIRECTS.has(status)) {
        await res.body.dump();
        const location = header(res.headers, "location");
        if (!location) throw fail(`HTTP ${status} redirect without a Location header`);
        if (hop >= maxRedirects) throw fail(`too many redirects (more than ${maxRedirects})`);
        const next = splitCredentials(parseHttpUrl(location, url));
        // Credentials only go to the origin they were given for.
        if (next.authorization) authorization = next.authorization;
        else if (next.url.origin !== url.origin) authorization = undefined;
        url = next.url;
        continue;
      }
      if (status < 200 || status > 299) {
        await res.body.dump();
        throw fail(`HTTP ${status} ${STATUS_CODES[status] ?? ""}`.trimEnd());
      }
      const length = Number(header(res.headers, "content-length") ?? NaN);
      if (length > opts.maxBytes) {
        res.body.destroy();
        throw tooLarge(opts.maxBytes);
      }
      let bytes = 0;
      await pipeline(
        res.body,
        byteLimiter(opts.maxBytes, (n) => (bytes = n)),
        createWriteStream(destPath),
        { signal: controller.signal },
      );
      return { bytes, contentType: header(res.headers, "content-type"), finalUrl: url.href };
    }
  } catch (err) {
    await rm(destPath, { force: true });
    if (timedOut) throw fail(`timed out after ${opts.timeoutMs / 1000} s`, err);
    if (err instanceof AppError) throw err;
    throw transportError(err, url.host);
  } finally {
    clearTimeout(timer);
  }
}
