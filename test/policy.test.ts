import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyStatus,
  decide,
  defaultPolicy,
  nextAttemptAt,
  parseRetryAfter,
  presets,
  scalePolicy,
  scheduledDelay,
  type AttemptResult,
  type RetryPolicy,
} from "../src/delivery/policy.ts";

const fail500: AttemptResult = { statusCode: 500, errorClass: "http_5xx" };
const mid = () => 0.5; // no jitter offset
/** attempt times of a whole series that always fails, starting at 0 */
function series(p: RetryPolicy, result: AttemptResult = fail500, rand = mid): number[] {
  const times = [0];
  for (;;) {
    const d = decide(result, times.length, p, times.at(-1)!, rand);
    if (d.state !== "pending") return times;
    times.push(d.at);
  }
}

describe("retry policies", () => {
  it("makimoto (default, SPEC.md section 4): 3 attempts, waits 5 s then 20 s, 30 s timeout", () => {
    assert.equal(defaultPolicy, presets.makimoto);
    assert.deepEqual(series(presets.makimoto), [0, 5000, 25_000]);
    assert.equal(presets.makimoto.timeoutMs, 30_000);
  });

  it("assemblyai: 10 attempts 10 s apart, 10 s timeout, any 4xx final", () => {
    assert.deepEqual(
      series(presets.assemblyai),
      Array.from({ length: 10 }, (_, i) => i * 10_000),
    );
    assert.equal(presets.assemblyai.timeoutMs, 10_000);
    assert.deepEqual(series(presets.assemblyai, { statusCode: 404, errorClass: "http_4xx" }), [0]);
    assert.deepEqual(series(presets.assemblyai, { statusCode: 429, errorClass: "http_4xx" }), [0]);
  });

  it("standard: immediate, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, jittered within ±20 %", () => {
    const gaps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]!);
    const M = 60_000;
    const H = 60 * M;
    const expected = [5000, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H];
    assert.deepEqual(gaps(series(presets.standard)), expected);
    const low = gaps(series(presets.standard, fail500, () => 0));
    const high = gaps(series(presets.standard, fail500, () => 0.999999));
    expected.forEach((e, i) => {
      assert.equal(low[i], Math.round(e * 0.8));
      assert.ok(Math.abs(high[i]! - e * 1.2) <= e * 1e-5 + 1);
    });
  });

  it("410 Gone stops retries in every preset; a 4xx other than 410 is retried by makimoto", () => {
    for (const p of Object.values(presets)) {
      assert.deepEqual(series(p, { statusCode: 410, errorClass: "http_4xx" }), [0], p.name);
    }
    assert.equal(series(presets.makimoto, { statusCode: 404, errorClass: "http_4xx" }).length, 3);
  });

  it("Retry-After may delay up to twice the scheduled wait, never hasten it", () => {
    const p = presets.assemblyai; // 10 s scheduled
    const at = (retryAfter: string) => {
      const d = decide({ statusCode: 503, errorClass: "http_5xx", retryAfter }, 1, p, 0, mid);
      return d.state === "pending" ? d.at : null;
    };
    assert.equal(at("1"), 10_000, "shorter hint is ignored");
    assert.equal(at("15"), 15_000, "hint within range is honoured");
    assert.equal(at("3600"), 20_000, "long hint is clamped to 2× the schedule");
    assert.equal(at(new Date(12_000).toUTCString()), 12_000, "HTTP-date form");
    assert.equal(at("soon"), 10_000, "garbage is ignored");
    assert.equal(parseRetryAfter("120", 0), 120_000);
  });

  it("transport failures retry; ssrf blocks are final; 2xx delivers", () => {
    for (const errorClass of ["dns", "connect", "tls", "timeout", "reset"] as const) {
      assert.equal(decide({ statusCode: null, errorClass }, 1, defaultPolicy, 0).state, "pending");
    }
    assert.equal(
      decide({ statusCode: null, errorClass: "ssrf_blocked" }, 1, defaultPolicy, 0).state,
      "abandoned",
    );
    assert.equal(decide({ statusCode: 204, errorClass: null }, 3, defaultPolicy, 0).state, "delivered");
  });

  it("caps exponential delays and scales whole policies for tests", () => {
    const p: RetryPolicy = { ...defaultPolicy, maxAttempts: 100 };
    assert.equal(scheduledDelay(60, p), 24 * 3600_000);
    assert.equal(nextAttemptAt(100, p, 0), null);
    const fast = scalePolicy(presets.assemblyai, 0.01);
    assert.equal(fast.timeoutMs, 100);
    assert.deepEqual(series(fast).slice(0, 3), [0, 100, 200]);
  });

  it("classifies statuses", () => {
    assert.equal(classifyStatus(200), null);
    assert.equal(classifyStatus(302), "http_3xx");
    assert.equal(classifyStatus(410), "http_4xx");
    assert.equal(classifyStatus(503), "http_5xx");
  });
});
