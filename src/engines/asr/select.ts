/**
 * Picks the recognizer from config: a Whisper-compatible server when ASR_URL is set, local Whisper
 * (whisper.cpp in process) when WHISPER_MODEL is set, else PocketSphinx. Both set is refused: they
 * name two different recognizers and the server would silently ignore one.
 */
import { ConfigError, type Config } from "../../config.ts";
import { createOpenAiRecognizer } from "./openai.ts";
import { createPocketsphinxRecognizer } from "./pocketsphinx.ts";
import type { Recognizer } from "./types.ts";
import { createWhisperRecognizer } from "./whisper.ts";
import { WhisperModelError } from "./whisper-model.ts";

export function createRecognizer(config: Config): Recognizer {
  if (config.ASR_URL && config.WHISPER_MODEL) {
    throw new ConfigError(
      "invalid configuration:\n  set ASR_URL (a transcription server) or WHISPER_MODEL (local Whisper), not both",
    );
  }
  if (config.ASR_URL) {
    return createOpenAiRecognizer({
      url: config.ASR_URL,
      apiKey: config.ASR_API_KEY,
      model: config.ASR_MODEL,
    });
  }
  if (config.WHISPER_MODEL) {
    try {
      return createWhisperRecognizer({ model: config.WHISPER_MODEL, threads: config.WHISPER_THREADS });
    } catch (e) {
      throw e instanceof WhisperModelError ? new ConfigError(e.message, { cause: e }) : e;
    }
  }
  return createPocketsphinxRecognizer({ modelDir: config.POCKETSPHINX_MODEL_DIR });
}

/**
 * createRecognizer, with a model that must load (WHISPER_MODEL) loaded: the server awaits this
 * before it listens, so a file whisper.cpp rejects stops the start with a ConfigError.
 */
export async function openRecognizer(config: Config): Promise<Recognizer> {
  const recognizer = createRecognizer(config);
  if ("load" in recognizer && typeof recognizer.load === "function") {
    try {
      await (recognizer.load as () => Promise<void>)();
    } catch (e) {
      await recognizer.close();
      throw e instanceof WhisperModelError ? new ConfigError(e.message, { cause: e }) : e;
    }
  }
  return recognizer;
}
