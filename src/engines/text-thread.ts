/**
 * The embedded summarizer and tagger in a worker thread: on a long transcript they are seconds of
 * CPU (a 1 MB text took 12-16 s on the event loop), so the HTTP server keeps answering meanwhile.
 * Their classifiers (wink-nlp, naive Bayes) are trained here when the thread starts.
 */
import { createThreadRpc, serveThreadRpc } from "../worker/thread-rpc.ts";
import { modelsFor } from "./summarize/classifier.ts";
import { createEmbeddedSummarizer } from "./summarize/embedded.ts";
import { loadTaxonomy } from "./summarize/taxonomy.ts";
import type { Summarizer, SummarySource, TopicSummary } from "./summarize/types.ts";
import { createEmbeddedTagger } from "./tag/embedded.ts";
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
  const taxonomy = loadTaxonomy((json as string | null) ?? undefined);
  // the topic and dialogue-act classifiers train here, at start-up, off the main thread
  modelsFor(taxonomy);
  const summarizer = createEmbeddedSummarizer({ taxonomy });
  const tagger = createEmbeddedTagger({ taxonomy });
  return (m) => (m.op === "summarize" ? summarizer.summarize(m.source) : tagger.tag(m.source));
});
