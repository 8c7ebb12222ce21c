/** Tagger backed by an OpenAI-compatible chat model; values are constrained to fixed vocabularies. */
import { z } from "zod";
import type { ChatClient, JsonSchemaSpec } from "../llm/chat-client.ts";
import { renderSource, TRANSCRIPT_NOTE } from "../llm/render.ts";
import { zodParse } from "../llm/validate.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "../summarize/taxonomy.ts";
import type { SummarySource } from "../summarize/types.ts";
import type { Tagger, Tags } from "./types.ts";

export const OUTCOME_TAGS = [
  "resolved",
  "refund_issued",
  "escalated",
  "follow_up_required",
  "cancelled",
  "unresolved",
] as const;
export const SENTIMENT_TAGS = ["positive", "neutral", "negative", "frustrated"] as const;

export interface LlmTaggerOptions {
  client: ChatClient;
  taxonomy?: Taxonomy;
}

export function tagsSchema(topicIds: readonly string[]): JsonSchemaSpec<Tags> {
  const list = (values: readonly string[]) =>
    z.array(
      z.string().refine((v) => values.includes(v), { message: `must be one of: ${values.join(", ")}` }),
    );
  const parser = z.object({
    tags: z.object({
      call_reason: list(topicIds).min(1, "call_reason needs at least one topic"),
      call_outcome: list(OUTCOME_TAGS),
      customer_sentiment: list(SENTIMENT_TAGS).min(1, "customer_sentiment needs a value"),
    }),
  });
  const arrayOf = (values: readonly string[], minItems: number) => ({
    type: "array",
    minItems,
    items: { type: "string", enum: [...values] },
  });
  return {
    name: "call_tags",
    jsonSchema: {
      type: "object",
      additionalProperties: false,
      required: ["tags"],
      properties: {
        tags: {
          type: "object",
          additionalProperties: false,
          required: ["call_reason", "call_outcome", "customer_sentiment"],
          properties: {
            call_reason: arrayOf(topicIds, 1),
            call_outcome: arrayOf(OUTCOME_TAGS, 0),
            customer_sentiment: arrayOf(SENTIMENT_TAGS, 1),
          },
        },
      },
    },
    parse: (x) => {
      const t = zodParse(parser)(x).tags;
      return {
        call_reason: [...new Set(t.call_reason)],
        call_outcome: [...new Set(t.call_outcome)],
        customer_sentiment: [...new Set(t.customer_sentiment)],
      };
    },
  };
}

function systemPrompt(tax: Taxonomy): string {
  const topics = tax.topics.map((t) => `${t.id} (${t.label})`).join("; ");
  return [
    "You tag contact-centre calls.",
    `call_reason: the topics the customer called about, main one first, from: ${topics}.`,
    `call_outcome: every outcome that applies, from: ${OUTCOME_TAGS.join(", ")};`,
    "only outcomes a speaker states (an offer the customer declined is not an action taken).",
    "customer_sentiment: one of positive, neutral, negative for how the customer felt overall,",
    'plus "frustrated" if they were clearly frustrated.',
    TRANSCRIPT_NOTE,
    'Reply with JSON only: {"tags":{"call_reason":[…],"call_outcome":[…],"customer_sentiment":[…]}}.',
  ].join(" ");
}

export function createLlmTagger(opts: LlmTaggerOptions): Tagger {
  const tax = opts.taxonomy ?? defaultTaxonomy();
  const schema = tagsSchema(tax.topics.map((t) => t.id));
  const system = systemPrompt(tax);
  return {
    name: "llm",
    async tag(src: SummarySource): Promise<Tags> {
      const text = renderSource(src);
      if (text === "") {
        return { call_reason: [generalTopic(tax).id], call_outcome: [], customer_sentiment: ["neutral"] };
      }
      return opts.client.completeJson(
        [
          { role: "system", content: system },
          { role: "user", content: `Call transcript:\n${text}` },
        ],
        schema,
      );
    },
  };
}
