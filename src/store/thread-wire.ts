/**
 * How the calls made for every delivery cross to the SQLite store's thread and back. Structured
 * clone writes every property name of every object it copies, and walks every value: claimed rows
 * cross as one JSON text beside their bodies (`SendableWire`), attempt records as arrays of values
 * the thread binds as they are. Calls without an entry here cross as they are.
 */
import { recordToValues, sendableFromWire, type SendableWire } from "./rows.ts";
import type { SqliteStore } from "./sqlite.ts";
import type { AttemptRecord, Store } from "./types.ts";

type Method = Exclude<keyof Store, "close">;

/**
 * Bodies from this size on are read as bytes and moved to the calling thread; smaller ones are
 * read as text: a string crosses for less than bytes, which need an ArrayBuffer each on arrival.
 */
export const BYTES_BODY_MIN = 8192;

export interface Wire {
  /** on the calling thread, before sending: the arguments as they cross */
  args?(args: unknown[]): unknown[];
  /** on the store's thread: runs the call on the crossed arguments; resolves to what crosses back */
  serve?(store: SqliteStore, args: unknown[]): Promise<unknown>;
  /** on the calling thread: the result as the caller takes it */
  unResult?(wire: unknown): unknown;
}

export const wire: Partial<Record<Method, Wire>> = {
  claimSendable: {
    serve: (store, [now, limit, opts]) =>
      store.claimSendableWire(now as number, limit as number, opts as Parameters<Store["claimSendable"]>[2]),
    unResult: (w) => sendableFromWire(w as SendableWire),
  },
  recordAttempts: {
    args: ([batch, ...rest]) => [(batch as AttemptRecord[]).map(recordToValues), ...rest],
    serve: (store, [batch, now, workerId]) =>
      store.recordAttemptValues(
        batch as Parameters<SqliteStore["recordAttemptValues"]>[0],
        now as number,
        workerId as string | null | undefined,
      ),
  },
};
