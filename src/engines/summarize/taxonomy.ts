/**
 * Contact-centre topic taxonomy as data. Weights: 3 = a phrase that alone names the topic, 2 = a
 * strong hint, 1 or less = a word other topics also use. Lexicons include common speech-recognizer
 * mishearings ("pass word", "why fi", "rooter", "re fund", "in voice"), since transcripts are ASR output.
 * Deployments extend it with JSON (env SUMMARY_TAXONOMY_JSON), see `loadTaxonomy`.
 */
import { z } from "zod";
import { compilePhrase, type Phrase } from "./text.ts";

export interface TopicDef {
  id: string;
  label: string;
  /** phrase → weight */
  keywords: Record<string, number>;
}

export interface CompiledTerm extends Phrase {
  text: string;
  weight: number;
}

export interface Topic {
  id: string;
  label: string;
  terms: CompiledTerm[];
}

export interface Taxonomy {
  topics: Topic[];
}

export const GENERAL_ENQUIRY_ID = "general_enquiry";

const kw = (weight: number, ...phrases: string[]) =>
  Object.fromEntries(phrases.map((p) => [p, weight])) as Record<string, number>;

export const DEFAULT_TOPICS: readonly TopicDef[] = [
  {
    id: "billing_issue",
    label: "Billing Issue",
    keywords: {
      ...kw(
        3,
        "charged twice",
        "double charge",
        "double charged",
        "charged two times",
        "billed twice",
        "duplicate charge",
        "overcharged",
        "over charged",
        "wrong amount",
        "bill is too high",
        "higher than usual",
        "extra charge",
        "my bill",
        "last bill",
      ),
      ...kw(2, "bill", "billing", "invoice", "in voice", "statement", "charge", "billed", "fee", "tariff"),
      ...kw(1, "amount", "balance", "price went up", "direct debit amount"),
      ...kw(0.5, "built", "pill"),
    },
  },
  {
    id: "payments_refunds",
    label: "Payments/Refunds",
    keywords: {
      ...kw(
        3,
        "refund",
        "money back",
        "re fund",
        "payment method",
        "card details",
        "update my card",
        "new card",
        "card expired",
        "card has expired",
        "payment failed",
        "payment declined",
        "reimburse",
        "chargeback",
        "direct debit",
      ),
      ...kw(
        2,
        "payment",
        "paid",
        "card",
        "bank details",
        "debit card",
        "credit card",
        "expiry date",
        "declined",
      ),
      ...kw(1, "pay", "money", "transaction", "bank", "instalment", "sort code"),
    },
  },
  {
    id: "account_access",
    label: "Account Access",
    keywords: {
      ...kw(
        3,
        "password",
        "pass word",
        "log in",
        "login",
        "logon",
        "log on",
        "sign in",
        "locked out",
        "account locked",
        "account is locked",
        "two factor",
        "verification code",
        "reset link",
        "username",
        "user name",
        "access my account",
        "get into my account",
        "security code",
        "one time code",
      ),
      ...kw(2, "locked", "unlock", "lock", "access", "online account", "pin", "authentication"),
      ...kw(1.5, "reset"),
      ...kw(1, "code", "website", "portal"),
      ...kw(0.5, "account"),
    },
  },
  {
    id: "technical_problem",
    label: "Technical Problem",
    keywords: {
      ...kw(
        3,
        "internet",
        "broadband",
        "wifi",
        "wi fi",
        "why fi",
        "router",
        "rooter",
        "modem",
        "outage",
        "no signal",
        "keeps crashing",
        "crash",
        "error message",
        "stopped working",
        "keeps dropping",
        "drops out",
        "no service",
        "line test",
        "buffering",
        "freezes",
        "frozen",
        "reinstall",
      ),
      ...kw(
        2,
        "not working",
        "isn't working",
        "connection",
        "app",
        "error",
        "bug",
        "signal",
        "slow",
        "reboot",
        "restart",
        "disconnect",
        "offline",
        "engineer",
        "technician",
        "fault",
        "dropping",
        "speed",
        "loading",
      ),
      ...kw(1, "update", "device", "phone line", "cable", "light", "lights"),
    },
  },
  {
    id: "cancellation",
    label: "Cancellation",
    keywords: {
      ...kw(
        3,
        "cancel",
        "cancellation",
        "close my account",
        "terminate",
        "termination",
        "end my contract",
        "switch provider",
        "switching provider",
        "notice period",
        "cancel my subscription",
        "cancel my contract",
        "cancel my membership",
        "stop my subscription",
      ),
      ...kw(2, "leave", "leaving", "switching to", "end my", "close the account"),
      ...kw(1.5, "contract", "subscription"),
      ...kw(1, "membership", "council", "cancer"),
    },
  },
  {
    id: "orders_delivery",
    label: "Orders/Delivery",
    keywords: {
      ...kw(
        3,
        "delivery",
        "parcel",
        "courier",
        "tracking",
        "tracking number",
        "dispatched",
        "shipped",
        "shipping",
        "wrong item",
        "wrong size",
        "wrong colour",
        "wrong color",
        "damaged",
        "return label",
        "out for delivery",
        "out of stock",
        "hasn't arrived",
        "has not arrived",
        "not arrived",
        "never arrived",
      ),
      ...kw(2.5, "order", "deliver", "delivered", "arrive", "arrived", "replacement", "exchange", "package"),
      ...kw(2, "item", "driver", "depot", "in stock", "sent me"),
      ...kw(1.5, "return"),
      ...kw(1, "box", "career", "post", "order number", "received"),
    },
  },
  {
    id: "complaint",
    label: "Complaint",
    keywords: {
      ...kw(
        3,
        "complaint",
        "complain",
        "rude",
        "unprofessional",
        "hung up on me",
        "attitude",
        "shouted",
        "disrespectful",
        "poor service",
        "terrible service",
        "worst service",
        "member of staff",
        "nobody called back",
        "no one called back",
      ),
      ...kw(2, "staff", "treated", "ignored", "hung up", "customer service", "store manager"),
      ...kw(1.5, "manager", "supervisor"),
      ...kw(1, "unacceptable", "disgusting", "appalling"),
    },
  },
  {
    id: "sales_upgrade",
    label: "Sales/Upgrade",
    keywords: {
      ...kw(
        3,
        "upgrade",
        "up grade",
        "new plan",
        "better deal",
        "more data",
        "faster speed",
        "faster package",
        "new phone",
        "handset",
        "add a line",
        "bundle",
        "premium",
        "price plan",
        "switch plan",
        "change my plan",
        "bigger plan",
      ),
      ...kw(2, "plan", "deal", "package deal", "buy", "purchase", "promotion", "add on", "unlimited"),
      ...kw(1.5, "offer", "discount"),
      ...kw(1, "tariff", "package", "data", "price"),
    },
  },
  {
    id: GENERAL_ENQUIRY_ID,
    label: "General Enquiry",
    keywords: {
      ...kw(
        3,
        "opening hours",
        "open on",
        "what time",
        "are you open",
        "do you open",
        "closing time",
        "change my address",
        "change of address",
        "new address",
        "moved house",
        "moving house",
        "update my address",
        "update my details",
        "contact details",
        "quick question",
        "enquiry",
        "inquiry",
      ),
      ...kw(
        2,
        "hours",
        "question",
        "address",
        "store",
        "branch",
        "shop",
        "bank holiday",
        "where is",
        "how do i",
        "information",
      ),
      ...kw(1.5, "open", "close"),
      ...kw(1, "details", "weekend", "saturday", "sunday", "location", "phone number"),
    },
  },
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
    keywords: keywordsSchema,
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
  return { id: def.id, label: def.label, terms: [...byStems.values()].filter((t) => t.weight > 0) };
}

/**
 * The default taxonomy, extended by `extraJson`: `{"topics":[{"id"?,"label","keywords":{phrase:weight}
 * | [phrase…]}]}` (or the bare array). A topic whose id or label matches an existing one adds to (or
 * re-weights) its keywords; any other becomes a new topic. Throws naming the offending entry.
 */
export function loadTaxonomy(extraJson?: string): Taxonomy {
  const defs: TopicDef[] = DEFAULT_TOPICS.map((t) => ({ ...t, keywords: { ...t.keywords } }));
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
      const keywords = t.keywords;
      const existing = defs.find((d) => d.id === id || d.label.toLowerCase() === t.label.toLowerCase());
      if (existing) Object.assign(existing.keywords, keywords);
      else defs.push({ id, label: t.label, keywords: { ...keywords } });
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
    }
  );
}
