/**
 * Read-side JSON for jobs and deliveries. Pure. The auth header value and any password in a
 * callback URL never leave through here.
 */
import { summarySuccessBody, type SummaryResult } from "../core/summary-job.ts";
import { webhookId } from "../delivery/worker.ts";
import { failureBody, successBody, type Transcript } from "../core/payloads.ts";
import { hidePassword } from "../net/redact-url.ts";
import type { AttemptRow, DeliveryInfo, DeliveryRow, JobRow, StoredCircuit } from "../store/types.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function attemptView(a: AttemptRow) {
  return {
    series: a.series,
    attempt: a.attemptNo,
    at: iso(a.startedAt),
    status_code: a.statusCode,
    error_class: a.errorClass,
    error: a.errorDetail,
    latency_ms: a.latencyMs,
    url_host: a.urlHost,
    response_body: a.responseSnippet,
  };
}

/** Why a due delivery is not being sent right now, if it is held. */
export interface Hold {
  reason: "circuit_open" | "host_busy";
  /** when the host's circuit lets a probe through (circuit_open); null: when a slot frees */
  until: number | null;
}

/** Pure: a pending, due delivery is held by its host's open circuit or by the host's full cap. */
export function holdOf(
  d: Pick<DeliveryRow, "state" | "nextAttemptAt">,
  circuit: Pick<StoredCircuit, "state" | "openUntil"> | undefined,
  inFlight: number,
  perHost: number,
  now: number,
): Hold | null {
  if (d.state !== "pending" || d.nextAttemptAt === null || d.nextAttemptAt > now) return null;
  if (circuit && circuit.state !== "closed") {
    return { reason: "circuit_open", until: Math.max(now, circuit.openUntil ?? now) };
  }
  if (inFlight >= perHost) return { reason: "host_busy", until: null };
  return null;
}

export function deliveryView(d: DeliveryInfo, attempts: AttemptRow[], hold: Hold | null = null) {
  return {
    id: d.id,
    request_id: d.jobId,
    event: d.event,
    webhook_id: webhookId(d),
    url: hidePassword(d.url),
    policy: d.policy,
    state: d.state,
    webhook_status_code: d.lastStatusCode,
    auth_header: d.authHeaderName ? { name: d.authHeaderName, value: "[redacted]" } : null,
    series: d.series,
    attempts_in_series: d.attemptsInSeries,
    next_attempt_at: d.state === "pending" ? iso(d.nextAttemptAt) : null,
    held_reason: hold?.reason ?? null,
    held_until: hold ? iso(hold.until) : null,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
    attempts: attempts.map(attemptView),
  };
}

/** One entry of the events feed: the webhook body exactly as sent, parsed. */
export function eventView(d: DeliveryRow, cursor: string) {
  return {
    cursor,
    webhook_id: webhookId(d),
    delivery_id: d.id,
    event: d.event,
    request_id: d.jobId,
    created_at: iso(d.createdAt),
    delivery_state: d.state,
    // emptied when its job was deleted
    body: d.body === "" ? null : (JSON.parse(d.body) as unknown),
    ...(d.body === "" && { deleted: true }),
  };
}

/** The body a caller would have received for this job (S001/E001), or null while it runs. */
export function jobResultBody(job: JobRow) {
  const ids = { requestId: job.id, callUuid: job.callUuid };
  if (job.deletedAt !== null && job.status === "succeeded") return null;
  if (job.status === "succeeded" && job.kind === "summary") {
    return summarySuccessBody(job.callUuid, (job.result as SummaryResult).summary);
  }
  if (job.status === "succeeded") return successBody(ids, job.result as Transcript);
  if (job.status === "failed") {
    return failureBody(ids, { code: job.errorCode ?? "internal", message: job.errorMessage ?? "" });
  }
  return null;
}

export function jobView(job: JobRow, callback: ReturnType<typeof deliveryView> | null) {
  return {
    request_id: job.id,
    call_uuid: job.callUuid,
    status: job.status,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    ...(job.status === "processing" && job.progress
      ? { progress: { done_seconds: job.progress.done, total_seconds: job.progress.total } }
      : {}),
    result: jobResultBody(job),
    ...(job.kind === "summary" && job.status === "succeeded" && job.deletedAt === null
      ? { tags: (job.result as SummaryResult).tags }
      : {}),
    ...(job.deletedAt !== null && { deleted: true, deleted_at: iso(job.deletedAt) }),
    callback,
  };
}

/** One request of a call (`GET /transcribe?call_uuid=…`). */
export function requestSummary(job: JobRow) {
  return {
    request_id: job.id,
    status: job.status,
    created_at: iso(job.createdAt),
    finished_at: iso(job.finishedAt),
    audio_seconds: job.audioSeconds,
    error_code: job.errorCode,
    ...(job.deletedAt !== null && { deleted: true, deleted_at: iso(job.deletedAt) }),
  };
}
