/**
 * Deterministic, offline tagger built on the embedded summarizer's analysis: the call's topics,
 * its outcome codes and the customer's sentiment (lexicon with negation handling).
 */
import { segmentCall } from "../summarize/segment.ts";
import { extractSlots, sentimentOf } from "../summarize/slots.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "../summarize/taxonomy.ts";
import { toTurns } from "../summarize/text.ts";
import type { SummarySource } from "../summarize/types.ts";
import type { Tagger, Tags } from "./types.ts";

export interface EmbeddedTaggerOptions {
  taxonomy?: Taxonomy;
}

export function tagSource(src: SummarySource, tax: Taxonomy): Tags {
  const general = generalTopic(tax);
  const turns = toTurns(src);
  const groups = segmentCall(turns, tax, general);
  const primary = groups[0]?.topic ?? general;
  const slots = extractSlots(turns, primary.id);
  const customer = turns.filter((t) => t.role === "customer");
  const mood = sentimentOf(customer.length ? customer : turns);
  return {
    call_reason: groups.length ? groups.map((g) => g.topic.id) : [general.id],
    call_outcome: slots.outcomes,
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
