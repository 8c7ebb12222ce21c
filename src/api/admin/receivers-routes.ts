/**
 * `GET /receivers`: one row per callback host over a recent window (default the last hour):
 * attempts, success rate, p50/p99 latency, deliveries pending now, the host's circuit breaker and
 * attempts per time bucket (the console draws them). A tenant sees only its own deliveries' hosts.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ReceiverStats, Store, StoredCircuit } from "../../store/types.ts";
import { parseInput } from "../validation.ts";
import { hostParam } from "./deliveries-routes.ts";

export const receiversQuery = z.object({
  window_minutes: z.coerce.number().int().min(5).max(1440).default(60),
  buckets: z.coerce.number().int().min(1).max(120).default(12),
  host: hostParam.optional(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Pure: an open circuit whose cool-down has passed lets a probe through (half-open). */
export function circuitView(c: StoredCircuit | undefined, now: number) {
  if (!c) return { state: "closed" as const, failures: 0, open_until: null };
  const state = c.state === "open" && (c.openUntil ?? 0) <= now ? ("half_open" as const) : c.state;
  return {
    state,
    failures: c.failures,
    open_until: state === "open" && c.openUntil !== null ? iso(c.openUntil) : null,
  };
}

/** Pure: one row of `GET /receivers`. */
export function receiverView(
  s: ReceiverStats,
  circuit: StoredCircuit | undefined,
  since: number,
  bucketMs: number,
  now: number,
) {
  return {
    host: s.host,
    attempts: s.attempts,
    succeeded: s.succeeded,
    success_rate: s.attempts ? Math.round((s.succeeded / s.attempts) * 1000) / 1000 : null,
    p50_latency_ms: s.p50LatencyMs,
    p99_latency_ms: s.p99LatencyMs,
    pending: s.pending,
    circuit: circuitView(circuit, now),
    buckets: s.buckets.map((b, i) => ({ start: iso(since + i * bucketMs), ...b })),
  };
}

export function registerReceiversRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.get("/receivers", async (req) => {
    const q = parseInput(receiversQuery, req.query, { what: "query string" });
    const now = Date.now();
    const windowMs = q.window_minutes * 60_000;
    const bucketMs = Math.ceil(windowMs / q.buckets);
    const since = now - bucketMs * q.buckets;
    const [stats, circuits] = await Promise.all([
      deps.store.receiverStats({ since, now, bucketMs, owner: req.owner }),
      deps.store.listCircuits(),
    ]);
    const byHost = new Map(circuits.map((c) => [c.host, c]));
    const rows = stats.filter((s) => q.host === undefined || s.host === q.host);
    // a host whose circuit is open but that had no attempt in the window is still shown (no tenant
    // sees another's hosts: only on a server without keys)
    if (req.owner === null) {
      const seen = new Set(stats.map((s) => s.host));
      for (const c of circuits) {
        if (seen.has(c.host) || (q.host !== undefined && c.host !== q.host)) continue;
        if (c.state === "closed" && c.failures === 0) continue;
        rows.push({
          host: c.host,
          attempts: 0,
          succeeded: 0,
          p50LatencyMs: null,
          p99LatencyMs: null,
          pending: 0,
          buckets: Array.from({ length: q.buckets }, () => ({ attempts: 0, succeeded: 0 })),
        });
      }
    }
    return {
      since: iso(since),
      until: iso(now),
      bucket_seconds: bucketMs / 1000,
      receivers: rows.map((s) => receiverView(s, byHost.get(s.host), since, bucketMs, now)),
    };
  });
}
