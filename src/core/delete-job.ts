/**
 * Deleting a job's data, for both APIs and the retention sweeper: the audio blob first (at once),
 * then the result, text sources and webhook bodies; the rows stay, marked deleted.
 */
import type { BlobStore } from "../store/blobs.ts";
import type { JobRow, Store } from "../store/types.ts";
import { AppError } from "./errors.ts";

type Deps = { store: Store; blobs: BlobStore };

/** A job still running is refused: its worker would write the result back. */
export async function deleteJob(deps: Deps, job: JobRow, now = Date.now()) {
  if (job.status === "queued" || job.status === "processing") {
    throw new AppError(
      "transcription_not_ready",
      `job ${job.id} is ${job.status}; delete it once it has finished`,
    );
  }
  return deleteFinishedJob(deps, job, now);
}

/** For a job known to have finished (the retention sweeper's). False if already deleted. */
export async function deleteFinishedJob(deps: Deps, job: Pick<JobRow, "id" | "audioName">, now: number) {
  if (job.audioName) await deps.blobs.remove(job.audioName);
  return deps.store.deleteJobData(job.id, now);
}
