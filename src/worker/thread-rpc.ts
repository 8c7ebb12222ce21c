/**
 * CPU-heavy work in a worker thread behind a promise: `createThreadRpc` on the main side,
 * `serveThreadRpc` in the thread's module. The thread starts on first call (servers that never
 * need it pay nothing), serves one request at a time in order, and is only terminated once its
 * setup has finished (terminating a thread while a native addon initialises aborts the process).
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

export interface ThreadRpc<Req, Res> {
  call(req: Req): Promise<Res>;
  close(): Promise<void>;
}

type Envelope<T> = { id: number; body: T };
type Reply<T> = { id: number; result?: T; error?: { message: string; code?: string } };

export function createThreadRpc<Req, Res>(
  moduleUrl: string,
  workerData: unknown,
  toError: (e: { message: string; code?: string }) => Error = (e) => new Error(e.message),
): ThreadRpc<Req, Res> {
  const pending = new Map<number, { resolve(r: Res): void; reject(e: Error): void }>();
  let next = 0;
  let thread: { worker: Worker; ready: Promise<void> } | undefined;
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  const start = () => {
    // A tiny JS bootstrap registers the TypeScript loader (workers do not inherit it on Node 20),
    // then runs the module's worker half.
    const bootstrap = `import("tsx/esm/api").then((m) => m.register()).then(() => import(${JSON.stringify(moduleUrl)}))`;
    const worker = new Worker(bootstrap, { eval: true, workerData: { module: moduleUrl, data: workerData } });
    let ready!: () => void;
    const t = { worker, ready: new Promise<void>((r) => (ready = r)) };
    worker.on("message", (m: Reply<Res> | "ready") => {
      if (m === "ready") return ready();
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (m.error) p.reject(toError(m.error));
      else p.resolve(m.result as Res);
    });
    worker.on("error", (e) => failAll(e));
    worker.on("exit", (code) => {
      ready();
      thread = undefined;
      failAll(new Error(`worker thread exited (code ${code})`));
    });
    return t;
  };

  return {
    call(body) {
      thread ??= start();
      const { worker } = thread;
      return new Promise<Res>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, body } satisfies Envelope<Req>);
      });
    },
    async close() {
      if (!thread) return;
      const t = thread;
      await Promise.race([t.ready, new Promise((r) => setTimeout(r, 10_000))]);
      await t.worker.terminate();
    },
  };
}

/**
 * The thread's half, called at the top level of `moduleUrl`: does nothing unless this thread was
 * started for that module; else `setup` once (with the data given to createThreadRpc), then each
 * request in order. `transfer` lists buffers to move back instead of copying them.
 */
export function serveThreadRpc<Req, Res>(
  moduleUrl: string,
  setup: (data: unknown) => (req: Req) => Promise<Res> | Res,
  transfer: (res: Res) => ArrayBuffer[] = () => [],
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
        port.postMessage({ id: m.id, result } satisfies Reply<Res>, transfer(result));
      } catch (err) {
        const e = err as { message?: string; code?: string };
        port.postMessage({
          id: m.id,
          error: { message: String(e?.message ?? err), code: e?.code },
        } satisfies Reply<Res>);
      }
    });
  });
}
