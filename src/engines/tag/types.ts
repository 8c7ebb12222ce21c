/** The tagger boundary: a transcript (or plain text) in, call-level tags out. */
import type { SummarySource } from "../summarize/types.ts";

export interface Tags {
  /** taxonomy topic ids, most prominent first, e.g. ["billing_issue"] */
  call_reason: string[];
  /** e.g. "resolved", "refund_issued", "escalated", "follow_up_required", "cancelled", "unresolved" */
  call_outcome: string[];
  /** "positive" | "neutral" | "negative", optionally followed by "frustrated" */
  customer_sentiment: string[];
}

export interface Tagger {
  readonly name: string;
  tag(src: SummarySource): Promise<Tags>;
}
