/**
 * Deterministic, offline tagger on the embedded summarizer's analysis: the topics the classifier
 * gives the call, the outcome its classified clauses support, and the customer's sentiment.
 */
import { analyseSource } from "../summarize/grounded.ts";
import { sentimentOf } from "../summarize/sentiment.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "../summarize/taxonomy.ts";
import type { SummarySource } from "../summarize/types.ts";
import type { Tagger, Tags } from "./types.ts";

export interface EmbeddedTaggerOptions {
  taxonomy?: Taxonomy;
}

export function tagSource(src: SummarySource, tax: Taxonomy): Tags {
  const general = generalTopic(tax);
  const a = analyseSource(src, tax);
  const customer = a.turns.filter((t) => t.role === "customer");
  const mood = sentimentOf(customer.length ? customer : a.turns);
  return {
    call_reason: a.sections.length ? a.sections.map((s) => s.topic.id) : [general.id],
    call_outcome: [...a.outcomes],
    customer_sentiment: mood.frustrated ? [mood.polarity, "frustrated"] : [mood.polarity],
  };
}

export function createEmbeddedTagger(opts: EmbeddedTaggerOptions = {}): Tagger {
  const tax = opts.taxonomy ?? defaultTaxonomy();
  return {
    name: "embedded",
    async tag(src: SummarySource): Promise<Tags> {
      return tagSource(src, tax);
    },
  };
}
