/**
 * Jobs API (`/v1`, Kawa-compatible, SPEC.md section 5) over the same jobs as the Call API:
 * submit a recording, list and read jobs, delete one, derive a summary or tags, read usage.
 * No callbacks here: clients poll `GET /v1/transcriptions/{job_id}`.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { deleteJob } from "../../core/delete-job.ts";
import type { Transcript } from "../../core/payloads.ts";
import { timeOrderedId } from "../../core/time-ordered-id.ts";
import type { SummaryParams, SummarySourceParam } from "../../core/summary-job.ts";
import type { TranscriptionParams } from "../../core/transcription-job.ts";
import { probeAudio } from "../../pipeline/probe.ts";
import { checkDuration } from "../../pipeline/transcribe.ts";
import type { JobKind, JobRow, JobStatus } from "../../store/types.ts";
import { checkOwner } from "../auth.ts";
import { createJob, queueRoomHook, type CallApiDeps } from "../call/jobs.ts";
import { checkInputSize, inputChars } from "../call/summarize-routes.ts";
import {
  checkLanguage,
  redactionFields,
  retentionHours,
  strictBoolean,
  transcriptFormat,
  vocabularyField,
} from "../call/transcribe-schema.ts";
import { piiPolicyList, type RedactionRequest } from "../../redaction/policies.ts";
import { AppError } from "../../core/errors.ts";
import { vocabularyList } from "../../engines/asr/vocabulary.ts";
import { receiveMultipart } from "../call/upload.ts";
import { speakerHintFields, speakerHintsFromForm } from "../speaker-hints.ts";
import { V1Error } from "./errors.ts";
import { decodeCursor, encodeCursor, jobDetail, listItem } from "./views.ts";

export interface JobsApiDeps extends CallApiDeps {
  maxAudioSeconds: number;
  /** QUOTA_MINUTES: audio minutes per owner per calendar month (UTC); null: no quota */
  quotaMinutes: number | null;
}

const statuses = ["queued", "processing", "succeeded", "failed"] as const satisfies readonly JobStatus[];
const kinds = ["transcription", "summary", "tags"] as const satisfies readonly JobKind[];

/** Pure: start of the calendar month (UTC) that contains `now`, and of the next. */
export function monthOf(now: number): { start: number; end: number } {
  const d = new Date(now);
  return {
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

function parseMetadata(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new V1Error("INVALID_METADATA_JSON", 'metadata must be a JSON object string, e.g. {"agent":"A17"}');
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new V1Error("INVALID_METADATA_JSON", "metadata must be a JSON object, not an array or a scalar");
  }
  return v as Record<string, unknown>;
}

const ISO_TIME = "created_after must be an ISO 8601 date-time";

/**
 * `GET /v1/transcriptions` query (also the OpenAPI description); see `listError` for the codes.
 */
export const listQuery = z.object({
  limit: z
    .preprocess(
      (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
      z.number().int().min(1).max(100),
    )
    .optional()
    .meta({ description: "page size (default 10)" }),
  cursor: z
    .string()
    .refine((c) => decodeCursor(c) !== null)
    .optional()
    .meta({ description: "`next_cursor` of the previous page" }),
  status: z.enum(statuses).optional(),
  type: z.enum(kinds).optional(),
  language: z.string().optional(),
  created_after: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), ISO_TIME)
    .optional()
    .meta({ format: "date-time" }),
  job_id: z.string().optional(),
});

/** The first problem of a list query as SPEC.md's codes: INVALID_PAGINATION or INVALID_FILTER. */
function listError(error: z.ZodError, raw: Record<string, unknown>): V1Error {
  if (Object.values(raw).some(Array.isArray)) {
    return new V1Error("INVALID_FILTER", "query parameters must each be given once");
  }
  const field = String(error.issues[0]!.path[0]);
  const value = raw[field];
  if (field === "limit") {
    return new V1Error(
      "INVALID_PAGINATION",
      `limit must be an integer from 1 to 100, not ${JSON.stringify(value)}`,
    );
  }
  if (field === "cursor") return new V1Error("INVALID_PAGINATION", "cursor is not one this server gave out");
  if (field === "status" || field === "type") {
    const allowed = field === "status" ? statuses : kinds;
    return new V1Error("INVALID_FILTER", `${field} must be one of ${allowed.join(", ")}`, { [field]: value });
  }
  return new V1Error("INVALID_FILTER", ISO_TIME, { [field]: value });
}

