/**
 * Per-host circuit breaker, pure: `closed` counts consecutive failures and opens at a threshold;
 * `open` refuses work until its cool-down ends, then lets one probe through (`half_open`); the
 * probe's result closes the circuit or re-opens it with a doubled cool-down (capped).
 */
import type { StoredCircuit } from "../store/types.ts";

export type Circuit =
  | { state: "closed"; failures: number }
  | { state: "open"; until: number; cooldownMs: number }
  | { state: "half_open"; cooldownMs: number };

export interface CircuitConfig {
  failureThreshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export const closed: Circuit = { state: "closed", failures: 0 };

export function onResult(c: Circuit, ok: boolean, now: number, cfg: CircuitConfig): Circuit {
  if (ok) return closed;
  if (c.state === "closed") {
    const failures = c.failures + 1;
    return failures >= cfg.failureThreshold
      ? { state: "open", until: now + cfg.cooldownMs, cooldownMs: cfg.cooldownMs }
      : { state: "closed", failures };
  }
  const cooldownMs = Math.min(c.cooldownMs * 2, cfg.maxCooldownMs);
  return { state: "open", until: now + cooldownMs, cooldownMs };
}

/** The circuit as of `now`: an open circuit whose cool-down has passed becomes half-open. */
export function current(c: Circuit, now: number): Circuit {
  return c.state === "open" && now >= c.until ? { state: "half_open", cooldownMs: c.cooldownMs } : c;
}

/** How many new requests the host may get now, given its cap and what is in flight. */
export function allowance(c: Circuit, now: number, perHost: number, inFlight: number): number {
  const s = current(c, now);
  if (s.state === "open") return 0;
  if (s.state === "half_open") return inFlight === 0 ? 1 : 0;
  return Math.max(0, perHost - inFlight);
}

/** The circuit as the store keeps it (shared by every worker). */
export function toStored(host: string, c: Circuit, now: number): StoredCircuit {
  return {
    host,
    state: c.state,
    failures: c.state === "closed" ? c.failures : 0,
    openUntil: c.state === "open" ? c.until : null,
    cooldownMs: c.state === "closed" ? null : c.cooldownMs,
    updatedAt: now,
  };
}

export function fromStored(s: StoredCircuit): Circuit {
  if (s.state === "open") return { state: "open", until: s.openUntil ?? 0, cooldownMs: s.cooldownMs ?? 0 };
  if (s.state === "half_open") return { state: "half_open", cooldownMs: s.cooldownMs ?? 0 };
  return { state: "closed", failures: s.failures };
}
