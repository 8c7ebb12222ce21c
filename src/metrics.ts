/**
 * Prometheus metrics (GET /metrics). One registry per server instance, so tests can run several.
 * Queue gauges are read from the store at scrape time: they are facts about the database, not
 * about this process.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "./store/types.ts";

export interface Metrics {
  registry: Registry;
  attempt(result: string, latencyMs: number): void;
  finished(outcome: "delivered" | "abandoned"): void;
}

export function createMetrics(store: Store, now: () => number = Date.now): Metrics {
  const registry = new Registry();
  const attempts = new Counter({
    name: "callscribe_delivery_attempts_total",
    help: "Webhook attempts by result (2xx or failure class)",
    labelNames: ["result"],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: "callscribe_deliveries_total",
    help: "Deliveries that reached a final state, by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "callscribe_delivery_attempt_duration_seconds",
    help: "Duration of webhook attempts",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: "callscribe_delivery_queue_depth",
    help: "Deliveries waiting to be sent (pending)",
    registers: [registry],
    async collect() {
      this.set(await store.countDeliveries("pending"));
    },
  });
  new Gauge({
    name: "callscribe_delivery_oldest_due_age_seconds",
    help: "How long the oldest due pending delivery has been waiting (0 when none is due)",
    registers: [registry],
    async collect() {
      const due = await store.nextDueAt();
      this.set(due === null ? 0 : Math.max(0, (now() - due) / 1000));
    },
  });
  new Gauge({
    name: "callscribe_circuit_state",
    help: "Circuit breaker per receiver host: 0 closed, 1 half-open, 2 open (hosts with history only)",
    labelNames: ["host"],
    registers: [registry],
    async collect() {
      this.reset();
      const code = { closed: 0, half_open: 1, open: 2 } as const;
      const t = now();
      for (const c of await store.listCircuits()) {
        const state = c.state === "open" && (c.openUntil ?? 0) <= t ? "half_open" : c.state;
        this.set({ host: c.host }, code[state]);
      }
    },
  });
  return {
    registry,
    attempt(result, latencyMs) {
      attempts.inc({ result });
      latency.observe(latencyMs / 1000);
    },
    finished(outcome) {
      outcomes.inc({ outcome });
    },
  };
}
