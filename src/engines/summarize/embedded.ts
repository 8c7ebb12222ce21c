/**
 * Deterministic, offline summarizer: one summary per topic of the call (one topic unless the customer
 * clearly changes subject), each sentence reporting the utterances it rests on (grounded.ts).
 */
import { analyseSource, type CallAnalysis } from "./grounded.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "./taxonomy.ts";
import type { Summarizer, SummarySource, TopicSummary } from "./types.ts";

export interface EmbeddedSummarizerOptions {
  taxonomy?: Taxonomy;
}

const EMPTY_SUMMARY = "The call contained no transcribed speech, so there was nothing to summarise.";
const UNMATCHED_SUMMARY =
  "The call did not match any known contact-centre topic, and no clear request, action or outcome could be identified.";

export function summariesOf(analysis: CallAnalysis, tax: Taxonomy): TopicSummary[] {
  if (analysis.sections.length === 0) return [{ topic: generalTopic(tax).label, summary: EMPTY_SUMMARY }];
  return analysis.sections.map((s) => {
    const said = s.statements.some((st) => st.kind !== "outcome");
    const summary = !s.matched && !said ? UNMATCHED_SUMMARY : s.statements.map((st) => st.text).join(" ");
    return { topic: s.topic.label, summary };
  });
}

export function summarizeSource(src: SummarySource, tax: Taxonomy): TopicSummary[] {
  return summariesOf(analyseSource(src, tax), tax);
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
