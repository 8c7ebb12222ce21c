/**
 * Many deadlines on one coarse timer. A timer per request (`AbortSignal.timeout`) cost ~11 µs of
 * main-thread time per webhook attempt (measured: ~8 % of the delivery engine's CPU at 0.5 KB);
 * an entry here costs a slot taken and given back. Deadlines fire up to `resolutionMs` late.
 */
import { SlotTable } from "../worker/slot-table.ts";

export interface Deadlines {
  /** Calls `fire` once `at` (performance.now() time) has passed; returns a cancel function. */
  add(at: number, fire: () => void): () => void;
}

type Entry = { at: number; fire: () => void };

export function createDeadlines(resolutionMs = 25): Deadlines {
  // a Map here promoted every attempt's request and body to the old generation (see SlotTable)
  const entries = new SlotTable<Entry>();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const t = performance.now();
    entries.forEach((e, slot) => {
      if (e.at > t) return;
      entries.take(slot);
      e.fire();
    });
    if (entries.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    add(at, fire) {
      const entry = { at, fire };
      const slot = entries.add(entry);
      if (!timer) {
        timer = setInterval(tick, resolutionMs);
        timer.unref();
      }
      // the slot may hold another entry by now: only this one is removed
      return () => {
        if (entries.get(slot) === entry) entries.take(slot);
      };
    },
  };
}
