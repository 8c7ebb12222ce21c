/**
 * Response and webhook bodies as zod schemas, for the OpenAPI document (`document.ts`). The bodies
 * themselves are built by plain functions (core/payloads.ts, api/views.ts, api/v1/views.ts); the
 * type checks at the end of this file fail to compile when one of those functions drops or retypes
 * a field these schemas promise, and test/openapi.test.ts validates real answers against the
 * document (objects are closed there, so a field added without its schema fails too).
 */
import { z } from "zod";
import { errorCodes } from "../../core/errors.ts";
import type { acceptedBody, errorResponseBody, failureBody, successBody } from "../../core/payloads.ts";
import type { summarySuccessBody } from "../../core/summary-job.ts";
import type { attemptView, deliveryView, eventView, jobView, requestSummary } from "../views.ts";
import type { jobDetail, listItem } from "../v1/views.ts";
import type { readiness } from "../readiness.ts";

const iso = z.iso.datetime({ offset: true });
/** the views type their times `string | null` (a null time in, a null out) */
const isoOrNull = iso.nullable();
const uuid = z.string().meta({ description: "a UUID" });

const jobStatus = z.enum(["queued", "processing", "succeeded", "failed"]);
const jobKind = z.enum(["transcription", "summary", "tags"]);
const deliveryState = z.enum(["pending", "delivering", "delivered", "abandoned"]);
const webhookEvent = z.enum(["transcriptDelivered", "summaryDelivered"]);
const failureClass = z.enum([
  "dns",
  "connect",
  "tls",
  "timeout",
  "reset",
  "http_3xx",
  "http_4xx",
  "http_5xx",
  "ssrf_blocked",
  "other",
]);

// ---- the webhook contract (SPEC.md sections 2 to 4) ----

export const TranscriptWord = z
  .object({
    word: z.string(),
    start: z.number(),
    end: z.number(),
    confidence: z.number().nullable(),
  })
  .meta({ id: "TranscriptWord" });

export const TranscriptItem = z
  .object({
    text: z.string(),
    time_start: z.number().meta({ description: "seconds from the start of the audio" }),
    time_end: z.number(),
    speaker_id: z.number().int(),
    speaker_alias: z.string(),
    words: z
      .array(TranscriptWord)
      .optional()
      .meta({ description: "only with `word_timestamps` (always in `/v1` results)" }),
  })
  .meta({ id: "TranscriptItem" });

export const Transcript = z
  .object({
    id: z.string().meta({ description: "stored audio object name" }),
    metadata: z.object({
      sample_rate: z.number(),
      mode: z.literal("POST"),
      timestamp: z.number().int().meta({ description: "unix seconds, when transcribed" }),
      lang: z.string(),
      codec: z.string().meta({ description: 'codec of the submitted audio ("" if unknown)' }),
      transcribed_mode: z.literal("POST"),
      num_of_channels: z.number().int(),
      audio_duration: z.number().meta({ description: "seconds" }),
    }),
    transcript: z.array(TranscriptItem).meta({ description: "sorted by time_start across speakers" }),
  })
  .meta({ id: "Transcript" });

export const TranscriptSuccessBody = z
  .object({ status: z.literal("S001"), request_id: uuid, call_uuid: z.string(), data: Transcript })
  .meta({ id: "TranscriptSuccessBody", description: "transcriptDelivered (success), and the inline answer" });

export const FailureBody = z
  .object({
    status: z.literal("E001"),
    request_id: z.string(),
    call_uuid: z.string(),
    error: z.string().meta({ description: "a human-readable message" }),
    error_code: z.string().meta({
      description:
        "machine-readable: audio_fetch_failed, unsupported_audio, audio_too_large, inference_failed, timeout, summary_failed, …",
    }),
  })
  .meta({ id: "FailureBody", description: "transcriptDelivered / summaryDelivered (failure)" });

export const TopicSummary = z
  .object({ topic: z.string().meta({ example: "Billing Issue" }), summary: z.string() })
  .meta({ id: "TopicSummary" });

export const Summary = z
  .object({
    summaries: z.array(TopicSummary),
    request_id: z.string().meta({ description: "the summarized transcription's, else the summary job's" }),
    msg_id: uuid,
  })
  .meta({ id: "Summary" });

export const SummarySuccessBody = z
  .object({ status: z.literal("S001"), call_uuid: z.string(), data: Summary })
  .meta({ id: "SummarySuccessBody", description: "summaryDelivered (success), and the inline answer" });

export const Tags = z
  .object({
    call_reason: z.array(z.string()),
    call_outcome: z.array(z.string()),
    customer_sentiment: z.array(z.string()),
  })
  .meta({ id: "Tags" });

export const AcceptedBody = z
  .object({ status: z.literal("accepted"), request_id: uuid, call_uuid: z.string() })
  .meta({ id: "AcceptedBody" });

