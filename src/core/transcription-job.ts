/**
 * What a transcription job does once claimed: fetch the audio if it came by URI, run the pipeline,
 * and finish the job together with its callback delivery (the transactional outbox).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Transcript } from "./payloads.ts";
import { failureBody, successBody } from "./payloads.ts";
import { AppError, toAppError } from "./errors.ts";
import type { TranscribeRequest } from "../pipeline/transcribe.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { JobOutcome, JobRow, NewDelivery, Store } from "../store/types.ts";

export interface TranscriptionParams {
  callUuid: string;
  callbackUrl: string | null;
  lang: string;
  speakerAliases?: string[] | undefined;
  /** stored with the job because the delivery is created only when the job finishes */
  authHeader?: { name: string; value: string } | undefined;
  /** retry policy preset for the callback; the server default when absent */
  callbackPolicy?: string | undefined;
  source: { kind: "upload"; filename: string | null } | { kind: "uri"; uri: string };
}

export interface TranscriptionJobDeps {
  store: Store;
  blobs: BlobStore;
  fetchAudio(uri: string, destPath: string): Promise<void>;
  transcribe(req: TranscribeRequest): Promise<Transcript>;
  onDeliveryQueued(): void;
  defaultPolicy: string;
  logger: Logger;
  now?: () => number;
}

/** Errors a caller can act on keep their message; anything else is reported without internals. */
export function publicError(err: unknown, requestId: string): AppError {
  const e = toAppError(err);
  return e.code === "internal"
    ? new AppError("internal", `internal error while processing request ${requestId}`)
    : e;
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
      if (!job.audioName) throw new Error("job has no audio");
      const audioPath = deps.blobs.pathOf(job.audioName);
      if (p.source.kind === "uri") await deps.fetchAudio(p.source.uri, audioPath);
      const transcript = await deps.transcribe({
        audioPath,
        audioName: job.audioName,
        lang: p.lang,
        speakerAliases: p.speakerAliases,
      });
      outcome = { status: "succeeded", result: transcript };
      body = successBody(ids, transcript);
    } catch (err) {
      const e = publicError(err, job.id);
      log.warn({ err, errorCode: e.code }, "transcription failed");
      outcome = { status: "failed", errorCode: e.code, errorMessage: e.message };
      body = failureBody(ids, e);
    }
    const delivery: NewDelivery | null = p.callbackUrl
      ? {
          id: randomUUID(),
          event: "transcriptDelivered",
          url: p.callbackUrl,
          policy: p.callbackPolicy ?? deps.defaultPolicy,
          authHeaderName: p.authHeader?.name ?? null,
          authHeaderValue: p.authHeader?.value ?? null,
          body: JSON.stringify(body),
        }
      : null;
    await deps.store.finishJob(job.id, outcome, delivery, now());
    if (delivery) deps.onDeliveryQueued();
  };
}
