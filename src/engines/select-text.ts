/**
 * Picks the summarizer and tagger from config: an OpenAI-compatible chat model when LLM_URL is
 * set (Ollama, vLLM, llama.cpp server, OpenAI), else the embedded, offline engines.
 */
import type { Config } from "../config.ts";
import { createChatClient } from "./llm/chat-client.ts";
import { createEmbeddedTextThread } from "./text-thread.ts";
import { createLlmSummarizer } from "./summarize/llm.ts";
import { loadTaxonomy } from "./summarize/taxonomy.ts";
import type { Summarizer } from "./summarize/types.ts";
import { createLlmTagger } from "./tag/llm.ts";
import type { Tagger } from "./tag/types.ts";

export function createTextEngines(config: Config): {
  summarizer: Summarizer;
  tagger: Tagger;
  close(): Promise<void>;
} {
  // validated here too, so a bad SUMMARY_TAXONOMY_JSON stops the start-up, not the first summary
  const taxonomy = loadTaxonomy(config.SUMMARY_TAXONOMY_JSON);
  if (config.LLM_URL) {
    const client = createChatClient({
      url: config.LLM_URL,
      apiKey: config.LLM_API_KEY,
      model: config.LLM_MODEL,
    });
    return {
      summarizer: createLlmSummarizer({ client, taxonomy }),
      tagger: createLlmTagger({ client, taxonomy }),
      close: async () => {},
    };
  }
  return createEmbeddedTextThread(config.SUMMARY_TAXONOMY_JSON);
}
