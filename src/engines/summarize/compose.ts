/** Summary wording, templated from extracted slots. Pure. */
import type { OutcomeCode, Slots } from "./slots.ts";
import type { Topic } from "./taxonomy.ts";

const TOPIC_PHRASE: Record<string, string> = {
  billing_issue: "a billing issue",
  payments_refunds: "a payment or refund",
  account_access: "access to their account",
  technical_problem: "a technical problem",
  cancellation: "cancelling their service",
  orders_delivery: "an order or delivery",
  complaint: "a complaint",
  sales_upgrade: "a plan or upgrade",
  general_enquiry: "a general enquiry",
};

export function topicPhrase(topic: Topic): string {
  return TOPIC_PHRASE[topic.id] ?? `"${topic.label}"`;
}

export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

const OUTCOME_TEXT: Record<OutcomeCode, string> = {
  cancelled: "service cancelled",
  refund_issued: "refund issued",
  escalated: "escalated",
  follow_up_required: "pending follow-up",
  resolved: "resolved",
  unresolved: "unresolved",
};

export function outcomeText(slots: Slots, topic: Topic): string {
  // A refund or cancellation already says the request was settled; "resolved" would repeat it.
  const settled = slots.outcomes.includes("refund_issued") || slots.outcomes.includes("cancelled");
  const shown = settled ? slots.outcomes.filter((o) => o !== "resolved") : slots.outcomes;
  const parts = shown.map((o) =>
    o === "cancelled" && topic.id === "orders_delivery" ? "order cancelled" : OUTCOME_TEXT[o],
  );
  const unhappy = slots.sentiment.polarity === "negative" || slots.sentiment.frustrated;
  if (unhappy && !slots.outcomes.includes("resolved")) parts.push("customer unhappy");
  return parts.length ? parts.join(", ") : "not confirmed on the call";
}

export function composeSummary(topic: Topic, slots: Slots): string {
  const who = slots.anonymous ? "The caller" : "The customer";
  const sentences: string[] = [];
  const issue = joinList(slots.issues);
  const request = joinList(slots.requests);
  if (issue && request) sentences.push(`${who} reported ${issue} and ${request}.`);
  else if (issue) sentences.push(`${who} reported ${issue}.`);
  else if (request) sentences.push(`${who} ${request}.`);
  else sentences.push(`${who} called about ${topicPhrase(topic)}; no specific request was identified.`);

  if (slots.actions.length) sentences.push(`The agent ${joinList(slots.actions.map((a) => a.text))}.`);
  else if (!slots.anonymous) sentences.push("No specific agent action was identified.");
  sentences.push(`Outcome: ${outcomeText(slots, topic)}.`);
  return sentences.join(" ");
}