function parseList(raw: unknown, owner: string | null) {
  const q = listQuery.safeParse(raw);
  if (!q.success) throw listError(q.error, (raw ?? {}) as Record<string, unknown>);
  const { limit = 10, cursor, status, type, language, created_after, job_id } = q.data;
  return {
    owner: owner ?? undefined,
    status,
    kind: type,
    lang: language,
    jobId: job_id,
    createdAfter: created_after === undefined ? undefined : Date.parse(created_after),
    before: cursor === undefined ? undefined : (decodeCursor(cursor) ?? undefined),
    limit,
  };
}

/** `POST /v1/summarize` and `POST /v1/tag`: exactly one source (checked in the route). */
export const postprocessBody = z.object({
  transcription_job_id: z.string().trim().min(1).optional(),
  transcript_text: z.string().optional(),
  retention_hours: retentionHours.optional(),
});

function parseRetention(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const r = retentionHours.safeParse(raw);
  if (!r.success)
    throw new V1Error("INVALID_REQUEST", r.error.issues[0]?.message ?? "retention_hours is invalid");
  return r.data;
}

/** The `format` form field: formatted or plain; absent: the server's TRANSCRIPT_FORMAT. */
function parseFormat(raw: string | undefined) {
  if (raw === undefined) return undefined;
  const r = transcriptFormat.safeParse(raw.trim());
  if (!r.success) throw new V1Error("INVALID_REQUEST", "format must be formatted or plain", { format: raw });
  return r.data;
}

/** The `vocabulary` form field: a JSON array or comma-separated terms. */
function parseVocabulary(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const r = vocabularyList.safeParse(vocabularyField(raw));
  if (!r.success) throw new V1Error("INVALID_REQUEST", r.error.issues[0]?.message ?? "vocabulary is invalid");
  return r.data.length ? r.data : undefined;
}

const redactionForm = z.object({
  redact_pii: strictBoolean("redact_pii").optional(),
  redact_pii_policies: piiPolicyList.optional(),
  redact_pii_audio: strictBoolean("redact_pii_audio").optional(),
});

/** The `redact_pii`, `redact_pii_policies` (JSON array or comma-separated) and `redact_pii_audio` form fields. */
function parseRedaction(fields: Record<string, string>): RedactionRequest | undefined {
  const raw = {
    redact_pii: fields.redact_pii?.trim(),
    redact_pii_policies:
      fields.redact_pii_policies === undefined ? undefined : vocabularyField(fields.redact_pii_policies),
    redact_pii_audio: fields.redact_pii_audio?.trim(),
  };
  const r = redactionForm.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = String(issue?.path[0] ?? "redact_pii");
    throw new V1Error("INVALID_REQUEST", issue?.message ?? `${field} is invalid`, { field });
  }
  try {
    return redactionFields(r.data);
  } catch (err) {
    if (err instanceof AppError) throw new V1Error("INVALID_REQUEST", err.message, { field: err.field });
    throw err;
  }
}

/**
 * The form fields of `POST /v1/transcriptions` besides the `file` part (strings on the wire), for
 * the OpenAPI description: the very schemas the parsers above validate each field with.
 */
export const uploadForm = z.object({
  language: z.string().optional().meta({ description: "language code, default en" }),
  metadata: z.string().optional().meta({
    description: 'a JSON object, kept with the job (e.g. {"agent":"A17"}); its call_uuid names the call',
  }),
  retention_hours: retentionHours.optional(),
  format: transcriptFormat.optional(),
  vocabulary: vocabularyList.optional(),
  ...redactionForm.shape,
  ...speakerHintFields,
});

