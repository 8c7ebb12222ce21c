import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allowance, closed, current, onResult, type CircuitConfig } from "../src/delivery/circuit.ts";
import { createHostGate } from "../src/delivery/host-gate.ts";

const cfg: CircuitConfig = { failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 4000 };

describe("circuit breaker", () => {
  it("opens after consecutive failures, half-opens after the cool-down, closes on a good probe", () => {
    let c = closed;
    c = onResult(c, false, 0, cfg);
    c = onResult(c, false, 0, cfg);
    assert.deepEqual(c, { state: "closed", failures: 2 });
    c = onResult(c, true, 0, cfg);
    assert.deepEqual(c, closed, "a success resets the count");
    for (let i = 0; i < 3; i++) c = onResult(c, false, 100, cfg);
    assert.deepEqual(c, { state: "open", until: 1100, cooldownMs: 1000 });
    assert.equal(allowance(c, 500, 8, 0), 0, "open: no requests");
    assert.equal(current(c, 1100).state, "half_open");
    assert.equal(allowance(c, 1100, 8, 0), 1, "half-open: one probe");
    assert.equal(allowance(c, 1100, 8, 1), 0, "half-open: only one probe at a time");
    assert.deepEqual(onResult(current(c, 1100), true, 1200, cfg), closed);
  });

  it("a failed probe re-opens with a doubled, capped cool-down", () => {
    let c = onResult({ state: "half_open", cooldownMs: 1000 }, false, 0, cfg);
    assert.deepEqual(c, { state: "open", until: 2000, cooldownMs: 2000 });
    c = onResult({ state: "half_open", cooldownMs: 4000 }, false, 0, cfg);
    assert.deepEqual(c, { state: "open", until: 4000, cooldownMs: 4000 });
  });

  it("the host gate caps in-flight requests per host and excludes open circuits", () => {
    const gate = createHostGate(2, cfg);
    gate.started("a:1");
    assert.deepEqual(gate.claimOptions(0), { perHost: 2, inFlight: { "a:1": 1 }, excludeHosts: [] });
    gate.started("a:1");
    assert.deepEqual(gate.claimOptions(0).excludeHosts, ["a:1"]);
    for (let i = 0; i < 3; i++) {
      gate.started("b:1");
      gate.finished("b:1", false, 10);
    }
    gate.finished("a:1", true, 10);
    const opts = gate.claimOptions(20);
    assert.deepEqual(opts.excludeHosts, ["b:1"]);
    assert.equal(gate.circuit("b:1", 20), "open");
    assert.equal(gate.nextReopenAt(20), 1010);
    assert.equal(gate.circuit("b:1", 1010), "half_open");
    assert.deepEqual(
      gate.claimOptions(1010).inFlight,
      { "a:1": 1, "b:1": 1 },
      "half-open host gets one slot",
    );
  });
});
