/**
 * Saving a job's outcome, durably: a failed save (disk full, database down) is retried; if it
 * keeps failing the job is recorded as failed with E001 `storage_failed` (a much smaller write),
 * retried until storage is back, so a job never stays `processing` behind a broken save. A lost
 * lease is not retried: another worker owns the job.
 */
import type { Logger } from "pino";
import {
  LeaseLostError,
  type JobOutcome,
  type NewDelivery,
  type NewJob,
  type Store,
  type WebhookEvent,
} from "../store/types.ts";
import { callbackDelivery, type CallbackParams } from "./callback.ts";
import { AppError } from "./errors.ts";
import { failureBody } from "./payloads.ts";

export interface FinishRequest {
  jobId: string;
  workerId: string;
  outcome: JobOutcome;
  delivery: NewDelivery | null;
  followUp: NewJob | null;
  /** the callback that tells the caller the result could not be saved */
  failureDelivery(e: AppError): NewDelivery | null;
}

export interface FinishDeps {
  store: Store;
  logger: Logger;
  now?: () => number;
  /** first wait between tries; doubles up to 30 s */
  retryMs?: number;
  /** tries of the real outcome before recording storage_failed */
  tries?: number;
}

export const storageFailed = () =>
  new AppError(
    "storage_failed",
    "the result could not be saved because storage failed; please submit the request again",
  );

export async function finishDurably(deps: FinishDeps, r: FinishRequest): Promise<void> {
  const now = deps.now ?? Date.now;
  const base = deps.retryMs ?? 500;
  const tries = deps.tries ?? 4;
  const wait = (n: number) => new Promise((res) => setTimeout(res, Math.min(30_000, base * 2 ** n)).unref());
  for (let n = 0; n < tries; n++) {
    try {
      await deps.store.finishJob(r.jobId, r.outcome, r.delivery, now(), r.followUp, r.workerId);
      return;
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      deps.logger.warn({ err, requestId: r.jobId, try: n + 1 }, "saving the job's outcome failed; retrying");
      await wait(n);
    }
  }
  const e = storageFailed();
  const failed: JobOutcome = { status: "failed", errorCode: e.code, errorMessage: e.message };
  for (let n = 0; ; n++) {
    try {
      await deps.store.finishJob(r.jobId, failed, r.failureDelivery(e), now(), null, r.workerId);
      deps.logger.error(
        { requestId: r.jobId },
        "the job's result was lost to a storage failure; recorded storage_failed",
      );
      return;
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      deps.logger.error(
        { err, requestId: r.jobId },
        "storage still failing; the job stays claimed and will be saved as failed",
      );
      await wait(Math.min(n + tries, 16));
    }
  }
}

/** The usual finish of a job with a callback: its body, or an E001 if the save has to give up. */
export function finishWithCallback(
  deps: Omit<FinishDeps, "retryMs"> & {
    workerId: string;
    defaultPolicy: string;
    storageRetryMs?: number | undefined;
  },
  r: {
    jobId: string;
    params: CallbackParams;
    event: WebhookEvent;
    ids: { requestId: string; callUuid: string };
    outcome: JobOutcome;
    body: object;
    followUp: NewJob | null;
  },
): Promise<void> {
  return finishDurably(
    { ...deps, retryMs: deps.storageRetryMs },
    {
      jobId: r.jobId,
      workerId: deps.workerId,
      outcome: r.outcome,
      delivery: callbackDelivery(r.params, r.event, r.body, deps.defaultPolicy),
      followUp: r.followUp,
      failureDelivery: (e) => callbackDelivery(r.params, r.event, failureBody(r.ids, e), deps.defaultPolicy),
    },
  );
}
