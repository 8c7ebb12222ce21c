/** Optional API keys (`API_KEYS`): the `apikey` header must match one, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { AppError } from "../core/errors.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function keyMatches(given: string | undefined, keys: readonly string[]): boolean {
  if (!given) return false;
  const g = digest(given);
  return keys.reduce((ok, k) => timingSafeEqual(g, digest(k)) || ok, false);
}

export function registerApiKeyAuth(app: FastifyInstance, keys: readonly string[], open: string[]): void {
  if (keys.length === 0) return;
  app.addHook("onRequest", async (req) => {
    if (open.includes(req.url.split("?")[0]!)) return;
    const given = req.headers.apikey;
    if (!keyMatches(Array.isArray(given) ? given[0] : given, keys)) {
      throw new AppError("unauthorized", "missing or invalid apikey header");
    }
  });
}
