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

  it("the host gate: a new host starts with a small window that grows on success and halves on failure", () => {
    const gate = createHostGate(16, cfg); // initial window 1 (16 / 16)
    assert.equal(gate.claimOptions(0).newHostFree, 1, "a host with no history gets one slot");
    gate.started("a:1");
    assert.deepEqual(gate.claimOptions(0), {
      perHost: 16,
      inFlight: { "a:1": 1 },
      hostFree: {},
      newHostFree: 1,
      excludeHosts: ["a:1"],
    });
    for (let i = 0; i < 5; i++) {
      gate.finished("a:1", true, 1);
      gate.started("a:1");
    }
    assert.equal(gate.claimOptions(2).hostFree["a:1"], 5, "window 6 after 5 successes, 1 in flight");
    gate.finished("a:1", false, 3);
    assert.equal(gate.claimOptions(3).hostFree["a:1"], 3, "a failure halves the window");
    for (let i = 0; i < 40; i++) gate.finished("a:1", true, 4);
    assert.equal(gate.claimOptions(4).hostFree["a:1"], 16, "never above perHost");
  });

  it("the host gate counts claimed deliveries, and says to give back those its circuit or window no longer allows", () => {
    const gate = createHostGate(4, cfg); // initial window 1, up to 4
    for (let i = 0; i < 3; i++) {
      gate.claimed("h:1");
      gate.started("h:1");
      gate.finished("h:1", true, 1);
    }
    for (let i = 0; i < 4; i++) gate.claimed("h:1");
    assert.deepEqual(gate.claimOptions(2).inFlight, { "h:1": 4 }, "claimed, not yet sent, count");
    assert.deepEqual(gate.claimOptions(2).excludeHosts, ["h:1"], "the window of 4 is full");
    for (let i = 0; i < 3; i++) {
      assert.equal(gate.startable("h:1", 2), true);
      gate.started("h:1");
    }
    gate.finished("h:1", false, 3);
    assert.equal(gate.startable("h:1", 3), false, "the window halved to 2 with 2 being sent: give it back");
    gate.released("h:1");
    assert.deepEqual(gate.claimOptions(3).inFlight, { "h:1": 2 });
    gate.finished("h:1", true, 4);
    assert.equal(gate.startable("h:1", 4), true, "window 3, 1 being sent");
    for (let i = 0; i < 3; i++) gate.finished("h:1", false, 5); // 3 failures in a row: open
    assert.equal(gate.circuit("h:1", 5), "open");
    assert.equal(gate.startable("h:1", 5), false, "an open circuit sends nothing claimed");
  });

  it("the host gate excludes open circuits, lets one probe through half-open, and reports transitions", () => {
    const gate = createHostGate(2, cfg);
    const changes = [];
    for (let i = 0; i < 3; i++) {
      gate.started("b:1");
      changes.push(gate.finished("b:1", false, 10));
    }
    assert.deepEqual(changes.slice(0, 2), [null, null]);
    assert.equal(changes[2]?.to.state, "open");
    assert.deepEqual(gate.claimOptions(20).excludeHosts, ["b:1"]);
    assert.equal(gate.circuit("b:1", 20), "open");
    assert.equal(gate.nextReopenAt(20), 1010);
    assert.equal(gate.circuit("b:1", 1010), "half_open");
    assert.equal(gate.claimOptions(1010).hostFree["b:1"], 1, "half-open host gets one probe");
    gate.started("b:1");
    assert.deepEqual(gate.finished("b:1", true, 1020)?.to, closed);
  });

  it("the host gate adopts circuits other workers recorded later than its own change", () => {
    const gate = createHostGate(8, cfg);
    gate.sync(
      [{ host: "c:1", circuit: { state: "open", until: 5000, cooldownMs: 1000 }, updatedAt: 100 }],
      200,
    );
    assert.equal(gate.circuit("c:1", 200), "open");
    assert.deepEqual(gate.claimOptions(200).excludeHosts, ["c:1"]);
    gate.sync([{ host: "c:1", circuit: closed, updatedAt: 50 }], 300);
    assert.equal(gate.circuit("c:1", 300), "open", "an older record does not override");
    gate.sync([{ host: "c:1", circuit: closed, updatedAt: 400 }], 500);
    assert.equal(gate.circuit("c:1", 500), "closed");
  });
});
