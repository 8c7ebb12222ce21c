/**
 * The SQLite store on its own thread. better-sqlite3 is synchronous: on the main thread every
 * claim, attempt record and body read is CPU the HTTP side cannot use (about a third of the main
 * thread while draining deliveries). Here the main thread holds a `Store` whose every call is
 * posted to one thread that owns the only connection; calls made in the same tick travel in one
 * message and their results come back in one, in call order, so a write is always seen by the
 * reads after it.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { LeaseLostError, type Store } from "./types.ts";
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from "./sqlite.ts";
import { BYTES_BODY_MIN, wire } from "./thread-wire.ts";
import { createPendingCalls } from "../worker/pending-calls.ts";
import { errorData, threadBootstrap, type ErrorData } from "../worker/thread-rpc.ts";

type Method = Exclude<keyof Store, "close">;
type Call = [id: number, method: Method, args: unknown[]];
type Reply = [id: number, result: unknown, error?: ErrorData];
type Setup = { storeThread: string; file: string; opts: SqliteStoreOptions };

const MODULE = import.meta.url;

/** Errors cross the thread as plain data; the ones callers tell apart get their class back. */
function rebuildError(e: NonNullable<Reply[2]>): Error {
  const err = e.name === "LeaseLostError" ? new LeaseLostError("") : new Error();
  return Object.assign(err, { message: e.message, name: e.name, ...(e.code && { code: e.code }) });
}

/** Opens the database on a new thread; rejects with the thread's error if it cannot (migrations included). */
export async function openSqliteStoreThread(file: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  const worker = new Worker(threadBootstrap(MODULE), {
    eval: true,
    workerData: { storeThread: MODULE, file, opts } satisfies Setup,
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (e: Error) => reject(e);
    worker.once("error", failed);
    worker.once("message", (m: "ready" | { error: string }) => {
      worker.off("error", failed);
      if (m === "ready") resolve();
      else reject(new Error(m.error));
    });
  });

  let outbox: Call[] = [];
  let dead: Error | null = null;
  // a late reply must not drop close's ref
  const pending = createPendingCalls<unknown>(worker, () => closing || worker.unref());
  const failAll = (e: Error) => {
    dead ??= e;
    pending.failAll(e);
  };
  const flush = () => {
    const batch = outbox;
    outbox = [];
    worker.postMessage(batch);
  };
  worker.unref(); // a pending call refs it: an idle store never keeps the process alive
  worker.on("message", (replies: Reply[] | "closed") => {
    if (replies === "closed") return;
    for (const [id, result, error] of replies)
      pending.settle(id, { result, error: error && rebuildError(error) });
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the SQLite store thread exited (code ${code})`)));

  const call = (method: Method, args: unknown[]) => {
    if (dead) return Promise.reject(dead);
    const w = wire[method];
    const { id, reply } = pending.wait();
    if (outbox.push([id, method, w?.args ? w.args(args) : args]) === 1) queueMicrotask(flush);
    return w?.unResult ? reply.then(w.unResult) : reply;
  };

  // each method is made on first use and kept on the target, where a test may also replace it
  const store = new Proxy({ close } as unknown as Store, {
    get(target, method: keyof Store) {
      if (Reflect.has(target, method)) return target[method];
      if (typeof method !== "string" || (method as string) === "then") return undefined;
      const fn = (...args: unknown[]) => call(method as Method, args);
      Reflect.set(target, method, fn);
      return fn;
    },
  });
  let closing: Promise<void> | undefined;
  async function close() {
    closing ??= (async () => {
      if (!dead) {
        worker.ref();
        const closed = new Promise<void>((r) => worker.once("message", () => r()));
        worker.postMessage("close");
        await Promise.race([closed, new Promise<void>((r) => worker.once("exit", () => r()))]);
        // the thread is ended from here, not with process.exit() inside it: that left a thread
        // hanging in exit next to a native addon (the Whisper binding) and the event loop empty
        await worker.terminate();
      }
      failAll(new Error("the store is closed"));
    })();
    return closing;
  }
  return store;
}

/** The thread's half: runs each batch's calls in order, synchronously, and answers in one message. */
function serve(port: NonNullable<typeof parentPort>, setup: Setup): void {
  let store: SqliteStore;
  try {
    store = openSqliteStore(setup.file, setup.opts);
  } catch (err) {
    port.postMessage({ error: (err as Error).message });
    return;
  }
  port.postMessage("ready");
  port.on("message", (batch: Call[] | "close") => {
    if (batch === "close") {
      void store.close().finally(() => port.postMessage("closed"));
      return;
    }
    // every SQLite store method does its work before returning its promise: calling them in
    // order here is executing them in order
    const results = batch.map(([, method, args]) => {
      const serve = wire[method]?.serve;
      return serve ? serve(store, args) : (store[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    });
    void Promise.allSettled(results).then((settled) => {
      const replies = settled.map((s, i): Reply => {
        const id = batch[i]![0];
        return s.status === "rejected" ? [id, undefined, errorData(s.reason)] : [id, s.value];
      });
      port.postMessage(replies, movableBodies(replies.map((r) => r[1])));
    });
  });
}

/**
 * Bodies in a batch's results (bytes among the values of an array in a result, as claims send
 * their bodies: `SendableWire`) worth moving to the main thread instead of copying: each owns its
 * memory (a Buffer from Node's shared pool must never be moved) and is not used here again.
 * Moving a 50 KB body instead of copying it saved ~3 µs of CPU; below ~8 KB a copy costs less (and
 * the store reads those as text).
 */
export function movableBodies(results: readonly unknown[], minBytes = BYTES_BODY_MIN): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const rows of results) {
    if (!Array.isArray(rows)) continue;
    for (const row of rows as unknown[]) {
      if (!Array.isArray(row)) continue;
      for (const b of row as unknown[])
        if (
          b instanceof Uint8Array &&
          b.byteLength >= minBytes &&
          b.byteOffset === 0 &&
          b.buffer.byteLength === b.byteLength
        )
          out.add(b.buffer as ArrayBuffer);
    }
  }
  return [...out];
}

const started = workerData as Partial<Setup> | null;
if (!isMainThread && parentPort && started?.storeThread === MODULE) serve(parentPort, started as Setup);
