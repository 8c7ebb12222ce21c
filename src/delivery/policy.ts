/**
 * Retry policies as data plus pure decisions (ARCHITECTURE.md habits 3 and 5). Clock and
 * randomness are parameters; delays are capped; a Retry-After hint may only delay, never hasten.
 *
 * Presets: `makimoto` (SPEC.md section 4, the default: 3 attempts, exponential, 30 s timeout),
 * `assemblyai` (10 attempts 10 s apart, 10 s timeout, 4xx final) and `standard` (a multi-day
 * schedule with jitter, as webhook platforms use).
 */
import type { FailureClass } from "../store/types.ts";

export type Schedule =
  | { kind: "exponential"; baseMs: number; factor: number; maxDelayMs: number }
  /** delaysMs[i] is the wait before attempt i + 2 (the first attempt is immediate) */
  | { kind: "list"; delaysMs: number[] };

export interface RetryPolicy {
  name: string;
  maxAttempts: number;
  schedule: Schedule;
  /** ± fraction of each delay, e.g. 0.2 → uniformly within 80–120 % */
  jitter: number;
  timeoutMs: number;
  /** statuses that end delivery at once (besides 2xx); `4xx` means 400–499 */
  finalStatuses: Array<number | "4xx">;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

export const presets = {
  makimoto: {
    name: "makimoto",
    maxAttempts: 3,
    schedule: { kind: "exponential", baseMs: 5000, factor: 4, maxDelayMs: 24 * HOUR },
    jitter: 0,
    timeoutMs: 30_000,
    finalStatuses: [410],
  },
  assemblyai: {
    name: "assemblyai",
    maxAttempts: 10,
    schedule: { kind: "list", delaysMs: Array<number>(9).fill(10_000) },
    jitter: 0,
    timeoutMs: 10_000,
    finalStatuses: ["4xx"],
  },
  standard: {
    name: "standard",
    maxAttempts: 10,
    schedule: {
      kind: "list",
      delaysMs: [5000, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR],
    },
    jitter: 0.2,
    timeoutMs: 30_000,
    finalStatuses: [410],
  },
} satisfies Record<string, RetryPolicy>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];
export const defaultPolicy: RetryPolicy = presets.makimoto;

/** Scales every delay and timeout (tests and demos run whole schedules in milliseconds). */
export function scalePolicy(p: RetryPolicy, scale: number): RetryPolicy {
  if (scale === 1) return p;
  const s = (ms: number) => Math.max(1, Math.round(ms * scale));
  const schedule: Schedule =
    p.schedule.kind === "exponential"
      ? { ...p.schedule, baseMs: s(p.schedule.baseMs), maxDelayMs: s(p.schedule.maxDelayMs) }
      : { kind: "list", delaysMs: p.schedule.delaysMs.map(s) };
  return { ...p, schedule, timeoutMs: s(p.timeoutMs) };
}

export interface AttemptResult {
  statusCode: number | null;
  errorClass: FailureClass | null;
  /** seconds or HTTP date, as received */
  retryAfter?: string | null;
}

export const isSuccess = (r: AttemptResult): boolean =>
  r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;

/** Failures no retry can fix: a final status, or the guard refused the address. */
export function isFinalFailure(r: AttemptResult, p: RetryPolicy): boolean {
  if (r.errorClass === "ssrf_blocked") return true;
  const s = r.statusCode;
  if (s === null) return false;
  return p.finalStatuses.some((f) => (f === "4xx" ? s >= 400 && s < 500 : f === s));
}

/** Scheduled wait after attempt number `attemptsMade` (1-based), before jitter. */
export function scheduledDelay(attemptsMade: number, p: RetryPolicy): number {
  if (p.schedule.kind === "list") {
    const list = p.schedule.delaysMs;
    return list[Math.min(attemptsMade - 1, list.length - 1)] ?? 0;
  }
  const exp = Math.min(attemptsMade - 1, 30);
  return Math.min(p.schedule.baseMs * p.schedule.factor ** exp, p.schedule.maxDelayMs);
}

/** Retry-After as ms (delta-seconds or HTTP date), or null when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * When to try again after `attemptsMade` attempts of this series, or null when exhausted.
 * `rand` in [0, 1) drives jitter; a Retry-After hint is clamped to [scheduled, 2 × scheduled].
 */
export function nextAttemptAt(
  attemptsMade: number,
  p: RetryPolicy,
  now: number,
  rand: () => number = Math.random,
  retryAfterMs: number | null = null,
): number | null {
  if (attemptsMade >= p.maxAttempts) return null;
  const scheduled = scheduledDelay(attemptsMade, p);
  let delay = scheduled * (1 + p.jitter * (2 * rand() - 1));
  if (retryAfterMs !== null) delay = Math.min(Math.max(retryAfterMs, scheduled), 2 * scheduled);
  return now + Math.round(delay);
}

export type Decision = { state: "delivered" } | { state: "abandoned" } | { state: "pending"; at: number };

export function decide(
  result: AttemptResult,
  attemptsMade: number,
  p: RetryPolicy,
  now: number,
  rand: () => number = Math.random,
): Decision {
  if (isSuccess(result)) return { state: "delivered" };
  if (isFinalFailure(result, p)) return { state: "abandoned" };
  const at = nextAttemptAt(attemptsMade, p, now, rand, parseRetryAfter(result.retryAfter, now));
  return at === null ? { state: "abandoned" } : { state: "pending", at };
}

export function classifyStatus(status: number): FailureClass | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  return status >= 300 ? "http_3xx" : "other";
}