export const CallApiError = z
  .object({
    status: z.literal("E001"),
    request_id: z.string().optional(),
    call_uuid: z.string().optional(),
    error: z.string(),
    error_code: z.enum(errorCodes),
    field: z.string().optional().meta({ description: "the request field at fault" }),
  })
  .meta({ id: "CallApiError", description: "every Call API and admin error (README: Endpoints)" });

// ---- Call API reads ----

export const Attempt = z
  .object({
    series: z.number().int(),
    attempt: z.number().int(),
    at: isoOrNull,
    status_code: z.number().int().nullable(),
    error_class: failureClass.nullable(),
    error: z.string().nullable().meta({ description: "operator detail" }),
    latency_ms: z.number(),
    url_host: z.string().nullable(),
    response_body: z.string().nullable().meta({ description: "first 2 KiB of the answer" }),
  })
  .meta({ id: "Attempt" });

export const Delivery = z
  .object({
    id: uuid,
    request_id: uuid,
    event: webhookEvent,
    webhook_id: z.string().meta({ description: "Standard Webhooks `webhook-id`, stable across retries" }),
    url: z.string().meta({ description: "password hidden" }),
    policy: z.string(),
    state: deliveryState,
    webhook_status_code: z.number().int().nullable(),
    auth_header: z
      .object({ name: z.string(), value: z.string().meta({ description: 'always "[redacted]"' }) })
      .nullable(),
    series: z.number().int(),
    attempts_in_series: z.number().int(),
    next_attempt_at: isoOrNull,
    held_reason: z.enum(["circuit_open", "host_busy"]).nullable(),
    held_until: isoOrNull,
    created_at: isoOrNull,
    updated_at: isoOrNull,
    attempts: z.array(Attempt),
  })
  .meta({ id: "Delivery" });

const deletedMark = {
  deleted: z.boolean().optional().meta({ description: "present (true) once the job's data was deleted" }),
  deleted_at: isoOrNull.optional(),
};

export const CallJob = z
  .object({
    request_id: uuid,
    call_uuid: z.string(),
    status: jobStatus,
    created_at: isoOrNull,
    started_at: isoOrNull,
    finished_at: isoOrNull,
    progress: z
      .object({ done_seconds: z.number(), total_seconds: z.number() })
      .optional()
      .meta({ description: "while processing" }),
    result: z
      .union([TranscriptSuccessBody, SummarySuccessBody, FailureBody])
      .nullable()
      .meta({ description: "the body a webhook carries (or would); null while the job runs" }),
    tags: Tags.optional(),
    ...deletedMark,
    callback: Delivery.nullable(),
  })
  .meta({ id: "CallJob" });

export const CallRequest = z
  .object({
    request_id: uuid,
    status: jobStatus,
    created_at: isoOrNull,
    finished_at: isoOrNull,
    audio_seconds: z.number().nullable(),
    error_code: z.string().nullable(),
    ...deletedMark,
  })
  .meta({ id: "CallRequest" });

export const CallRequests = z.object({ call_uuid: z.string(), requests: z.array(CallRequest) });

export const CallDeleted = z.object({
  status: z.literal("deleted"),
  request_id: uuid,
  call_uuid: z.string(),
});

// ---- admin ----

export const Deliveries = z.object({ deliveries: z.array(Delivery) });

export const RecoverDryRun = z.object({
  dry_run: z.literal(true),
  matched: z.number().int(),
  has_more: z.boolean(),
  delivery_ids: z.array(uuid),
});

export const RecoverDone = z.object({
  dry_run: z.literal(false),
  matched: z.number().int(),
  has_more: z.boolean(),
  restarted: z.number().int(),
  delivery_ids: z.array(uuid),
});

export const Event = z
  .object({
    cursor: z.string().meta({ description: "pass as `after` to read on from here" }),
    webhook_id: z.string(),
    delivery_id: uuid,
    event: webhookEvent,
    request_id: uuid,
    created_at: isoOrNull,
    delivery_state: deliveryState,
    body: z
      .union([TranscriptSuccessBody, SummarySuccessBody, FailureBody])
      .nullable()
      .meta({ description: "the webhook body exactly as sent; null once its job was deleted" }),
    deleted: z.boolean().optional().meta({ description: "present (true) once the job's data was deleted" }),
  })
  .meta({ id: "Event" });

export const Events = z.object({
  events: z.array(Event),
  next_cursor: z.string().nullable(),
});

// ---- ops ----

export const Health = z.object({ status: z.literal("ok") });

export const Readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.enum(["ok", "unreachable", "low_disk", "failed"])).meta({
    description: "database, disk, and asr / llm when configured",
  }),
});

// ---- Jobs API (/v1) ----

const requestId = { requestId: z.string() };

