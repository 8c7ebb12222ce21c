/**
 * The first audio pass (decode, channel comparison, VAD, diarization of one-channel calls) in a
 * worker thread, so the HTTP server keeps answering while a long call is scanned (a 1-hour channel
 * is ~40 s of VAD alone).
 */
import { AppError } from "../core/errors.ts";
import { trimMalloc } from "../malloc-arenas.ts";
import { createThreadRpc, serveThreadRpc } from "../worker/thread-rpc.ts";
import { scanAudio, type AudioPlan, type ScanOptions } from "./prepare.ts";
import { createVad, type VadOptions } from "./vad.ts";

export interface AudioThread {
  scan(file: string, channels: number, opts?: ScanOptions): Promise<AudioPlan>;
  close(): Promise<void>;
}

type Request = { file: string; channels: number; opts?: ScanOptions | undefined };

const LONG_CALL_S = 600;

export function createAudioThread(opts: VadOptions = {}, idleMs = 5000): AudioThread {
  const rpc = createThreadRpc<Request, AudioPlan>(import.meta.url, opts, {
    toError: (e) =>
      e.code === "unsupported_audio"
        ? new AppError("unsupported_audio", e.message)
        : new Error(`audio preparation failed: ${e.message}`),
    idleMs,
    youngGenerationMb: 4, // one block object per pipe read: ~20 MB less RSS on a long call
  });
  return {
    async scan(file, channels, opts) {
      try {
        const plan = await rpc.call({ file, channels, opts });
        // Its recognition will take minutes, and a new thread starts in ~0.3 s: free the ONNX
        // session's memory now instead of holding it beside the decoders.
        if (plan.decodedSeconds >= LONG_CALL_S) rpc.retireIfIdle();
        return plan;
      } finally {
        trimMalloc(); // the pipe buffers and tensors of the scan, before the decoders need room
      }
    },
    close: () => rpc.close(),
  };
}

serveThreadRpc<Request, AudioPlan>(import.meta.url, (opts) => {
  const vad = createVad(opts as VadOptions);
  return (m) => scanAudio(m.file, m.channels, vad, m.opts);
});
