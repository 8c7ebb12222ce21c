/**
 * Calls waiting for their reply from a worker thread, by id. The thread is referenced while any
 * call waits and `onIdle` runs once none does (by default: unreferenced), so an idle thread never
 * keeps the process alive and a busy one is never left behind.
 */
import type { Worker } from "node:worker_threads";

export interface PendingCalls<T> {
  /** a call sent with this id: its promise settles with the reply */
  wait(id: number): Promise<T>;
  settle(id: number, reply: { result?: T; error?: Error }): void;
  failAll(e: Error): void;
  readonly size: number;
}

export function createPendingCalls<T>(
  worker: Pick<Worker, "ref" | "unref">,
  onIdle: () => void = () => worker.unref(),
): PendingCalls<T> {
  const calls = new Map<number, { resolve(v: T): void; reject(e: Error): void }>();
  return {
    wait(id) {
      if (calls.size === 0) worker.ref();
      return new Promise<T>((resolve, reject) => calls.set(id, { resolve, reject }));
    },
    settle(id, { result, error }) {
      const call = calls.get(id);
      if (!call) return;
      calls.delete(id);
      if (calls.size === 0) onIdle();
      if (error) call.reject(error);
      else call.resolve(result as T);
    },
    failAll(e) {
      for (const call of calls.values()) call.reject(e);
      calls.clear();
    },
    get size() {
      return calls.size;
    },
  };
}
