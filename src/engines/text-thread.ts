/**
 * The embedded summarizer and tagger in a worker thread: on a long transcript they are seconds of
 * CPU (a 1 MB text took 12-16 s on the event loop), so the HTTP server keeps answering meanwhile.
 * Their classifiers (wink-nlp, naive Bayes) are trained here when the thread starts.
 */
import { createThreadRpc, serveThreadRpc } from "../worker/thread-rpc.ts";
import type { Summarizer, SummarySource, TopicSummary } from "./summarize/types.ts";
import type { Tagger, Tags } from "./tag/types.ts";

type Request = { op: "summarize" | "tag"; source: SummarySource };

export interface TextThread {
  summarizer: Summarizer;
  tagger: Tagger;
  close(): Promise<void>;
}

/** `taxonomyJson`: SUMMARY_TAXONOMY_JSON, loaded (and validated) again inside the thread. */
export function createEmbeddedTextThread(taxonomyJson: string | undefined): TextThread {
  const rpc = createThreadRpc<Request, TopicSummary[] | Tags>(import.meta.url, taxonomyJson ?? null);
  return {
    summarizer: {
      name: "embedded",
      summarize: async (source) => (await rpc.call({ op: "summarize", source })) as TopicSummary[],
    },
    tagger: { name: "embedded", tag: async (source) => (await rpc.call({ op: "tag", source })) as Tags },
    close: () => rpc.close(),
  };
}

serveThreadRpc<Request, TopicSummary[] | Tags>(import.meta.url, (json) => {
  // a dynamic import, run in the thread only: the main thread stays without wink-nlp (~40 MB)
  const engines = import("./text-engines.ts").then((m) =>
    m.textEngines((json as string | null) ?? undefined),
  );
  return async (m) => {
    const { summarizer, tagger } = await engines;
    return m.op === "summarize" ? summarizer.summarize(m.source) : tagger.tag(m.source);
  };
});
