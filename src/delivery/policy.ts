/**
 * Retry policy as data plus pure decisions (ARCHITECTURE.md habits 3 and 5). The default is
 * SPEC.md section 4: 3 attempts, exponential backoff (base × factor^(n-1)), 30 s per attempt,
 * retry on transport errors and any non-2xx, stop on any 2xx.
 */
import type { FailureClass } from "../store/types.ts";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const defaultPolicy: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 5000,
  factor: 4,
  maxDelayMs: 24 * 3600_000,
  timeoutMs: 30_000,
};

export interface AttemptResult {
  statusCode: number | null;
  errorClass: FailureClass | null;
}

export const isSuccess = (r: AttemptResult): boolean =>
  r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;

/** Failures no retry can fix: the guard refused the address, so the next attempt would too. */
export const isFinalFailure = (r: AttemptResult): boolean => r.errorClass === "ssrf_blocked";

/** Delay before the attempt after attempt number `attemptsMade` (1-based), capped. */
export function backoffDelay(attemptsMade: number, policy: RetryPolicy): number {
  const exp = Math.min(attemptsMade - 1, 30);
  return Math.min(policy.baseDelayMs * policy.factor ** exp, policy.maxDelayMs);
}

/** When to try again after `attemptsMade` attempts of this series, or null when exhausted. */
export function nextAttemptAt(attemptsMade: number, policy: RetryPolicy, now: number): number | null {
  if (attemptsMade >= policy.maxAttempts) return null;
  return now + backoffDelay(attemptsMade, policy);
}

export type Decision = { state: "delivered" } | { state: "abandoned" } | { state: "pending"; at: number };

export function decide(
  result: AttemptResult,
  attemptsMade: number,
  policy: RetryPolicy,
  now: number,
): Decision {
  if (isSuccess(result)) return { state: "delivered" };
  if (isFinalFailure(result)) return { state: "abandoned" };
  const at = nextAttemptAt(attemptsMade, policy, now);
  return at === null ? { state: "abandoned" } : { state: "pending", at };
}

export function classifyStatus(status: number): FailureClass | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  return status >= 300 ? "http_3xx" : "other";
}
