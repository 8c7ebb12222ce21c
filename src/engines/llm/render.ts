/** Renders a summary source as prompt text: one "Speaker: words" line per transcript item. */
import type { SummarySource } from "../summarize/types.ts";

/** Long calls keep their opening (the reason) and their end (the outcome). */
export function renderSource(src: SummarySource, maxChars = 24_000): string {
  let text: string;
  if ("transcript" in src && Array.isArray(src.transcript)) {
    text = [...src.transcript]
      .sort((a, b) => a.time_start - b.time_start)
      .filter((it) => typeof it.text === "string" && it.text.trim() !== "")
      .map((it) => `${it.speaker_alias || `Speaker ${it.speaker_id}`}: ${it.text.trim()}`)
      .join("\n");
  } else {
    text = "text" in src && typeof src.text === "string" ? src.text.trim() : "";
  }
  if (text.length <= maxChars) return text;
  const half = Math.floor(maxChars / 2);
  return `${text.slice(0, half)}\n[… middle of the call omitted …]\n${text.slice(-half)}`;
}

export const TRANSCRIPT_NOTE =
  "The transcript comes from a speech recognizer: it may be lowercase and unpunctuated or formatted " +
  '(digits, sentence case), and may contain misrecognised words. In two-speaker calls "Agent" is the contact-centre agent and "User" is the customer.';
