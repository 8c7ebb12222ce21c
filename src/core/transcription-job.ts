/**
 * What a transcription job does once claimed: fetch the audio if it came by URI, run the pipeline,
 * and finish the job together with its callback delivery (the transactional outbox).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Transcript } from "./payloads.ts";
import { failureBody, successBody } from "./payloads.ts";
import { AppError, checkAttempts, toAppError, type ErrorCode } from "./errors.ts";
import type { TranscribeRequest } from "../pipeline/transcribe.ts";
import type { TranscriptFormat } from "../pipeline/format-text.ts";
import type { RedactionRequest } from "../redaction/policies.ts";
import type { SpeakerHints } from "../pipeline/diarization/diarize.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { JobOutcome, JobRow, NewJob, Store } from "../store/types.ts";
import type { CallbackParams } from "./callback.ts";
import { finishWithCallback } from "./finish.ts";
import type { SummaryParams } from "./summary-job.ts";

export interface TranscriptionParams extends CallbackParams {
  lang: string;
  speakerAliases?: string[] | undefined;
  /** add word times and confidence to each transcript item */
  wordTimestamps?: boolean | undefined;
  /** the request's `format`, else TRANSCRIPT_FORMAT when it was submitted (absent: formatted) */
  format?: TranscriptFormat | undefined;
  /** the request's terms to listen for */
  vocabulary?: string[] | undefined;
  /** `redact_pii` (policies) and `redact_pii_audio` */
  redactPii?: RedactionRequest | undefined;
  /** the request's speaker-count hints for one-channel audio (absent: the server's default) */
  speakers?: SpeakerHints | undefined;
  /** also summarize, delivering summaryDelivered to the same callback after the transcript */
  summarize?: boolean | undefined;
  source: { kind: "upload"; filename: string | null } | { kind: "uri"; uri: string };
}

export interface TranscriptionJobDeps {
  store: Store;
  blobs: BlobStore;
  fetchAudio(uri: string, destPath: string): Promise<void>;
  transcribe(req: TranscribeRequest): Promise<Transcript>;
  defaultPolicy: string;
  logger: Logger;
  /** this process's id in job leases: the finish only counts while it holds the job */
  workerId: string;
  /** first wait between tries of a failed save (tests shorten it) */
  storageRetryMs?: number;
  maxAttempts: number;
  now?: () => number;
}

/**
 * Errors a caller can act on keep their message; anything else becomes `fallback` with a fixed
 * message (the details stay in the log).
 */
export function publicError(err: unknown, requestId: string, fallback: ErrorCode = "internal"): AppError {
  const e = toAppError(err, fallback);
  return e.code === "internal"
    ? new AppError(
        "internal",
        `internal error while processing request ${requestId} (details are in the server log)`,
      )
    : e;
}

/** Failures caused by the submitted audio itself: the request is refused, so its bytes are not kept. */
const refusedInput = new Set<string>([
  "audio_fetch_failed",
  "audio_too_large",
  "audio_too_long",
  "unsupported_audio",
]);

/** The summary job queued with the transcript's outcome when the caller asked for `summarize`. */
function summaryFollowUp(job: JobRow, p: TranscriptionParams, now: number): NewJob {
  const params: SummaryParams = {
    callUuid: p.callUuid,
    callbackUrl: p.callbackUrl,
    authHeader: p.authHeader,
    callbackPolicy: p.callbackPolicy,
    source: { kind: "request", requestId: job.id },
  };
  return {
    id: randomUUID(),
    kind: "summary",
    callUuid: job.callUuid,
    params,
    audioName: null,
    now,
    owner: job.owner,
  };
}

/** Writes progress at most every half second (and the final figure), never failing the job. */
function progressWriter(deps: TranscriptionJobDeps, jobId: string, log: Logger) {
  let last = 0;
  return (done: number, total: number) => {
    const t = Date.now();
    if (t - last < 500 && done < total) return;
    last = t;
    const progress = { done: Math.round(done * 100) / 100, total: Math.round(total * 100) / 100 };
    deps.store
      .setJobProgress(jobId, deps.workerId, progress)
      .catch((err: unknown) => log.warn({ err }, "could not record progress"));
  };
}

export function createTranscriptionHandler(deps: TranscriptionJobDeps) {
  const now = deps.now ?? Date.now;
  return async (job: JobRow): Promise<void> => {
    const p = job.params as TranscriptionParams;
    const ids = { requestId: job.id, callUuid: job.callUuid };
    const log = deps.logger.child({ requestId: job.id });
    let outcome: JobOutcome;
    let body: object;
    try {
      checkAttempts(job, deps.maxAttempts);
      if (!job.audioName) throw new Error("job has no audio");
      let audioPath = deps.blobs.pathOf(job.audioName);
      if (p.source.kind === "uri") await deps.fetchAudio(p.source.uri, audioPath);
      else audioPath = await deps.blobs.local(job.audioName);
      const transcript = await deps.transcribe({
        audioPath,
        audioName: job.audioName,
        lang: p.lang,
        speakerAliases: p.speakerAliases,
        wordTimestamps: p.wordTimestamps,
        format: p.format ?? "formatted",
        vocabulary: p.vocabulary,
        redact: p.redactPii,
        speakers: p.speakers,
        onProgress: progressWriter(deps, job.id, log),
      });
      // the redacted audio replaced the local file: replace the shared copy too (a fetched file
      // was never shared)
      if (p.redactPii?.audio && p.source.kind === "upload") await deps.blobs.share(job.audioName);
      outcome = { status: "succeeded", result: transcript };
      body = successBody(ids, transcript);
    } catch (err) {
      const e = publicError(err, job.id);
      log.warn({ err, errorCode: e.code }, "transcription failed");
      outcome = { status: "failed", errorCode: e.code, errorMessage: e.message };
      body = failureBody(ids, e);
    }
    await finishWithCallback(deps, {
      jobId: job.id,
      params: p,
      event: "transcriptDelivered",
      ids,
      outcome,
      body,
      followUp: p.summarize ? summaryFollowUp(job, p, now()) : null,
    });
    if (!job.audioName) return;
    // audio that was to be redacted and may not be is not kept either
    if (outcome.status === "failed" && (refusedInput.has(outcome.errorCode) || p.redactPii?.audio))
      await deps.blobs.remove(job.audioName);
    else await deps.blobs.evictLocal(job.audioName);
  };
}
