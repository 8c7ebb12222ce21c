/** Jobs API (`/v1`) bodies built from job rows, and the list cursor. Pure. */
import type { Transcript } from "../../core/payloads.ts";
import type { SummaryParams, SummaryResult, TagsResult } from "../../core/summary-job.ts";
import type { TranscriptionParams } from "../../core/transcription-job.ts";
import type { JobRow } from "../../store/types.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function originalFilename(job: JobRow): string | null {
  if (job.kind !== "transcription") return null;
  const src = (job.params as TranscriptionParams).source;
  if (src.kind === "upload") return src.filename;
  return decodeURIComponent(new URL(src.uri).pathname.split("/").pop() ?? "") || null;
}

const language = (job: JobRow): string | null =>
  job.kind === "transcription" ? (job.params as TranscriptionParams).lang : null;

const deletion = (job: JobRow) =>
  job.deletedAt === null ? {} : { deleted: true, deleted_at: iso(job.deletedAt) };

/** One row of `GET /v1/transcriptions`. */
export function listItem(job: JobRow) {
  return {
    job_id: job.id,
    type: job.kind,
    status: job.status,
    original_filename: originalFilename(job),
    language: language(job),
    audio_seconds: job.audioSeconds,
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    ...deletion(job),
  };
}

export const wordsCount = (t: Transcript) =>
  t.transcript.reduce((n, i) => n + i.text.split(/\s+/).filter(Boolean).length, 0);

function result(job: JobRow): unknown {
  if (job.status !== "succeeded" || job.result === null) return undefined;
  if (job.kind === "transcription") {
    const t = job.result as Transcript;
    return {
      language: t.metadata.lang,
      duration_seconds: t.metadata.audio_duration,
      words_count: wordsCount(t),
      transcript: t.transcript,
    };
  }
  if (job.kind === "tags") return { tags: (job.result as TagsResult).tags, meta_data: {} };
  const { summary, tags } = job.result as SummaryResult;
  return {
    topic: summary.summaries[0]?.topic ?? null,
    summary: summary.summaries.map((s) => s.summary).join(" "),
    meta_data: { topics: summary.summaries, tags },
  };
}

/** `GET /v1/transcriptions/{job_id}`. */
export function jobDetail(job: JobRow) {
  const src = job.kind === "transcription" ? null : (job.params as SummaryParams).source;
  const body = result(job);
  return {
    job_id: job.id,
    status: job.status,
    type: job.kind,
    ...(src?.kind === "request" && { source_job_id: src.requestId }),
    ...(body !== undefined && { result: body }),
    // not in Kawa's API: seconds of audio done while a transcription runs (a client's progress bar)
    ...(job.status === "processing" &&
      job.progress && { progress: { done_seconds: job.progress.done, total_seconds: job.progress.total } }),
    ...(job.status === "failed" && { error: { code: job.errorCode, message: job.errorMessage } }),
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    ...deletion(job),
  };
}

/** Opaque cursor: the (created_at, id) of the last job of a page. */
export function encodeCursor(job: Pick<JobRow, "createdAt" | "id">): string {
  return Buffer.from(JSON.stringify([job.createdAt, job.id])).toString("base64url");
}

/** Null when the cursor is not one this server wrote. */
export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string") {
      return { createdAt: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through
  }
  return null;
}
