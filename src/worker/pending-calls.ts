/**
 * Calls waiting for their reply from a worker thread, by id. The thread is referenced while any
 * call waits and `onIdle` runs once none does (by default: unreferenced), so an idle thread never
 * keeps the process alive and a busy one is never left behind.
 */
import type { Worker } from "node:worker_threads";
import { SlotTable } from "./slot-table.ts";

export interface PendingCalls<T> {
  /** a call about to be sent: the id to send it with, and the promise its reply settles */
  wait(): { id: number; reply: Promise<T> };
  settle(id: number, reply: { result?: T; error?: Error }): void;
  failAll(e: Error): void;
  readonly size: number;
}

export function createPendingCalls<T>(
  worker: Pick<Worker, "ref" | "unref">,
  onIdle: () => void = () => worker.unref(),
): PendingCalls<T> {
  // ids are slots, reused once answered: a thread answers each call once
  const calls = new SlotTable<{ resolve(v: T): void; reject(e: Error): void }>();
  return {
    wait() {
      if (calls.size === 0) worker.ref();
      let id = -1;
      const reply = new Promise<T>((resolve, reject) => (id = calls.add({ resolve, reject })));
      return { id, reply };
    },
    settle(id, { result, error }) {
      const call = calls.take(id);
      if (!call) return;
      if (calls.size === 0) onIdle();
      if (error) call.reject(error);
      else call.resolve(result as T);
    },
    failAll(e) {
      const waiting = calls.values();
      calls.clear();
      for (const call of waiting) call.reject(e);
    },
    get size() {
      return calls.size;
    },
  };
}
