/**
 * Optional API keys (`API_KEYS`): the Call API sends the `apikey` header, the Jobs API (`/v1`)
 * `Authorization: Bearer <key>`; either is compared in constant time. Every key belongs to an
 * owner: `tenant:key` entries share their tenant's jobs, a bare key owns its own (named by a hash
 * prefix, never by the key). Without keys the server is open and jobs have no owner.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../core/errors.ts";

export interface ApiKey {
  key: string;
  owner: string;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Pure: `tenantA:key1,key2` → key1 owned by tenantA, key2 by `key_<hash prefix>`. */
export function parseApiKeys(entries: readonly string[]): ApiKey[] {
  return entries.map((entry) => {
    const colon = entry.indexOf(":");
    if (colon > 0 && colon < entry.length - 1) {
      return { owner: entry.slice(0, colon), key: entry.slice(colon + 1) };
    }
    return { owner: `key_${digest(entry).toString("hex").slice(0, 12)}`, key: entry };
  });
}

/** The owner of the matching key, or undefined; every key is compared (no early exit). */
export function ownerOfKey(given: string | undefined, keys: readonly ApiKey[]): string | undefined {
  if (!given) return undefined;
  const g = digest(given);
  let owner: string | undefined;
  for (const k of keys) if (timingSafeEqual(g, digest(k.key))) owner ??= k.owner;
  return owner;
}

declare module "fastify" {
  interface FastifyRequest {
    /** who the request acts for: the key's owner; null on a server without keys */
    owner: string | null;
  }
}

export const isJobsApi = (url: string) => url === "/v1" || url.startsWith("/v1/");

function presentedKey(req: FastifyRequest): string | undefined {
  if (isJobsApi(req.url)) {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    return m?.[1]?.trim();
  }
  const given = req.headers.apikey;
  return Array.isArray(given) ? given[0] : given;
}

/** Pure: `open` holds exact paths, and prefixes ending in `/` (e.g. the console's static files). */
export const isOpenPath = (open: readonly string[], url: string): boolean => {
  const p = url.split("?")[0]!;
  return open.some((o) => (o.endsWith("/") ? p.startsWith(o) : p === o));
};

/**
 * `urlTokenOwner`: a second way in for the few routes a browser loads by URL (an `<audio>` element
 * cannot send a header): the owner a signed token in the URL stands for, or undefined.
 */
export function registerApiKeyAuth(
  app: FastifyInstance,
  keys: readonly ApiKey[],
  open: string[],
  urlTokenOwner?: (req: FastifyRequest) => string | undefined,
): void {
  app.decorateRequest("owner", null);
  if (keys.length === 0) return;
  app.addHook("onRequest", async (req) => {
    if (isOpenPath(open, req.url)) return;
    const owner = ownerOfKey(presentedKey(req), keys) ?? urlTokenOwner?.(req);
    if (owner === undefined) {
      throw new AppError(
        "unauthorized",
        isJobsApi(req.url)
          ? "missing or invalid API key: send Authorization: Bearer <key>"
          : "missing or invalid apikey header",
      );
    }
    req.owner = owner;
  });
}

/** Refuses a job that belongs to another owner (a server without keys owns nothing). */
export function checkOwner(req: FastifyRequest, job: { owner: string | null }, what: string): void {
  if (req.owner !== null && job.owner !== req.owner) {
    throw new AppError("forbidden", `${what} belongs to another API key`);
  }
}
