/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${id}.${timestamp}.${body}` with the base64 key after `whsec_`, sent as `v1,<base64>`.
 * Several secrets may be active at once (rotation): every one signs, signatures space-separated.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "whsec_";

export function parseSigningSecrets(spec: string | undefined): Buffer[] {
  if (!spec) return [];
  return spec
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s, i) => {
      if (!s.startsWith(PREFIX))
        throw new Error(`WEBHOOK_SIGNING_SECRET entry ${i + 1} must start with whsec_`);
      const key = Buffer.from(s.slice(PREFIX.length), "base64");
      if (key.length < 16) throw new Error(`WEBHOOK_SIGNING_SECRET entry ${i + 1} is shorter than 16 bytes`);
      return key;
    });
}

export function sign(key: Buffer, msgId: string, timestamp: number, body: string | Uint8Array): string {
  return `v1,${createHmac("sha256", key).update(`${msgId}.${timestamp}.`).update(body).digest("base64")}`;
}

export function signatureHeaders(
  keys: Buffer[],
  msgId: string,
  timestamp: number,
  body: string | Uint8Array,
): Record<string, string> {
  if (keys.length === 0) return {};
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": keys.map((k) => sign(k, msgId, timestamp, body)).join(" "),
  };
}

/** Constant-time check of one `v1,` signature list against a key (for receivers and tests). */
export function verify(key: Buffer, msgId: string, timestamp: number, body: string, header: string): boolean {
  const expected = Buffer.from(sign(key, msgId, timestamp, body));
  return header.split(" ").some((s) => {
    const got = Buffer.from(s);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
