/**
 * CPU-heavy work in a worker thread behind a promise: `createThreadRpc` on the main side,
 * `serveThreadRpc` in the thread's module. The thread starts on first call (servers that never
 * need it pay nothing; with `idleMs` it also ends when idle), serves one request at a time in order,
 * and is only terminated once its
 * setup has finished (terminating a thread while a native addon initialises aborts the process).
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { createPendingCalls, type PendingCalls } from "./pending-calls.ts";

export interface ThreadRpc<Req, Res> {
  call(req: Req): Promise<Res>;
  /** Ends the thread now if no request is waiting (the next call starts a new one). */
  retireIfIdle(): void;
  /** whether a thread is up (or starting) */
  readonly running: boolean;
  close(): Promise<void>;
}

type Envelope<T> = { id: number; body: T };
type Reply<T> = { id: number; result?: T; error?: ErrorData };

/** An error as it crosses a thread: plain data (the class is rebuilt, if needed, on the other side). */
export type ErrorData = { message: string; name: string; code?: string };

export function errorData(err: unknown): ErrorData {
  const e = err as { message?: string; name?: string; code?: string } | null;
  return { message: String(e?.message ?? err), name: e?.name ?? "Error", code: e?.code };
}

export interface ThreadRpcOptions {
  toError?: (e: ErrorData) => Error;
  /**
   * End the thread after this long without a request (it is started again on the next one): an
   * idle thread still holds its engine's memory (~70 MB for the ONNX VAD).
   */
  idleMs?: number;
  /** V8's young generation for the thread; a small one keeps a thread that churns buffers lean */
  youngGenerationMb?: number;
}

interface Thread<Res> {
  worker: Worker;
  ready: Promise<void>;
  pending: PendingCalls<Res>;
  idle?: NodeJS.Timeout;
}

/**
 * Source of a thread that loads `moduleUrl` (run with `eval: true`). Compiled (`npm start` runs
 * dist/): the module itself. From TypeScript sources (tests, tsx): a tiny JS bootstrap registers
 * the loader first (workers do not inherit it on Node 20).
 */
export function threadBootstrap(moduleUrl: string): string {
  const load = `import(${JSON.stringify(moduleUrl)})`;
  return moduleUrl.endsWith(".ts")
    ? `import("tsx/esm/api").then((m) => m.register()).then(() => ${load})`
    : load;
}

export function createThreadRpc<Req, Res>(
  moduleUrl: string,
  workerData: unknown,
  opts: ThreadRpcOptions = {},
): ThreadRpc<Req, Res> {
  const toError = opts.toError ?? ((e) => new Error(e.message));
  let thread: Thread<Res> | undefined;
  const retire = (t: Thread<Res>) => {
    if (thread === t) thread = undefined;
    void t.worker.terminate();
  };

  const start = (): Thread<Res> => {
    const worker = new Worker(threadBootstrap(moduleUrl), {
      eval: true,
      workerData: { module: moduleUrl, data: workerData },
      ...(opts.youngGenerationMb && { resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb } }),
    });
    let ready!: () => void;
    const t: Thread<Res> = {
      worker,
      ready: new Promise<void>((r) => (ready = r)),
      pending: createPendingCalls<Res>(worker, () => {
        worker.unref();
        if (opts.idleMs !== undefined) t.idle = setTimeout(() => retire(t), opts.idleMs).unref();
      }),
    };
    worker.on("message", (m: Reply<Res> | "ready") => {
      if (m === "ready") return ready();
      t.pending.settle(m.id, { result: m.result, error: m.error && toError(m.error) });
    });
    worker.on("error", (e) => t.pending.failAll(e));
    worker.on("exit", (code) => {
      ready();
      if (thread === t) thread = undefined;
      t.pending.failAll(new Error(`worker thread exited (code ${code})`));
    });
    return t;
  };

  return {
    call(body) {
      const t = (thread ??= start());
      clearTimeout(t.idle);
      const { id, reply } = t.pending.wait();
      t.worker.postMessage({ id, body } satisfies Envelope<Req>);
      return reply;
    },
    get running() {
      return thread !== undefined;
    },
    retireIfIdle() {
      if (thread && thread.pending.size === 0) {
        clearTimeout(thread.idle);
        retire(thread);
      }
    },
    async close() {
      if (!thread) return;
      const t = thread;
      clearTimeout(t.idle);
      await Promise.race([t.ready, new Promise((r) => setTimeout(r, 10_000))]);
      await t.worker.terminate();
    },
  };
}

/**
 * The thread's half, called at the top level of `moduleUrl`: does nothing unless this thread was
 * started for that module; else `setup` once (with the data given to createThreadRpc), then each
 * request in order.
 */
export function serveThreadRpc<Req, Res>(
  moduleUrl: string,
  setup: (data: unknown) => (req: Req) => Promise<Res> | Res,
): void {
  const port = parentPort;
  const started = workerData as { module?: string; data?: unknown } | null;
  if (isMainThread || !port || started?.module !== moduleUrl) return;
  const handle = setup(started.data);
  port.postMessage("ready");
  let queue = Promise.resolve();
  port.on("message", (m: Envelope<Req>) => {
    queue = queue.then(async () => {
      try {
        const result = await handle(m.body);
        port.postMessage({ id: m.id, result } satisfies Reply<Res>);
      } catch (err) {
        port.postMessage({ id: m.id, error: errorData(err) } satisfies Reply<Res>);
      }
    });
  });
}
