/** Picks the recognizer from config: a Whisper-compatible server when ASR_URL is set, else PocketSphinx. */
import type { Config } from "../../config.ts";
import { createOpenAiRecognizer } from "./openai.ts";
import { createPocketsphinxRecognizer } from "./pocketsphinx.ts";
import type { Recognizer } from "./types.ts";

export function createRecognizer(config: Config): Recognizer {
  if (config.ASR_URL) {
    return createOpenAiRecognizer({
      url: config.ASR_URL,
      apiKey: config.ASR_API_KEY,
      model: config.ASR_MODEL,
    });
  }
  return createPocketsphinxRecognizer({ modelDir: config.POCKETSPHINX_MODEL_DIR });
}
