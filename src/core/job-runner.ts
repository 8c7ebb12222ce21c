/**
 * Runs queued jobs in this process under a lease (renewed while a job runs), and lets callers wait
 * for a job to finish wherever it runs: a finish in this process is signalled at once, one in
 * another process by the store's notifications (Postgres LISTEN/NOTIFY) or, failing those, by
 * polling the job row.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { LeaseLostError, type JobRow, type Store } from "../store/types.ts";
import { createPump } from "../worker/pump.ts";

export interface JobRunner {
  start(): void;
  kick(): void;
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the finished job, or null if `timeoutMs` passes first. */
  waitFor(jobId: string, timeoutMs: number): Promise<JobRow | null>;
  /** tells waiters in this process that a job finished (elsewhere, e.g. from a notification) */
  finished(jobId: string): void;
}

const isTerminal = (j: JobRow | null) => j !== null && (j.status === "succeeded" || j.status === "failed");

export function createJobRunner(deps: {
  store: Store;
  handle(job: JobRow): Promise<void>;
  concurrency: number;
  logger: Logger;
  workerId: string;
  leaseMs: number;
  /** how often a waiter re-reads the job when no notification comes; also the idle poll for new jobs */
  pollMs: number;
  now?: () => number;
}): JobRunner {
  const now = deps.now ?? Date.now;
  const finished = new EventEmitter();
  finished.setMaxListeners(0);
  const log = deps.logger.child({ component: "jobs" });

  /** Renews the lease every third of its length while the job runs. */
  const heartbeat = (job: JobRow) => {
    const timer = setInterval(() => {
      deps.store.extendJobLease(job.id, { workerId: deps.workerId, until: now() + deps.leaseMs }).then(
        (held) => {
          if (!held) log.warn({ requestId: job.id }, "job lease lost: another worker may take the job over");
        },
        (err: unknown) => log.warn({ err, requestId: job.id }, "job lease renewal failed"),
      );
    }, deps.leaseMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  };

  const pump = createPump<JobRow>({
    name: "jobs",
    concurrency: deps.concurrency,
    async claim(limit) {
      const out: JobRow[] = [];
      for (let i = 0; i < limit; i++) {
        const t = now();
        const job = await deps.store.claimNextJob(t, { workerId: deps.workerId, until: t + deps.leaseMs });
        if (!job) break;
        out.push(job);
      }
      return out;
    },
    async handle(job) {
      const stopBeating = heartbeat(job);
      const started = now();
      log.info(
        { requestId: job.id, kind: job.kind, attempt: job.attempts, workerId: deps.workerId },
        "job started",
      );
      try {
        await deps.handle(job);
        log.info({ requestId: job.id, workerId: deps.workerId, ms: now() - started }, "job finished");
      } catch (err) {
        if (!(err instanceof LeaseLostError)) throw err;
        log.warn({ requestId: job.id }, "job finished after its lease was taken over; result discarded");
      } finally {
        stopBeating();
        finished.emit(job.id);
      }
    },
    idleMs: deps.pollMs,
    logger: log,
    now,
  });

  return {
    start: () => pump.start(),
    kick: () => pump.kick(),
    stop: (graceMs) => pump.stop(graceMs),
    finished: (jobId) => finished.emit(jobId),
    async waitFor(jobId, timeoutMs) {
      const deadline = now() + timeoutMs;
      let wake: (() => void) | undefined;
      const onDone = () => wake?.();
      finished.on(jobId, onDone);
      try {
        // subscribe first, then look: a job finishing in between is not missed
        for (;;) {
          const current = await deps.store.getJob(jobId);
          if (isTerminal(current)) return current;
          const left = deadline - now();
          if (left <= 0) return null;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(left, deps.pollMs));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        finished.off(jobId, onDone);
      }
    },
  };
}
