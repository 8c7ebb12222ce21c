/**
 * How the calls made for every delivery cross to the SQLite store's thread and back. Structured
 * clone writes every property name of every object it copies; rows as arrays of values clone at a
 * fraction of the cost (measured with `postMessage` to a thread, CPU of both threads: 24 claimed
 * rows with 0.5 KB bodies 228–246 → 84–92 µs with the bodies as text; 64 attempt records
 * 343–372 → 156–162 µs). The store's thread reads and writes those values as they are (`via`):
 * no objects built there only to be flattened again. Calls without an entry here cross as they are.
 */
import { recordToValues, sendableFromValues } from "./rows.ts";
import type { SqliteStore } from "./sqlite.ts";
import type { ClaimOptions, DeliveryUpdate, NewAttempt, Store } from "./types.ts";

type Method = Exclude<keyof Store, "close">;

/**
 * Bodies from this size on are read as bytes and moved to the calling thread; smaller ones are
 * read as text: a string crosses for less than bytes, which need an ArrayBuffer each on arrival.
 */
export const BYTES_BODY_MIN = 8192;

export interface Wire {
  /** on the calling thread, before sending: the arguments as they cross */
  args?(args: unknown[]): unknown[];
  /** on the store's thread: the SQLite store's method that takes the crossing arguments and returns the crossing result */
  via?: keyof Omit<SqliteStore, keyof Store>;
  /** on the calling thread: the result as the caller takes it */
  unResult?(wire: unknown): unknown;
}

type AttemptRecord = { attempt: NewAttempt; update: DeliveryUpdate };

export const wire: Partial<Record<Method, Wire>> = {
  claimSendable: {
    // deliveries whose record is on its way: only a store that counts in-flight rows itself (Postgres) reads them
    args: ([now, limit, opts]) => {
      const { settling: _settling, ...rest } = (opts ?? {}) as ClaimOptions;
      return [now, limit, rest];
    },
    via: "claimSendableValues",
    unResult: (rows) => (rows as unknown[][]).map(sendableFromValues),
  },
  recordAttempts: {
    args: ([batch, ...rest]) => [(batch as AttemptRecord[]).map(recordToValues), ...rest],
    via: "recordAttemptValues",
  },
};
