/**
 * Audio in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …): path-style object URLs under
 * `BLOB_URL` (e.g. `https://s3.eu-west-1.amazonaws.com/my-bucket/callscribe`), requests signed
 * with AWS Signature V4 (payload unsigned, so a call's audio streams from disk without being read
 * twice). The URL is operator configuration, so it is not subject to the callback egress guard.
 */
import { stat } from "node:fs/promises";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import aws4 from "aws4";
import { request } from "undici";
import { redactUrl } from "../net/redact-url.ts";
import type { SharedBlobs } from "./blobs.ts";

export interface S3BlobOptions {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  timeoutMs?: number;
}

export function createS3Blobs(o: S3BlobOptions): SharedBlobs {
  const base = new URL(o.url.endsWith("/") ? o.url : `${o.url}/`);
  const shown = redactUrl(base.toString());
  const timeoutMs = o.timeoutMs ?? 300_000;

  const send = async (
    method: "PUT" | "GET" | "DELETE",
    name: string,
    extra: Record<string, string> = {},
    body?: NodeJS.ReadableStream,
  ) => {
    const url = new URL(encodeURIComponent(name), base);
    const signed = aws4.sign(
      {
        host: url.host,
        path: url.pathname,
        method,
        service: "s3",
        region: o.region,
        headers: { ...extra, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      },
      { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    );
    const headers = Object.fromEntries(
      Object.entries(signed.headers ?? {})
        .filter(([k]) => k.toLowerCase() !== "host")
        .map(([k, v]) => [k, String(v)]),
    );
    return request(url, {
      method,
      headers,
      body: body as never,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  };
  const fail = async (what: string, res: Awaited<ReturnType<typeof send>>) => {
    const text = (await res.body.text()).replace(/\s+/g, " ").slice(0, 200);
    return new Error(`${what} at ${shown} failed: HTTP ${res.statusCode} ${text}`);
  };

  return {
    async put(name, file) {
      const { size } = await stat(file);
      const res = await send("PUT", name, { "content-length": String(size) }, createReadStream(file));
      if (res.statusCode >= 300) throw await fail(`storing audio ${name}`, res);
      await res.body.dump();
    },
    async fetch(name, dest) {
      const res = await send("GET", name);
      if (res.statusCode !== 200) throw await fail(`reading audio ${name}`, res);
      await pipeline(res.body, createWriteStream(dest));
    },
    async remove(name) {
      const res = await send("DELETE", name);
      if (res.statusCode >= 300 && res.statusCode !== 404) throw await fail(`deleting audio ${name}`, res);
      await res.body.dump();
    },
  };
}
