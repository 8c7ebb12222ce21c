/**
 * Runs queued jobs in this process and lets callers wait for one to finish (inline mode waits on
 * the same queue as accepted mode, so both share one code path and one concurrency limit).
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { JobRow, Store } from "../store/types.ts";
import { createPump } from "../worker/pump.ts";

export interface JobRunner {
  start(): void;
  kick(): void;
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the finished job, or null if `timeoutMs` passes first. */
  waitFor(jobId: string, timeoutMs: number): Promise<JobRow | null>;
}

const isTerminal = (j: JobRow | null) => j !== null && (j.status === "succeeded" || j.status === "failed");

export function createJobRunner(deps: {
  store: Store;
  handle(job: JobRow): Promise<void>;
  concurrency: number;
  logger: Logger;
  now?: () => number;
}): JobRunner {
  const now = deps.now ?? Date.now;
  const finished = new EventEmitter();
  finished.setMaxListeners(0);

  const pump = createPump<JobRow>({
    name: "jobs",
    concurrency: deps.concurrency,
    async claim(limit) {
      const out: JobRow[] = [];
      for (let i = 0; i < limit; i++) {
        const job = await deps.store.claimNextJob(now());
        if (!job) break;
        out.push(job);
      }
      return out;
    },
    async handle(job) {
      try {
        await deps.handle(job);
      } finally {
        finished.emit(job.id);
      }
    },
    logger: deps.logger.child({ component: "jobs" }),
    now,
  });

  return {
    start: () => pump.start(),
    kick: () => pump.kick(),
    stop: (graceMs) => pump.stop(graceMs),
    async waitFor(jobId, timeoutMs) {
      let onDone: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const signalled = new Promise<boolean>((resolve) => {
        onDone = () => resolve(true);
        finished.once(jobId, onDone);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        // subscribe first, then look: a job finishing in between is not missed
        const current = await deps.store.getJob(jobId);
        if (isTerminal(current)) return current;
        if (!(await signalled)) return null;
        return await deps.store.getJob(jobId);
      } finally {
        clearTimeout(timer);
        if (onDone) finished.off(jobId, onDone);
      }
    },
  };
}
