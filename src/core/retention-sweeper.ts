/**
 * Enforces retention in every worker process: removes expired audio, then deletes expired job
 * data (result, text sources, webhook bodies; rows stay). Every step is idempotent, so several
 * workers sweeping at once only repeat harmless work. Each pass reads indexed expiry ranges, so
 * its cost does not grow with the jobs merely stored.
 */
import type { Logger } from "pino";
import type { BlobStore } from "../store/blobs.ts";
import type { Store } from "../store/types.ts";
import { deleteFinishedJob } from "./delete-job.ts";

export interface RetentionSweeper {
  /** one pass; returns what it removed */
  sweep(): Promise<{ audio: number; data: number }>;
  start(): void;
  stop(): void;
}

export function createRetentionSweeper(deps: {
  store: Store;
  blobs: BlobStore;
  logger: Logger;
  intervalMs?: number;
  batch?: number;
  now?: () => number;
}): RetentionSweeper {
  const now = deps.now ?? Date.now;
  const batch = deps.batch ?? 200;
  const log = deps.logger.child({ component: "retention" });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweep() {
    let audio = 0;
    let data = 0;
    for (;;) {
      const t = now();
      const expired = await deps.store.expiredJobs(t, batch);
      for (const { id, audioName } of expired.audio) {
        await deps.blobs.remove(audioName);
        await deps.store.forgetAudio(id);
        audio++;
      }
      for (const job of expired.data) if (await deleteFinishedJob(deps, job, t)) data++;
      if (expired.audio.length < batch && expired.data.length < batch) break;
    }
    if (audio || data) log.info({ audio, data }, "retention: expired audio and job data removed");
    return { audio, data };
  }

  return {
    sweep,
    start() {
      timer ??= setInterval(() => {
        running ??= sweep()
          .catch((err: unknown) => log.error({ err }, "retention sweep failed"))
          .finally(() => (running = undefined));
      }, deps.intervalMs ?? 60_000).unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
