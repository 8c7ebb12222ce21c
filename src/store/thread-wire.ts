/**
 * How the calls made for every delivery cross to the SQLite store's thread and back. Structured
 * clone writes every property name of every object it copies; rows as arrays of values clone at a
 * fraction of the cost (measured with `postMessage` to a thread, CPU of both threads: 24 claimed
 * rows with 0.5 KB bodies 228–246 → 84–92 µs with the bodies as text; 64 attempt records
 * 343–372 → 156–162 µs). Calls without an entry here cross as they are.
 */
import { attemptToValues, sendableFromValues, sendableToValues } from "./rows.ts";
import type { DeliveryUpdate, NewAttempt, SendableDelivery, Store } from "./types.ts";

type Method = Exclude<keyof Store, "close">;

/**
 * Bodies from this size on are read as bytes and moved to the calling thread; smaller ones are
 * read as text: a string crosses for less than bytes, which need an ArrayBuffer each on arrival.
 */
export const BYTES_BODY_MIN = 8192;

export interface Wire {
  /** on the calling thread, before sending: the arguments as they cross */
  args?(args: unknown[]): unknown[];
  /** on the store's thread: the arguments as the store takes them */
  unArgs?(wire: unknown[]): unknown[];
  /** on the store's thread: the result as it crosses */
  result?(result: unknown): unknown;
  /** on the calling thread: the result as the caller takes it */
  unResult?(wire: unknown): unknown;
}

type AttemptRecord = { attempt: NewAttempt; update: DeliveryUpdate };

export const recordToValues = ({ attempt, update }: AttemptRecord): unknown[] => [
  ...attemptToValues(attempt),
  update.state,
  update.nextAttemptAt,
];

export function recordFromValues(v: readonly unknown[]): AttemptRecord {
  const [deliveryId, series, attemptNo, startedAt, latencyMs, statusCode, errorClass, errorDetail] = v;
  return {
    attempt: {
      deliveryId,
      series,
      attemptNo,
      startedAt,
      latencyMs,
      statusCode,
      errorClass,
      errorDetail,
      urlHost: v[8],
      responseSnippet: v[9],
    } as NewAttempt,
    update: { state: v[10], nextAttemptAt: v[11] } as DeliveryUpdate,
  };
}

export const wire: Partial<Record<Method, Wire>> = {
  claimSendable: {
    result: (rows) => (rows as SendableDelivery[]).map(sendableToValues),
    unResult: (rows) => (rows as unknown[][]).map(sendableFromValues),
  },
  recordAttempts: {
    args: ([batch, ...rest]) => [(batch as AttemptRecord[]).map(recordToValues), ...rest],
    unArgs: ([batch, ...rest]) => [(batch as unknown[][]).map(recordFromValues), ...rest],
  },
};