export function registerJobsApi(app: FastifyInstance, deps: JobsApiDeps): void {
  /** The job, if it exists and the caller may see it. */
  async function ownJob(req: FastifyRequest, id: string): Promise<JobRow> {
    const job = await deps.store.getJob(id);
    if (!job) throw new V1Error("JOB_NOT_FOUND", `no job ${id}`);
    checkOwner(req, job, `job ${id}`); // forbidden → 403 FORBIDDEN
    return job;
  }

  async function usage(owner: string | null, now: number) {
    const { start, end } = monthOf(now);
    const used = (await deps.store.usageSeconds(owner ?? undefined, start)) / 60;
    return { start, end, used };
  }

  app.post("/v1/transcriptions", { onRequest: queueRoomHook(deps) }, async (req, reply) => {
    if (!req.isMultipart())
      throw new V1Error("AUDIO_FILE_MISSING", "send multipart/form-data with a file part named file");
    const upload = await receiveMultipart(req, deps.blobs);
    let created = false;
    try {
      if (!upload.file) throw new V1Error("AUDIO_FILE_MISSING", "no file part named file in the form");
      const metadata = parseMetadata(upload.fields.metadata);
      const retention = parseRetention(upload.fields.retention_hours);
      const format = parseFormat(upload.fields.format) ?? deps.transcriptFormat;
      const vocabulary = parseVocabulary(upload.fields.vocabulary);
      const redactPii = parseRedaction(upload.fields);
      const speakers = speakerHintsFromForm(upload.fields);
      const lang = upload.fields.language?.trim() || "en";
      checkLanguage(lang, deps.recognizer.languages, deps.recognizer.name);
      const info = await probeAudio(deps.blobs.pathOf(upload.file.name));
      if (info.duration === null) {
        throw new V1Error(
          "AUDIO_DURATION_UNKNOWN",
          "the file's duration cannot be read; re-encode it (e.g. to WAV or FLAC)",
        );
      }
      checkDuration(info.duration, deps.maxAudioSeconds);
      const now = Date.now();
      if (deps.quotaMinutes !== null) {
        const { used } = await usage(req.owner, now);
        const requested = info.duration / 60;
        if (used + requested > deps.quotaMinutes) {
          throw new V1Error(
            "QUOTA_EXCEEDED",
            `this file needs ${requested.toFixed(2)} minutes; ${Math.max(0, deps.quotaMinutes - used).toFixed(2)} of ${deps.quotaMinutes} are left this month`,
            {
              minutes_used: Math.round(used * 100) / 100,
              quota_minutes: deps.quotaMinutes,
              requested_minutes: Math.round(requested * 100) / 100,
            },
          );
        }
      }
      const id = timeOrderedId();
      const callUuid = typeof metadata?.call_uuid === "string" ? metadata.call_uuid : id;
      const params: TranscriptionParams & { metadata?: Record<string, unknown> } = {
        callUuid,
        callbackUrl: null,
        lang,
        wordTimestamps: true,
        format,
        ...(vocabulary && { vocabulary }),
        ...(redactPii && { redactPii }),
        ...(speakers && { speakers }),
        source: {
          kind: "upload",
          filename: upload.file.filename ? path.basename(upload.file.filename) : null,
        },
        ...(metadata && { metadata }),
      };
      await deps.blobs.share(upload.file.name);
      await createJob(
        deps,
        {
          id,
          kind: "transcription",
          callUuid,
          params,
          audioName: upload.file.name,
          owner: req.owner,
          audioSeconds: info.duration,
        },
        retention,
      );
      created = true;
      return reply
        .status(202)
        .send({ job_id: id, status: "queued", received_at: new Date(now).toISOString(), requestId: req.id });
    } finally {
      if (upload.file && !created) await deps.blobs.remove(upload.file.name);
    }
  });

  app.get("/v1/transcriptions", async (req) => {
    const q = parseList(req.query, req.owner);
    const rows = await deps.store.listJobs({ ...q, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return {
      transcriptions: page.map(listItem),
      next_cursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null,
      requestId: req.id,
    };
  });

  app.get("/v1/transcriptions/usage", async (req) => {
    const { start, end, used } = await usage(req.owner, Date.now());
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      minutes_used: round(used),
      quota_minutes: deps.quotaMinutes,
      minutes_remaining: deps.quotaMinutes === null ? null : round(Math.max(0, deps.quotaMinutes - used)),
      period_start: new Date(start).toISOString(),
      period_end: new Date(end).toISOString(),
      requestId: req.id,
    };
  });

  app.get<{ Params: { id: string } }>("/v1/transcriptions/:id", async (req) => ({
    ...jobDetail(await ownJob(req, req.params.id)),
    requestId: req.id,
  }));

  app.delete<{ Params: { id: string } }>("/v1/transcriptions/:id", async (req, reply) => {
    const job = await ownJob(req, req.params.id);
    await deleteJob(deps, job);
    return reply.status(202).send({ requestId: req.id });
  });

  const postprocess = (kind: "summary" | "tags") => async (req: FastifyRequest, reply: FastifyReply) => {
    const b = postprocessBody.safeParse(req.body);
    if (!b.success) {
      const issue = b.error.issues[0]!;
      // only a bad retention_hours in an otherwise good body is INVALID_REQUEST (with its message)
      if (b.error.issues.every((i) => i.path[0] === "retention_hours"))
        throw new V1Error("INVALID_REQUEST", issue.message);
      throw new V1Error(
        "INVALID_JSON_BODY",
        "send a JSON object with transcription_job_id or transcript_text",
      );
    }
    const { transcription_job_id: sourceId, transcript_text: text, retention_hours: retention } = b.data;
    if (sourceId !== undefined && text !== undefined) {
      throw new V1Error(
        "MULTIPLE_TRANSCRIPT_SOURCES",
        "send either transcription_job_id or transcript_text, not both",
      );
    }
    let source: SummarySourceParam;
    let callUuid: string;
    if (sourceId !== undefined) {
      const src = await ownJob(req, sourceId);
      if (src.kind !== "transcription") {
        throw new V1Error("NOT_A_TRANSCRIPTION", `job ${sourceId} is a ${src.kind} job, not a transcription`);
      }
      if (src.deletedAt !== null) throw new V1Error("JOB_NOT_FOUND", `transcription ${sourceId} was deleted`);
      if (src.status !== "succeeded") {
        throw new V1Error(
          "TRANSCRIPTION_NOT_READY",
          `transcription ${sourceId} is ${src.status}; it must have succeeded`,
          {
            status: src.status,
          },
        );
      }
      const items = (src.result as Transcript).transcript;
      if (items.length === 0)
        throw new V1Error("TRANSCRIPT_EMPTY", `transcription ${sourceId} has no speech`);
      checkInputSize(inputChars(items), deps.maxSummaryInputChars, "transcript");
      source = { kind: "request", requestId: sourceId };
      callUuid = src.callUuid;
    } else if (text !== undefined) {
      if (!text.trim()) throw new V1Error("TRANSCRIPT_EMPTY", "transcript_text is empty");
      checkInputSize(text.length, deps.maxSummaryInputChars, "transcript_text");
      source = { kind: "text", text };
      callUuid = randomUUID();
    } else {
      throw new V1Error("MISSING_TRANSCRIPT_SOURCE", "send transcription_job_id or transcript_text");
    }
    const id = timeOrderedId();
    const params: SummaryParams = { callUuid, callbackUrl: null, source };
    const now = Date.now();
    await createJob(deps, { id, kind, callUuid, params, audioName: null, owner: req.owner }, retention);
    return reply.status(202).send({
      job_id: id,
      type: kind,
      status: "queued",
      received_at: new Date(now).toISOString(),
      requestId: req.id,
    });
  };
  app.post("/v1/summarize", { onRequest: queueRoomHook(deps) }, postprocess("summary"));
  app.post("/v1/tag", { onRequest: queueRoomHook(deps) }, postprocess("tags"));
}
