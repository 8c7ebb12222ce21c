/** Summarizer backed by an OpenAI-compatible chat model, constrained to the taxonomy's labels. */
import { z } from "zod";
import type { ChatClient, JsonSchemaSpec } from "../llm/chat-client.ts";
import { renderSource, TRANSCRIPT_NOTE } from "../llm/render.ts";
import { zodParse } from "../llm/validate.ts";
import { defaultTaxonomy, generalTopic, type Taxonomy } from "./taxonomy.ts";
import type { Summarizer, SummarySource, TopicSummary } from "./types.ts";

export interface LlmSummarizerOptions {
  client: ChatClient;
  taxonomy?: Taxonomy;
}

export function summarySchema(labels: readonly string[]): JsonSchemaSpec<TopicSummary[]> {
  const byLower = new Map(labels.map((l) => [l.toLowerCase(), l]));
  const parser = z.object({
    summaries: z
      .array(
        z.object({
          topic: z
            .string()
            .transform((t) => byLower.get(t.trim().toLowerCase()) ?? t)
            .refine((t) => labels.includes(t), { message: `topic must be one of: ${labels.join(", ")}` }),
          summary: z.string().trim().min(1, "summary must not be empty"),
        }),
      )
      .min(1, "at least one summary is required"),
  });
  return {
    name: "topic_summaries",
    jsonSchema: {
      type: "object",
      additionalProperties: false,
      required: ["summaries"],
      properties: {
        summaries: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["topic", "summary"],
            properties: {
              topic: { type: "string", enum: [...labels] },
              summary: { type: "string" },
            },
          },
        },
      },
    },
    parse: (x) => zodParse(parser)(x).summaries,
  };
}

function systemPrompt(labels: readonly string[], general: string): string {
  return [
    "You summarise contact-centre calls.",
    `Label the call with exactly one of these topics: ${labels.join("; ")}.`,
    `Use "${general}" when nothing else fits.`,
    "Give one summary per call; add a second one only when the customer clearly changes subject",
    '(for example "while I\'m on, I also need to change my address"), never for two aspects of the same request.',
    "For each topic write two or three plain sentences in the third person: what the customer reported or asked for,",
    "what the agent did, and end with",
    '"Outcome: …" (for example resolved, refund issued, pending follow-up, escalated, customer unhappy).',
    "Only state what an utterance in the call says: every request, action and outcome must be one that a",
    "speaker actually stated, in their words or a close paraphrase; do not infer or invent anything else.",
    'An offer is not an action: if the agent offers something ("would you like me to book an engineer?") and',
    "the customer declines, do not say it was done; at most say it was offered and declined.",
    "A promise of later work is pending, not done. Never give one call contradictory outcomes",
    '(for example "not confirmed" and "refund issued"). Put the main reason for the call first.',
    TRANSCRIPT_NOTE,
    'Reply with JSON only: {"summaries":[{"topic":"<label>","summary":"<text>"}]}.',
  ].join(" ");
}

export function createLlmSummarizer(opts: LlmSummarizerOptions): Summarizer {
  const tax = opts.taxonomy ?? defaultTaxonomy();
  const labels = tax.topics.map((t) => t.label);
  const general = generalTopic(tax).label;
  const schema = summarySchema(labels);
  const system = systemPrompt(labels, general);
  return {
    name: "llm",
    async summarize(src: SummarySource): Promise<TopicSummary[]> {
      const text = renderSource(src);
      if (text === "") {
        return [
          {
            topic: general,
            summary: "The call contained no transcribed speech, so there was nothing to summarise.",
          },
        ];
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
