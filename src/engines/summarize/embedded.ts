/**
 * Deterministic, offline summarizer: segments the call by topic, then writes one templated summary
 * per topic from what the customer asked, what the agent did and how it ended.
 */
import { composeSummary } from "./compose.ts";
import { segmentCall, type TopicGroup } from "./segment.ts";
import { extractSlots } from "./slots.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "./taxonomy.ts";
import { toTurns } from "./text.ts";
import type { Summarizer, SummarySource, TopicSummary } from "./types.ts";

export interface EmbeddedSummarizerOptions {
  taxonomy?: Taxonomy;
}

const EMPTY_SUMMARY = "The call contained no transcribed speech, so there was nothing to summarise.";
const UNMATCHED_SUMMARY =
  "The call did not match any known contact-centre topic, and no clear request, action or outcome could be identified.";

/** Topic groups for a source, most prominent first; exported for the tagger. */
export function analyseSource(src: SummarySource, tax: Taxonomy): TopicGroup[] {
  return segmentCall(toTurns(src), tax, generalTopic(tax));
}

export function summarizeSource(src: SummarySource, tax: Taxonomy): TopicSummary[] {
  const general = generalTopic(tax);
  const groups = analyseSource(src, tax);
  if (groups.length === 0) return [{ topic: general.label, summary: EMPTY_SUMMARY }];
  return groups.map((g) => {
    const slots = extractSlots(g.turns, g.topic.id);
    const empty = !g.matched && !slots.issues.length && !slots.requests.length && !slots.actions.length;
    return { topic: g.topic.label, summary: empty ? UNMATCHED_SUMMARY : composeSummary(g.topic, slots) };
  });
}

export function createEmbeddedSummarizer(opts: EmbeddedSummarizerOptions = {}): Summarizer {
  const tax = opts.taxonomy ?? defaultTaxonomy();
  return {
    name: "embedded",
    async summarize(src: SummarySource): Promise<TopicSummary[]> {
      return summarizeSource(src, tax);
    },
  };
}
