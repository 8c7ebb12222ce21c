/**
 * Isolation between receivers, turned into the claim options the store understands:
 * - a window per host (slow start): a host this worker has no history with gets a few slots, each
 *   success adds one, each failure halves it; so receivers that hang hold only a few slots each
 *   until their circuit opens, and a healthy host ramps up to `perHost` within a few round trips;
 * - a circuit breaker per host: while open its deliveries wait in the database without spending
 *   attempts. Circuit state is shared through the store (`sync`) so every worker holds the host;
 * - claimed deliveries count against the host's window until they finish; one whose host's
 *   circuit opened or whose window shrank between its claim and its turn is given back unsent
 *   (`startable`), never sent past the circuit or the window.
 */
import type { ClaimOptions } from "../store/types.ts";
import { allowance, closed, current, onResult, type Circuit, type CircuitConfig } from "./circuit.ts";

export interface HostGate {
  claimOptions(
    now: number,
  ): Required<Pick<ClaimOptions, "perHost" | "inFlight" | "hostFree" | "newHostFree" | "excludeHosts">>;
  /** earliest time an open circuit lets a probe through */
  nextReopenAt(now: number): number | null;
  /** a delivery to the host was claimed: it counts against the host's share until it finishes */
  claimed(host: string): void;
  /** Whether a claimed delivery to the host may be sent now; if not, it is to be given back. */
  startable(host: string, now: number): boolean;
  /** a claimed delivery to the host was given back unsent */
  released(host: string): void;
  /** a claimed delivery to the host is being sent */
  started(host: string): void;
  /** records an outcome; returns the circuit transition it caused, if any */
  finished(host: string, ok: boolean, now: number): { from: Circuit; to: Circuit } | null;
  circuit(host: string, now: number): Circuit["state"];
  /** adopts circuits other workers recorded after this worker's own last change for that host */
  sync(shared: readonly SharedCircuit[], now: number): void;
}

export interface SharedCircuit {
  host: string;
  circuit: Circuit;
  updatedAt: number;
}

interface Entry {
  /** being sent */
  inFlight: number;
  /** claimed, not yet sent */
  held: number;
  circuit: Circuit;
  /** when this worker last changed the circuit */
  changedAt: number;
  window: number;
  lastActive: number;
}

const IDLE_FORGET_MS = 5 * 60_000;

export function createHostGate(perHost: number, cfg: CircuitConfig): HostGate {
  const initialWindow = Math.max(1, Math.ceil(perHost / 16));
  const hosts = new Map<string, Entry>();
  const entry = (host: string, now = Date.now()) => {
    let e = hosts.get(host);
    if (!e) {
      e = { inFlight: 0, held: 0, circuit: closed, changedAt: 0, window: initialWindow, lastActive: now };
      hosts.set(host, e);
    }
    return e;
  };
  const unhold = (e: Entry) => {
    e.held = Math.max(0, e.held - 1);
    return e;
  };
  return {
    claimOptions(now) {
      const inFlight: Record<string, number> = {};
      const hostFree: Record<string, number> = {};
      const excludeHosts: string[] = [];
      for (const [host, e] of hosts) {
        const claimed = e.inFlight + e.held;
        const idle = claimed === 0 && e.circuit.state === "closed" && e.circuit.failures === 0;
        if (idle && now - e.lastActive > IDLE_FORGET_MS) {
          hosts.delete(host);
          continue;
        }
        // the window is this worker's cap for the host
        const free = allowance(e.circuit, now, e.window, claimed);
        if (free === 0) excludeHosts.push(host);
        else hostFree[host] = free;
        if (claimed > 0) inFlight[host] = claimed;
      }
      return { perHost, inFlight, hostFree, newHostFree: initialWindow, excludeHosts };
    },
    nextReopenAt(now) {
      let t: number | null = null;
      for (const e of hosts.values()) {
        const c = current(e.circuit, now);
        if (c.state === "open" && (t === null || c.until < t)) t = c.until;
      }
      return t;
    },
    claimed(host) {
      entry(host).held++;
    },
    startable(host, now) {
      const e = entry(host, now);
      return current(e.circuit, now).state !== "open" && e.inFlight < e.window;
    },
    released(host) {
      unhold(entry(host));
    },
    started(host) {
      unhold(entry(host)).inFlight++;
    },
    finished(host, ok, now) {
      const e = entry(host, now);
      e.inFlight = Math.max(0, e.inFlight - 1);
      e.lastActive = now;
      e.window = ok ? Math.min(perHost, e.window + 1) : Math.max(1, Math.floor(e.window / 2));
      const from = current(e.circuit, now);
      e.circuit = onResult(from, ok, now, cfg);
      if (from.state === e.circuit.state) return null;
      e.changedAt = now;
      return { from, to: e.circuit };
    },
    circuit: (host, now) => current(hosts.get(host)?.circuit ?? closed, now).state,
    sync(shared, now) {
      for (const s of shared) {
        const e = hosts.get(s.host);
        if (!e && s.circuit.state === "closed") continue;
        const mine = e ?? entry(s.host, now);
        if (s.updatedAt > mine.changedAt) {
          mine.circuit = s.circuit;
          mine.changedAt = s.updatedAt;
        }
      }
    },
  };
}
