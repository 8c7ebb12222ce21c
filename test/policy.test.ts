import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  backoffDelay,
  classifyStatus,
  decide,
  defaultPolicy,
  nextAttemptAt,
  type RetryPolicy,
} from "../src/delivery/policy.ts";

describe("default delivery policy (SPEC.md section 4)", () => {
  it("waits 5 s then 20 s and gives up after the 3rd attempt", () => {
    assert.equal(nextAttemptAt(1, defaultPolicy, 1000), 6000);
    assert.equal(nextAttemptAt(2, defaultPolicy, 1000), 21_000);
    assert.equal(nextAttemptAt(3, defaultPolicy, 1000), null);
    assert.equal(defaultPolicy.timeoutMs, 30_000);
  });

  it("caps the delay however many attempts are configured", () => {
    const p: RetryPolicy = { ...defaultPolicy, maxAttempts: 100, maxDelayMs: 60_000 };
    assert.equal(backoffDelay(50, p), 60_000);
    assert.ok(Number.isFinite(backoffDelay(1000, p)));
  });

  const table: Array<
    [string, { statusCode: number | null; errorClass: never | string | null }, number, string]
  > = [
    ["2xx delivers", { statusCode: 200, errorClass: null }, 1, "delivered"],
    ["204 delivers", { statusCode: 204, errorClass: null }, 3, "delivered"],
    ["500 retries", { statusCode: 500, errorClass: "http_5xx" }, 1, "pending"],
    ["404 retries (any non-2xx)", { statusCode: 404, errorClass: "http_4xx" }, 2, "pending"],
    ["301 retries", { statusCode: 301, errorClass: "http_3xx" }, 1, "pending"],
    ["timeout retries", { statusCode: null, errorClass: "timeout" }, 1, "pending"],
    ["connect refused retries", { statusCode: null, errorClass: "connect" }, 2, "pending"],
    ["last attempt abandons", { statusCode: 500, errorClass: "http_5xx" }, 3, "abandoned"],
    ["ssrf block is final", { statusCode: null, errorClass: "ssrf_blocked" }, 1, "abandoned"],
  ];
  for (const [name, result, attempts, state] of table) {
    it(name, () => {
      const d = decide(result as Parameters<typeof decide>[0], attempts, defaultPolicy, 0);
      assert.equal(d.state, state);
      if (d.state === "pending") assert.equal(d.at, backoffDelay(attempts, defaultPolicy));
    });
  }

  it("classifies statuses", () => {
    assert.equal(classifyStatus(200), null);
    assert.equal(classifyStatus(299), null);
    assert.equal(classifyStatus(302), "http_3xx");
    assert.equal(classifyStatus(410), "http_4xx");
    assert.equal(classifyStatus(503), "http_5xx");
  });
});