export const V1Error = z
  .object({
    error: z.object({
      code: z.enum([
        "AUDIO_FILE_MISSING",
        "AUDIO_DURATION_UNKNOWN",
        "INVALID_METADATA_JSON",
        "FILE_TOO_LARGE",
        "UNSUPPORTED_AUDIO_FORMAT",
        "QUOTA_EXCEEDED",
        "JOB_NOT_FOUND",
        "FORBIDDEN",
        "INVALID_PAGINATION",
        "INVALID_FILTER",
        "INVALID_JSON_BODY",
        "MISSING_TRANSCRIPT_SOURCE",
        "MULTIPLE_TRANSCRIPT_SOURCES",
        "NOT_A_TRANSCRIPTION",
        "TRANSCRIPTION_NOT_READY",
        "TRANSCRIPT_EMPTY",
        "INTERNAL_ERROR",
        "UNAUTHORIZED",
        "NOT_FOUND",
        "INVALID_REQUEST",
        "UNSUPPORTED_LANGUAGE",
        "AUDIO_TOO_LONG",
        "SERVICE_BUSY",
      ]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    ...requestId,
  })
  .meta({ id: "V1Error" });

export const V1Submitted = z.object({
  job_id: uuid,
  status: z.literal("queued"),
  received_at: iso,
  ...requestId,
});

export const V1PostprocessSubmitted = z.object({
  job_id: uuid,
  type: z.enum(["summary", "tags"]),
  status: z.literal("queued"),
  received_at: iso,
  ...requestId,
});

export const V1ListItem = z
  .object({
    job_id: uuid,
    type: jobKind,
    status: jobStatus,
    original_filename: z.string().nullable(),
    language: z.string().nullable(),
    audio_seconds: z.number().nullable(),
    created_at: iso,
    updated_at: iso,
    ...deletedMark,
  })
  .meta({ id: "V1ListItem" });

export const V1List = z.object({
  transcriptions: z.array(V1ListItem),
  next_cursor: z.string().nullable(),
  ...requestId,
});

export const V1TranscriptionResult = z
  .object({
    language: z.string(),
    duration_seconds: z.number(),
    words_count: z.number().int(),
    transcript: z.array(TranscriptItem),
  })
  .meta({ id: "V1TranscriptionResult" });

export const V1SummaryResult = z
  .object({
    topic: z.string().nullable(),
    summary: z.string(),
    meta_data: z.object({ topics: z.array(TopicSummary), tags: Tags }),
  })
  .meta({ id: "V1SummaryResult" });

export const V1TagsResult = z.object({ tags: Tags, meta_data: z.object({}) }).meta({ id: "V1TagsResult" });

export const V1Job = z
  .object({
    job_id: uuid,
    status: jobStatus,
    type: jobKind,
    source_job_id: uuid.optional().meta({ description: "the transcription a summary or tags job read" }),
    result: z
      .union([V1TranscriptionResult, V1SummaryResult, V1TagsResult])
      .optional()
      .meta({ description: "once succeeded, by `type`" }),
    progress: z
      .object({ done_seconds: z.number(), total_seconds: z.number() })
      .optional()
      .meta({ description: "seconds of audio done while a transcription is processing (not in Kawa's API)" }),
    error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).optional(),
    created_at: iso,
    updated_at: iso,
    ...deletedMark,
    ...requestId,
  })
  .meta({ id: "V1Job" });

export const V1Usage = z.object({
  minutes_used: z.number(),
  quota_minutes: z.number().nullable(),
  minutes_remaining: z.number().nullable(),
  period_start: iso,
  period_end: iso,
  ...requestId,
});

export const V1Deleted = z.object({ ...requestId });

// ---- compile-time: the builders return what the schemas describe ----

/** `true` when every value a builder returns is a value of the schema; a tuple, so unions don't slip. */
type Conforms<Built, S extends z.ZodType> = [Built] extends [z.output<S>] ? true : never;
type WithBody<T, Body> = Omit<T, "body"> & { body: Body };
type WithResult<T, Result> = Omit<T, "result"> & { result?: Result };

export const builderChecks: [
  Conforms<ReturnType<typeof successBody>, typeof TranscriptSuccessBody>,
  Conforms<ReturnType<typeof failureBody>, typeof FailureBody>,
  Conforms<ReturnType<typeof acceptedBody>, typeof AcceptedBody>,
  Conforms<ReturnType<typeof errorResponseBody>, typeof CallApiError>,
  Conforms<ReturnType<typeof summarySuccessBody>, typeof SummarySuccessBody>,
  Conforms<ReturnType<typeof attemptView>, typeof Attempt>,
  Conforms<ReturnType<typeof deliveryView>, typeof Delivery>,
  Conforms<WithBody<ReturnType<typeof eventView>, z.output<typeof Event>["body"]>, typeof Event>,
  Conforms<ReturnType<typeof jobView>, typeof CallJob>,
  Conforms<ReturnType<typeof requestSummary>, typeof CallRequest>,
  Conforms<ReturnType<typeof listItem>, typeof V1ListItem>,
  Conforms<
    WithResult<ReturnType<typeof jobDetail>, z.output<typeof V1Job>["result"]> & { requestId: string },
    typeof V1Job
  >,
  Conforms<
    { status: "ready" | "not_ready"; checks: Awaited<ReturnType<typeof readiness>> },
    typeof Readiness
  >,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];
