/** The summarizer boundary: a finished transcript (or plain text) in, one summary per topic out. */
import type { TranscriptItem } from "../../core/payloads.ts";

export type SummarySource = { transcript: TranscriptItem[] } | { text: string };

export interface TopicSummary {
  /** a taxonomy label, e.g. "Billing Issue" */
  topic: string;
  summary: string;
}

export interface Summarizer {
  readonly name: string;
  /** Never empty: content that matches no topic yields one "General Enquiry" summary. */
  summarize(src: SummarySource): Promise<TopicSummary[]>;
}
