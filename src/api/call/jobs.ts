/**
 * The part of every Call API submission that is the same for transcriptions and summaries:
 * vet the callback URL, check the queue, create the job, then answer 202 (accepted mode) or wait
 * and answer with the job's S001/E001 body (inline mode). Also the read-back route.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { AppError, statusForCode } from "../../core/errors.ts";
import { EgressBlockedError } from "../../net/egress.ts";
import type { JobRunner } from "../../core/job-runner.ts";
import { expiryOf, type RetentionPolicy } from "../../core/retention.ts";
import { acceptedBody, errorResponseBody } from "../../core/payloads.ts";
import type { BlobStore } from "../../store/blobs.ts";
import type { JobKind, NewJob, Store } from "../../store/types.ts";
import type { TranscriptFormat } from "../../pipeline/format-text.ts";
import { deliveryView, jobResultBody, jobView } from "../views.ts";
import { checkOwner } from "../auth.ts";

export interface CallApiDeps {
  store: Store;
  blobs: BlobStore;
  runner: JobRunner;
  /** rejects when a URL may not be reached (SSRF guard) */
  checkCallbackUrl(url: URL): Promise<void>;
  /** languages the active recognizer can do (null: any) and its name, for refusing others up front */
  recognizer: { name: string; languages: readonly string[] | null };
  maxQueuedJobs: number;
  inlineTimeoutMs: number;
  /** MAX_SUMMARY_INPUT_CHARS */
  maxSummaryInputChars: number;
  retention: RetentionPolicy;
  /** TRANSCRIPT_FORMAT: how transcripts are written when a request does not say (`format`) */
  transcriptFormat: TranscriptFormat;
}

const nouns: Record<JobKind, string> = {
  transcription: "transcription",
  summary: "summary",
  tags: "tags job",
};

/**
 * Refuses a URL the egress guard would refuse (private, loopback, metadata addresses) before
 * anything is accepted. With `dnsFailureIsFine`, a name that does not resolve right now passes:
 * the fetch reports it later (it may resolve by then).
 */
export async function vetUrl(
  deps: Pick<CallApiDeps, "checkCallbackUrl">,
  url: string | undefined,
  field: string,
  dnsFailureIsFine = false,
) {
  if (!url) return;
  try {
    await deps.checkCallbackUrl(new URL(url));
  } catch (err) {
    if (err instanceof EgressBlockedError) {
      throw new AppError("url_not_allowed", `${field} is not allowed: ${err.message}`, { field });
    }
    if (dnsFailureIsFine) return;
    throw new AppError("invalid_field", `${field} cannot be used: ${(err as Error).message}`, { field });
  }
}

/** Seconds a client is told to wait when the queue is full. */
export const QUEUE_FULL_RETRY_AFTER_S = 10;

/** Route hook: refuse work when the queue is full, before the body (an upload) is read. */
export function queueRoomHook(deps: CallApiDeps) {
  return async () => {
    if ((await deps.store.countJobs("queued")) >= deps.maxQueuedJobs) {
      throw new AppError(
        "queue_full",
        `the server is busy (${deps.maxQueuedJobs} jobs are queued); retry in ${QUEUE_FULL_RETRY_AFTER_S} s`,
        { retryAfterS: QUEUE_FULL_RETRY_AFTER_S },
      );
    }
  };
}

/** Creates the job with its retention (a request's `retentionHours` can only shorten it). */
export async function createJob(
  deps: CallApiDeps,
  job: Omit<NewJob, "now" | "audioExpiresAt" | "resultExpiresAt">,
  retentionHours?: number,
): Promise<void> {
  const now = Date.now();
  await deps.store.createJob({ ...job, now, ...expiryOf(now, deps.retention, retentionHours) });
  deps.runner.kick();
}

/** Answers 202 when there is a callback, else waits for the job and answers with its result. */
export async function respondWithJob(
  deps: CallApiDeps,
  reply: FastifyReply,
  job: Omit<NewJob, "now">,
  callbackUrl: string | null,
  readPath: string,
): Promise<FastifyReply> {
  const ids = { requestId: job.id, callUuid: job.callUuid };
  reply.request.log.info(
    { requestId: job.id, kind: job.kind, mode: callbackUrl ? "accepted" : "inline" },
    "job queued",
  );
  if (callbackUrl) return reply.status(202).send(acceptedBody(ids));

  const done = await deps.runner.waitFor(job.id, deps.inlineTimeoutMs);
  if (!done) {
    const e = new AppError(
      "timeout",
      `${nouns[job.kind]} did not finish within ${deps.inlineTimeoutMs / 1000} s; poll GET ${readPath}/${job.id}`,
    );
    return reply.status(e.httpStatus).send(errorResponseBody(e, ids));
  }
  return reply
    .status(done.status === "succeeded" ? 200 : statusForCode(done.errorCode ?? "internal"))
    .send(jobResultBody(done));
}

export function registerReadRoute(app: FastifyInstance, deps: CallApiDeps, path: string, kind: JobKind) {
  app.get<{ Params: { id: string } }>(`${path}/:id`, async (req) => {
    const job = await deps.store.getJob(req.params.id);
    if (!job || job.kind !== kind)
      throw new AppError("not_found", `no ${nouns[kind]} with request_id ${req.params.id}`);
    checkOwner(req, job, `${nouns[kind]} ${job.id}`);
    const [delivery] = await deps.store.deliveriesForJob(job.id);
    const callback = delivery ? deliveryView(delivery, await deps.store.attemptsFor(delivery.id)) : null;
    return jobView(job, callback);
  });
}
