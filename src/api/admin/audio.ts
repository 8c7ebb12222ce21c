/**
 * A call's audio over HTTP (`GET /calls/:id/audio`): byte ranges, so an `<audio>` element can
 * seek, and signed, expiring URLs, because an `<audio>` element cannot send the `apikey` header.
 * A token names the call, the owner it acts for and its expiry under an HMAC keyed by a digest of
 * API_KEYS: every api process with the same keys accepts it, and changing the keys revokes all.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ApiKey } from "../auth.ts";

export interface AudioTokens {
  /** a token for `jobId` acting for `owner`; null on a server without keys (none is needed) */
  sign(jobId: string, owner: string | null, now?: number): string | null;
  /** the owner a valid, unexpired token for `jobId` stands for */
  verify(jobId: string, token: string, now?: number): string | undefined;
}

/** How long an audio URL works: long enough to listen to a long call with pauses. */
export const AUDIO_TOKEN_TTL_MS = 6 * 3600_000;

export function createAudioTokens(keys: readonly ApiKey[], ttlMs = AUDIO_TOKEN_TTL_MS): AudioTokens {
  const secret = createHash("sha256")
    .update("callscribe audio url\n")
    .update(
      keys
        .map((k) => `${k.owner}\0${k.key}`)
        .sort()
        .join("\n"),
    )
    .digest();
  const mac = (jobId: string, owner: string, exp: number) =>
    createHmac("sha256", secret).update(`${jobId}\n${owner}\n${exp}`).digest("base64url");
  const tokenFor = (jobId: string, owner: string, exp: number) =>
    `${exp}.${Buffer.from(owner).toString("base64url")}.${mac(jobId, owner, exp)}`;
  return {
    sign(jobId, owner, now = Date.now()) {
      if (keys.length === 0 || owner === null) return null;
      return tokenFor(jobId, owner, now + ttlMs);
    },
    verify(jobId, token, now = Date.now()) {
      const m = /^(\d{1,16})\.([\w-]*)\.([\w-]{43})$/.exec(token);
      if (!m || keys.length === 0) return undefined;
      const exp = Number(m[1]);
      if (exp <= now) return undefined;
      const owner = Buffer.from(m[2]!, "base64url").toString("utf8");
      // compared as signed, character for character: decoding ignores a last character's spare
      // bits, so a token with its last character changed could decode to the same MAC
      const given = Buffer.from(token);
      const want = Buffer.from(tokenFor(jobId, owner, exp));
      return given.length === want.length && timingSafeEqual(given, want) ? owner : undefined;
    },
  };
}

/** For the auth hook: the owner a `GET /calls/:id/audio?token=…` URL carries a valid token for. */
export function audioUrlOwner(tokens: AudioTokens) {
  return (req: FastifyRequest): string | undefined => {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    const m = /^\/calls\/([^/?#]+)\/audio\?(.*)$/.exec(req.url);
    if (!m) return undefined;
    const token = new URLSearchParams(m[2]).get("token");
    if (!token) return undefined;
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      return undefined;
    }
    return tokens.verify(id, token);
  };
}

export type ByteRange = { start: number; end: number };

/**
 * Pure: the one byte range a `Range` header asks of a `size`-byte file (inclusive ends), null to
 * send the whole file (no header, another unit, several ranges, a malformed one: RFC 9110 lets a
 * server ignore those), "unsatisfiable" when it starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  const m = /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header ?? "");
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Infinity : Number(m[2]);
  if (end < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

const AUDIO_TYPES: Record<string, string> = {
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".opus": "audio/ogg",
  ".flac": "audio/flac",
  ".m4a": "audio/mp4",
  ".mp4": "audio/mp4",
  ".aac": "audio/aac",
  ".webm": "audio/webm",
  ".amr": "audio/amr",
};

export const audioType = (file: string) =>
  AUDIO_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";

/** Sends `file` whole (200) or the requested range (206; 416 past the end). */
export async function sendAudioFile(req: FastifyRequest, reply: FastifyReply, file: string, size?: number) {
  const bytes = size ?? (await stat(file)).size;
  void reply
    .header("accept-ranges", "bytes")
    .header("cache-control", "private, max-age=0")
    .header("x-content-type-options", "nosniff");
  const range = parseRange(req.headers.range, bytes);
  if (range === "unsatisfiable") {
    return reply.status(416).header("content-range", `bytes */${bytes}`).send();
  }
  void reply.type(audioType(file));
  if (range === null) {
    return reply.header("content-length", String(bytes)).send(createReadStream(file));
  }
  return reply
    .status(206)
    .header("content-range", `bytes ${range.start}-${range.end}/${bytes}`)
    .header("content-length", String(range.end - range.start + 1))
    .send(createReadStream(file, { start: range.start, end: range.end }));
}
