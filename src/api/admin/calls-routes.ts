/**
 * Admin read side of calls (what the console shows): `GET /calls` searches transcriptions by
 * call_uuid, request id, status and creation time; `GET /calls/:id` is one call with its
 * transcript, summary, tags, callbacks and a signed audio URL; `GET /calls/:id/audio` streams the
 * audio with byte ranges.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { Transcript } from "../../core/payloads.ts";
import type { SummaryParams, SummaryResult, TagsResult } from "../../core/summary-job.ts";
import type { TranscriptionParams } from "../../core/transcription-job.ts";
import type { BlobStore } from "../../store/blobs.ts";
import type { JobRow, Store } from "../../store/types.ts";
import { checkOwner } from "../auth.ts";
import { parseInput } from "../validation.ts";
import { decodeCursor, encodeCursor } from "../v1/views.ts";
import { deliveryView } from "../views.ts";
import { sendAudioFile, type AudioTokens } from "./audio.ts";
import { isoTime } from "./deliveries-routes.ts";

export interface CallsDeps {
  store: Store;
  blobs: BlobStore;
  audioTokens: AudioTokens;
  /** how long a shared blob copied here for the audio route stays after its last request */
  localCopyIdleMs?: number;
}

export const listQuery = z.object({
  call_uuid: z.string().trim().min(1).max(200).optional(),
  request_id: z.string().trim().min(1).max(200).optional(),
  status: z.enum(["queued", "processing", "succeeded", "failed"]).optional(),
  since: isoTime("since").optional(),
  until: isoTime("until").optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One row of `GET /calls`. Pure. */
export function callListItem(job: JobRow) {
  return {
    request_id: job.id,
    call_uuid: job.callUuid,
    status: job.status,
    created_at: iso(job.createdAt),
    finished_at: iso(job.finishedAt),
    audio_seconds: job.audioSeconds,
    error_code: job.errorCode,
    ...(job.status === "processing" && job.progress
      ? { progress: { done_seconds: job.progress.done, total_seconds: job.progress.total } }
      : {}),
    ...(job.deletedAt !== null && { deleted: true }),
  };
}

/** The newest summary and tags derived from transcription `id` (a summary's tags come with it). */
async function derivedOf(store: Store, job: JobRow) {
  const related = await store.listJobs({ callUuid: job.callUuid, owner: job.owner, limit: 100 });
  const fromThis = (j: JobRow) => {
    const src = (j.params as SummaryParams | null)?.source;
    return src?.kind === "request" && src.requestId === job.id;
  };
  const summaryRow = related.find((j) => j.kind === "summary" && fromThis(j));
  const tagsRow = related.find((j) => j.kind === "tags" && j.status === "succeeded" && fromThis(j));
  const summaryJob = summaryRow ? await store.getJob(summaryRow.id) : null;
  const tagsJob = tagsRow ? await store.getJob(tagsRow.id) : null;
  const summaryResult =
    summaryJob?.status === "succeeded" ? (summaryJob.result as SummaryResult | null) : null;
  const summary = summaryJob && {
    request_id: summaryJob.id,
    status: summaryJob.status,
    summaries: summaryResult?.summary.summaries ?? null,
    error:
      summaryJob.status === "failed"
        ? { code: summaryJob.errorCode, message: summaryJob.errorMessage }
        : null,
  };
  const tags = summaryResult?.tags ?? (tagsJob?.result as TagsResult | null)?.tags ?? null;
  return { summary: summary ?? null, tags, summaryJobId: summaryJob?.id ?? null };
}

export function registerCallsRoutes(app: FastifyInstance, deps: CallsDeps): void {
  const { store } = deps;
  /**
   * With shared blob storage, `local()` copies the audio to this machine: the copy serves the
   * player's range requests, then goes once nobody asked for it for a while (retention and deletion
   * act on the shared copy; a machine serving the console must not keep calls around). Without
   * shared storage `evictLocal` does nothing.
   */
  const localCopies = (() => {
    const timers = new Map<string, NodeJS.Timeout>();
    return {
      has: (name: string) => timers.has(name),
      touch(name: string) {
        clearTimeout(timers.get(name));
        const t = setTimeout(() => {
          timers.delete(name);
          deps.blobs.evictLocal(name).catch(() => {});
        }, deps.localCopyIdleMs ?? LOCAL_COPY_IDLE_MS);
        t.unref();
        timers.set(name, t);
      },
      async clear() {
        const names = [...timers.keys()];
        timers.forEach(clearTimeout);
        timers.clear();
        await Promise.all(names.map((n) => deps.blobs.evictLocal(n).catch(() => {})));
      },
    };
  })();
  app.addHook("onClose", async () => localCopies.clear());
  const findCall = async (req: FastifyRequest, id: string) => {
    const job = await store.getJob(id);
    if (!job || job.kind !== "transcription")
      throw new AppError("not_found", `no call with request_id ${id}`);
    checkOwner(req, job, `call ${id}`);
    return job;
  };

  app.get("/calls", async (req) => {
    const q = parseInput(listQuery, req.query, { what: "query string" });
    let before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (before === null) {
      throw new AppError("invalid_field", "cursor: not a cursor returned by this API", { field: "cursor" });
    }
    // `until` is exclusive: the page cursor (created_at, id) < (until, "") says the same
    if (q.until !== undefined && (!before || q.until <= before.createdAt))
      before = { createdAt: q.until, id: "" };
    const rows = await store.listJobs({
      kind: "transcription",
      owner: req.owner ?? undefined,
      callUuid: q.call_uuid,
      jobId: q.request_id,
      status: q.status,
      // created_after is exclusive in the store; `since` includes its millisecond
      createdAfter: q.since === undefined ? undefined : q.since - 1,
      before,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return {
      calls: page.map(callListItem),
      next_cursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null,
    };
  });

  app.get<{ Params: { id: string } }>("/calls/:id", async (req) => {
    const job = await findCall(req, req.params.id);
    const p = job.params as TranscriptionParams;
    const transcript = job.status === "succeeded" ? (job.result as Transcript | null) : null;
    const { summary, tags, summaryJobId } = await derivedOf(store, job);
    const deliveries = [
      ...(await store.deliveriesForJob(job.id)),
      ...(summaryJobId ? await store.deliveriesForJob(summaryJobId) : []),
    ];
    const token = deps.audioTokens.sign(job.id, req.owner);
    const audioPath = `calls/${encodeURIComponent(job.id)}/audio`;
    return {
      ...callListItem(job),
      lang: p.lang ?? null,
      source: p.source?.kind === "upload" ? { kind: "upload", filename: p.source.filename } : { kind: "uri" },
      redaction: p.redactPii ?? null,
      error: job.status === "failed" ? { code: job.errorCode, message: job.errorMessage } : null,
      metadata: transcript?.metadata ?? null,
      transcript: transcript?.transcript ?? null,
      summary,
      tags,
      callbacks: await Promise.all(
        deliveries.map(async (d) => deliveryView(d, await store.attemptsFor(d.id))),
      ),
      /** relative to the server's root; works in an `<audio>` element (signed when keys are set) */
      audio_url: job.audioName
        ? token
          ? `${audioPath}?token=${encodeURIComponent(token)}`
          : audioPath
        : null,
    };
  });

  app.get<{ Params: { id: string } }>("/calls/:id/audio", async (req, reply) => {
    const job = await findCall(req, req.params.id);
    const gone = () =>
      new AppError(
        "not_found",
        `the audio of call ${job.id} is not kept (deleted, or past AUDIO_RETENTION_HOURS)`,
      );
    if (!job.audioName) throw gone();
    // a copy already here (an upload, a worker's) is not this route's to remove
    const copied = localCopies.has(job.audioName) || !existsSync(deps.blobs.pathOf(job.audioName));
    let file: string;
    let size: number;
    try {
      file = await deps.blobs.local(job.audioName);
      size = (await stat(file)).size;
    } catch {
      throw gone();
    }
    if (copied) localCopies.touch(job.audioName);
    return sendAudioFile(req, reply, file, size);
  });
}

const LOCAL_COPY_IDLE_MS = 5 * 60_000;
