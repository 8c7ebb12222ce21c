/**
 * Contact-centre topic taxonomy: ids and labels. Topics are recognised by a classifier trained on
 * labelled utterances (classifier.ts, corpus/summarize/topics.jsonl). Deployments add topics, or
 * training material to existing ones, with JSON (env SUMMARY_TAXONOMY_JSON), see `loadTaxonomy`:
 * `examples` are whole utterances; `keywords` are short examples, repeated by their weight (0–10).
 */
import { z } from "zod";
import { compilePhrase, type Phrase } from "./text.ts";

export interface TopicDef {
  id: string;
  label: string;
  /** phrase → weight */
  keywords: Record<string, number>;
  /** example utterances of the topic */
  examples?: string[];
}

export interface CompiledTerm extends Phrase {
  text: string;
  weight: number;
}

export interface Topic {
  id: string;
  label: string;
  terms: CompiledTerm[];
  examples: string[];
}

export interface Taxonomy {
  topics: Topic[];
}

export const GENERAL_ENQUIRY_ID = "general_enquiry";

/**
 * The default topics. Their training examples are labelled utterances in corpus/summarize/topics.jsonl;
 * keywords and examples given here (or through SUMMARY_TAXONOMY_JSON) are added to them.
 */
export const DEFAULT_TOPICS: readonly TopicDef[] = [
  { id: "billing_issue", label: "Billing Issue", keywords: {} },
  { id: "payments_refunds", label: "Payments/Refunds", keywords: {} },
  { id: "account_access", label: "Account Access", keywords: {} },
  { id: "technical_problem", label: "Technical Problem", keywords: {} },
  { id: "cancellation", label: "Cancellation", keywords: {} },
  { id: "orders_delivery", label: "Orders/Delivery", keywords: {} },
  { id: "complaint", label: "Complaint", keywords: {} },
  { id: "sales_upgrade", label: "Sales/Upgrade", keywords: {} },
  { id: GENERAL_ENQUIRY_ID, label: "General Enquiry", keywords: {} },
];

const weightSchema = z.number().finite().min(0).max(10);
const phraseSchema = z.string().trim().min(1, "keyword must not be empty");
// A plain list of phrases means weight 2 each (a strong hint, not a topic-defining phrase).
const keywordsSchema = z.preprocess(
  (v) =>
    Array.isArray(v) && v.every((p) => typeof p === "string") ? Object.fromEntries(v.map((p) => [p, 2])) : v,
  z.record(phraseSchema, weightSchema, {
    error: "keywords must be an object of phrase → weight (0–10) or a list of phrases",
  }),
);
const topicSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9_]+$/, "id must be lowercase letters, digits and _")
      .optional(),
    label: z.string({ error: "label must be a string" }).trim().min(1, "label must not be empty"),
    keywords: keywordsSchema.optional(),
    examples: z.array(phraseSchema).optional(),
  })
  .strict();
const extraSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { topics: v } : v),
  z.object({ topics: z.array(topicSchema) }).strict(),
);

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

function describe(path: readonly PropertyKey[], input: unknown): string {
  const topics = Array.isArray(input) ? input : (input as { topics?: unknown[] } | null)?.topics;
  const at = path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
  const topicIndex = path.find((p) => typeof p === "number");
  const topic = typeof topicIndex === "number" && Array.isArray(topics) ? topics[topicIndex] : undefined;
  const label = (topic as { label?: unknown } | undefined)?.label;
  return typeof label === "string" ? `${at || "(root)"} (topic "${label}")` : at || "(root)";
}

function compile(def: TopicDef): Topic {
  // Phrases that stem alike ("return", "returned") are one term; the later weight wins, so config
  // can re-weight a default keyword in any inflection.
  const byStems = new Map<string, CompiledTerm>();
  for (const [text, weight] of Object.entries(def.keywords)) {
    const term = { ...compilePhrase(text), text, weight };
    if (term.stems.length) byStems.set(term.stems.join(" "), term);
  }
  return {
    id: def.id,
    label: def.label,
    terms: [...byStems.values()].filter((t) => t.weight > 0),
    examples: [...(def.examples ?? [])],
  };
}

/**
 * The default taxonomy, extended by `extraJson`: `{"topics":[{"id"?,"label","keywords"?:{phrase:weight}
 * | [phrase…],"examples"?:[utterance…]}]}` (or the bare array). A topic whose id or label matches an
 * existing one adds to (or re-weights) its keywords and examples; any other becomes a new topic. Both
 * are training material for the topic classifier. Throws naming the offending entry.
 */
export function loadTaxonomy(extraJson?: string): Taxonomy {
  const defs: TopicDef[] = DEFAULT_TOPICS.map((t) => ({
    ...t,
    keywords: { ...t.keywords },
    examples: [...(t.examples ?? [])],
  }));
  if (extraJson !== undefined && extraJson.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extraJson);
    } catch (e) {
      throw new Error(`summary taxonomy JSON is not valid JSON: ${(e as Error).message}`);
    }
    const result = extraSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(
        `summary taxonomy JSON: bad entry at ${describe(issue.path, parsed)}: ${issue.message}`,
      );
    }
    for (const t of result.data.topics) {
      const id = t.id ?? slug(t.label);
      if (!id) throw new Error(`summary taxonomy JSON: topic "${t.label}" has no usable id`);
      const keywords = t.keywords ?? {};
      const examples = t.examples ?? [];
      if (!Object.keys(keywords).length && !examples.length) {
        throw new Error(`summary taxonomy JSON: topic "${t.label}" needs keywords or examples`);
      }
      const existing = defs.find((d) => d.id === id || d.label.toLowerCase() === t.label.toLowerCase());
      if (existing) {
        Object.assign(existing.keywords, keywords);
        existing.examples = [...(existing.examples ?? []), ...examples];
      } else defs.push({ id, label: t.label, keywords: { ...keywords }, examples: [...examples] });
    }
  }
  return { topics: defs.map(compile) };
}

let cachedDefault: Taxonomy | undefined;
export function defaultTaxonomy(): Taxonomy {
  cachedDefault ??= loadTaxonomy();
  return cachedDefault;
}

export function generalTopic(tax: Taxonomy): Topic {
  return (
    tax.topics.find((t) => t.id === GENERAL_ENQUIRY_ID) ?? {
      id: GENERAL_ENQUIRY_ID,
      label: "General Enquiry",
      terms: [],
      examples: [],
    }
  );
}
