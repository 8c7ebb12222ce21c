/**
 * Picks the summarizer and tagger from config: an OpenAI-compatible chat model when LLM_URL is
 * set (Ollama, vLLM, llama.cpp server, OpenAI), else the embedded, offline engines.
 */
import type { Config } from "../config.ts";
import { createChatClient } from "./llm/chat-client.ts";
import { createEmbeddedSummarizer } from "./summarize/embedded.ts";
import { createLlmSummarizer } from "./summarize/llm.ts";
import { loadTaxonomy } from "./summarize/taxonomy.ts";
import type { Summarizer } from "./summarize/types.ts";
import { createEmbeddedTagger } from "./tag/embedded.ts";
import { createLlmTagger } from "./tag/llm.ts";
import type { Tagger } from "./tag/types.ts";

export function createTextEngines(config: Config): { summarizer: Summarizer; tagger: Tagger } {
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
    };
  }
  return { summarizer: createEmbeddedSummarizer({ taxonomy }), tagger: createEmbeddedTagger({ taxonomy }) };
}
