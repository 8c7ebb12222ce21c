/**
 * Audio preparation (decode, channel split, VAD) in a worker thread, so the HTTP server keeps
 * answering while a long call is scanned (a 1-hour channel is ~40 s of VAD alone). The decoded
 * channels come back by transfer, not by copy.
 */
import { AppError } from "../core/errors.ts";
import { createThreadRpc, serveThreadRpc } from "../worker/thread-rpc.ts";
import { prepareAudio, type PreparedAudio } from "./prepare.ts";
import { createVad, type VadOptions } from "./vad.ts";

export interface AudioThread {
  prepare(file: string, channels: number): Promise<PreparedAudio>;
  close(): Promise<void>;
}

type Request = { file: string; channels: number };

export function createAudioThread(opts: VadOptions = {}): AudioThread {
  const rpc = createThreadRpc<Request, PreparedAudio>(import.meta.url, opts, (e) =>
    e.code === "unsupported_audio"
      ? new AppError("unsupported_audio", e.message)
      : new Error(`audio preparation failed: ${e.message}`),
  );
  return { prepare: (file, channels) => rpc.call({ file, channels }), close: () => rpc.close() };
}

serveThreadRpc<Request, PreparedAudio>(
  import.meta.url,
  (opts) => {
    const vad = createVad(opts as VadOptions);
    return (m) => prepareAudio(m.file, m.channels, vad);
  },
  (r) => r.speakers.map((s) => s.buffer as ArrayBuffer),
);
