/**
 * Isolation between receivers: per-host in-flight counts and circuit breakers, turned into the
 * claim options the store understands. A dead or slow host can hold at most `perHost` slots, and
 * while its circuit is open its deliveries wait in the database without burning attempts.
 */
import type { ClaimOptions } from "../store/types.ts";
import { allowance, closed, current, onResult, type Circuit, type CircuitConfig } from "./circuit.ts";

export interface HostGate {
  claimOptions(now: number): Required<Pick<ClaimOptions, "perHost" | "inFlight" | "excludeHosts">>;
  /** earliest time an open circuit lets a probe through */
  nextReopenAt(now: number): number | null;
  started(host: string): void;
  finished(host: string, ok: boolean, now: number): void;
  circuit(host: string, now: number): Circuit["state"];
}

export function createHostGate(perHost: number, cfg: CircuitConfig): HostGate {
  const hosts = new Map<string, { inFlight: number; circuit: Circuit }>();
  const entry = (host: string) => {
    let e = hosts.get(host);
    if (!e) hosts.set(host, (e = { inFlight: 0, circuit: closed }));
    return e;
  };
  return {
    claimOptions(now) {
      const inFlight: Record<string, number> = {};
      const excludeHosts: string[] = [];
      for (const [host, e] of hosts) {
        const free = allowance(e.circuit, now, perHost, e.inFlight);
        if (free === 0) excludeHosts.push(host);
        else if (free < perHost) inFlight[host] = perHost - free;
      }
      return { perHost, inFlight, excludeHosts };
    },
    nextReopenAt(now) {
      let t: number | null = null;
      for (const e of hosts.values()) {
        const c = current(e.circuit, now);
        if (c.state === "open" && (t === null || c.until < t)) t = c.until;
      }
      return t;
    },
    started(host) {
      entry(host).inFlight++;
    },
    finished(host, ok, now) {
      const e = entry(host);
      e.inFlight--;
      e.circuit = onResult(current(e.circuit, now), ok, now, cfg);
      if (e.inFlight === 0 && e.circuit.state === "closed" && e.circuit.failures === 0) hosts.delete(host);
    },
    circuit: (host, now) => current(hosts.get(host)?.circuit ?? closed, now).state,
  };
}
