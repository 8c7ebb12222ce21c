/**
 * Redaction in a worker thread: compromise takes ~0.5 s to load and ~0.55 s per 10,000 words (a
 * one-hour call), so the event loop never runs it. A thread of its own rather than the summarizer's
 * text thread: that one exists only with the embedded summarizer (not with LLM_URL), and a long
 * summary there would hold a transcription's redaction behind it. The thread starts on the first
 * redaction and ends after a minute without one, giving compromise's memory back.
 */
import type { TranscriptItem } from "../core/payloads.ts";
import { createThreadRpc, serveThreadRpc } from "../worker/thread-rpc.ts";
import { loadNlp } from "./names.ts";
import { redactItems, type RedactOptions, type RedactionResult } from "./redact.ts";

type Request = { items: TranscriptItem[]; opts: RedactOptions };

export interface Redactor {
  redact(items: TranscriptItem[], opts: RedactOptions): Promise<RedactionResult>;
  close(): Promise<void>;
}

/** The same work in this thread (tools, tests; a short transcript). */
export const inProcessRedactor: Redactor = {
  redact: async (items, opts) =>
    redactItems(items, opts, opts.policies.includes("person_name") ? await loadNlp() : null),
  close: async () => {},
};

export function createRedactionThread(idleMs = 60_000): Redactor {
  const rpc = createThreadRpc<Request, RedactionResult>(import.meta.url, null, {
    idleMs,
    toError: (e) => new Error(`redaction failed: ${e.message}`),
  });
  return {
    redact: (items, opts) => rpc.call({ items, opts }),
    close: () => rpc.close(),
  };
}

serveThreadRpc<Request, RedactionResult>(
  import.meta.url,
  () => (m) => inProcessRedactor.redact(m.items, m.opts),
);
