/**
 * A small claim-and-run loop shared by the job runner and the delivery worker: keeps up to
 * `concurrency` items in flight, claims more whenever a slot frees or `kick()` is called, and
 * sleeps until `nextWakeAt()` (or `idleMs`) when there is nothing due.
 */
import type { Logger } from "pino";
import { SlotTable } from "./slot-table.ts";

export interface PumpOptions<T> {
  name: string;
  concurrency: number;
  claim(limit: number): Promise<T[]>;
  handle(item: T): Promise<void>;
  /** epoch ms of the next item that will become due without a kick, if known */
  nextWakeAt?: () => Promise<number | null>;
  idleMs?: number;
  /**
   * While items are in flight, wait until this many slots are free before claiming again: one
   * claim per batch instead of one per finished item (claims are write transactions). After a
   * claim that came back short (the store held rows back, e.g. a host at its cap), finishing
   * items claim again only once this many have finished; a kick or the timer claims at once.
   */
  minBatch?: number;
  /**
   * Items claimed ahead of a free slot (0: none). A slot that frees starts the next one at once
   * instead of waiting for a claim's round trip; claimed items count as in flight.
   */
  prefetch?: number;
  logger: Logger;
  now?: () => number;
}

export interface Pump {
  start(): void;
  kick(): void;
  /** Stops claiming; resolves when in-flight items finish or `graceMs` passes. */
  stop(graceMs?: number): Promise<void>;
  readonly inFlight: number;
}

export function createPump<T>(opts: PumpOptions<T>): Pump {
  const now = opts.now ?? Date.now;
  const idleMs = opts.idleMs ?? 60_000;
  const minBatch = Math.min(opts.minBatch ?? 1, opts.concurrency);
  const capacity = opts.concurrency + (opts.prefetch ?? 0);
  const running = new SlotTable<Promise<void>>();
  const ready: T[] = [];
  const held = () => running.size + ready.length;
  /** items finished since the last claim that came back short (none since: no limit) */
  let finishedSinceShort = Infinity;

  // claimed items are theirs to finish: they start even after stop() (which waits for them)
  const startReady = () => {
    while (running.size < opts.concurrency && ready.length > 0) {
      let slot = -1;
      const p = opts
        .handle(ready.shift()!)
        .catch((err: unknown) => opts.logger.error({ err }, `${opts.name}: handler failed`))
        .finally(() => {
          running.take(slot);
          startReady();
          if (++finishedSinceShort >= minBatch) void pump();
        });
      slot = running.add(p);
    }
  };
  let stopped = true;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  // `floorMs` keeps a claim that found nothing from spinning on a due item it may not take yet
  // `ceilMs`: a short claim may have left claimable rows behind a busy host's: look again soon
  const schedule = async (floorMs: number, ceilMs: number) => {
    clearTimeout(timer);
    if (stopped) return;
    // with (nearly) every slot busy, a finishing item wakes the pump; no timer needed
    if (held() > 0 && capacity - held() < minBatch) return;
    const next = (await opts.nextWakeAt?.()) ?? null;
    const wait = Math.min(next === null ? idleMs : Math.max(next - now(), floorMs), ceilMs);
    timer = setTimeout(() => void pump(), wait);
    timer.unref();
  };

  const pump = async (): Promise<void> => {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    let claimedNone = false;
    let claimedShort = false;
    try {
      do {
        again = false;
        const free = capacity - held();
        if (free <= 0 || (held() > 0 && free < minBatch)) break;
        const items = await opts.claim(free);
        claimedNone = items.length === 0;
        claimedShort = items.length > 0 && items.length < free;
        finishedSinceShort = items.length < free ? 0 : Infinity;
        ready.push(...items);
        startReady();
        if (items.length === free) again = true;
      } while (again && !stopped);
      await schedule(claimedNone ? 20 : 0, claimedShort ? 50 : idleMs);
    } catch (err) {
      opts.logger.error({ err }, `${opts.name}: claim failed`);
      timer = setTimeout(() => void pump(), 1000);
      timer.unref();
    } finally {
      pumping = false;
    }
    // a kick that arrived while we were scheduling must not be lost
    if (again && !stopped) void pump();
  };

  return {
    start() {
      stopped = false;
      void pump();
    },
    kick() {
      void pump();
    },
    async stop(graceMs = 10_000) {
      stopped = true;
      clearTimeout(timer);
      let t: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (t = setTimeout(r, graceMs)));
      const drained = (async () => {
        while (running.size > 0) await Promise.allSettled(running.values());
      })();
      await Promise.race([drained, grace]);
      clearTimeout(t);
    },
    get inFlight() {
      return held();
    },
  };
}
