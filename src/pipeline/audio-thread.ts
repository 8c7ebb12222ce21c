/**
 * Audio preparation (decode, channel split, VAD) in a worker thread, so the HTTP server keeps
 * answering while a long call is scanned (a 1-hour channel is ~40 s of VAD alone). Requests are
 * served one at a time in order (the detector keeps state between windows); the decoded channels
 * come back by transfer, not by copy.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { AppError } from "../core/errors.ts";
import { prepareAudio, type PreparedAudio } from "./prepare.ts";
import { createVad, type VadOptions } from "./vad.ts";

export interface AudioThread {
  prepare(file: string, channels: number): Promise<PreparedAudio>;
  close(): Promise<void>;
}

type Request = { id: number; file: string; channels: number };
type Reply = { id: number; prepared?: PreparedAudio; error?: { message: string; code?: string } };

export function createAudioThread(opts: VadOptions = {}): AudioThread {
  const pending = new Map<number, { resolve(r: PreparedAudio): void; reject(e: Error): void }>();
  let next = 0;
  let thread: { worker: Worker; ready: Promise<void> } | undefined;
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  /** Started on first use: servers that never transcribe (api role, most tests) pay nothing. */
  const start = () => {
    // A tiny JS bootstrap registers the TypeScript loader (workers do not inherit it on Node 20),
    // then runs this file's worker half.
    const bootstrap = `import("tsx/esm/api").then((m) => m.register()).then(() => import(${JSON.stringify(import.meta.url)}))`;
    const worker = new Worker(bootstrap, { eval: true, workerData: opts });
    let ready!: () => void;
    const t = { worker, ready: new Promise<void>((r) => (ready = r)) };
    worker.on("message", (m: Reply | "ready") => {
      if (m === "ready") return ready();
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (m.prepared) p.resolve(m.prepared);
      else if (m.error?.code === "unsupported_audio")
        p.reject(new AppError("unsupported_audio", m.error.message));
      else p.reject(new Error(`audio preparation failed: ${m.error?.message}`));
    });
    worker.on("error", (e) => failAll(e));
    worker.on("exit", (code) => {
      ready();
      thread = undefined;
      failAll(new Error(`audio thread exited (code ${code})`));
    });
    return t;
  };

  return {
    prepare(file, channels) {
      thread ??= start();
      const { worker } = thread;
      return new Promise<PreparedAudio>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, file, channels } satisfies Request);
      });
    },
    async close() {
      if (!thread) return;
      const t = thread;
      // terminating while the native detector is being created aborts the process: wait for it
      await Promise.race([t.ready, new Promise((r) => setTimeout(r, 10_000))]);
      await t.worker.terminate();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const vad = createVad(workerData as VadOptions);
  port.postMessage("ready");
  let queue = Promise.resolve();
  port.on("message", (m: Request) => {
    queue = queue.then(async () => {
      try {
        const prepared = await prepareAudio(m.file, m.channels, vad);
        port.postMessage(
          { id: m.id, prepared } satisfies Reply,
          prepared.speakers.map((s) => s.buffer as ArrayBuffer),
        );
      } catch (err) {
        const e = err as { message?: string; code?: string };
        port.postMessage({
          id: m.id,
          error: { message: String(e?.message ?? err), code: e?.code },
        } satisfies Reply);
      }
    });
  });
}
