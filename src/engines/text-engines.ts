/**
 * The worker side of text-thread.ts: the embedded summarizer and tagger with their classifiers
 * trained. Imported only inside the thread, so the main thread never loads wink-nlp and its model.
 */
import { modelsFor } from "./summarize/classifier.ts";
import { createEmbeddedSummarizer } from "./summarize/embedded.ts";
import { loadTaxonomy } from "./summarize/taxonomy.ts";
import { createEmbeddedTagger } from "./tag/embedded.ts";

export function textEngines(taxonomyJson: string | undefined) {
  const taxonomy = loadTaxonomy(taxonomyJson);
  modelsFor(taxonomy); // the topic and dialogue-act classifiers train now, not on the first call
  return { summarizer: createEmbeddedSummarizer({ taxonomy }), tagger: createEmbeddedTagger({ taxonomy }) };
}
