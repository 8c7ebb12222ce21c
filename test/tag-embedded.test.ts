import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmbeddedTagger } from "../src/engines/tag/embedded.ts";
import { SCRIPTED_CALLS, script, TWO_TOPIC_CALL } from "./fixtures/scripted-calls.ts";

const tagger = createEmbeddedTagger();
const byName = (name: string) => SCRIPTED_CALLS.find((c) => c.name === name)!.transcript;

test("tags for scripted calls: reason, outcome and sentiment", async () => {
  const cases: [string, { call_reason: string[]; call_outcome: string[]; customer_sentiment: string[] }][] = [
    [
      "billing double charge",
      {
        call_reason: ["billing_issue"],
        call_outcome: ["refund_issued", "resolved"],
        customer_sentiment: ["positive"],
      },
    ],
    [
      "cancellation",
      {
        call_reason: ["cancellation"],
        call_outcome: ["cancelled", "resolved"],
        customer_sentiment: ["neutral"],
      },
    ],
    [
      "delivery delay",
      {
        call_reason: ["orders_delivery"],
        call_outcome: ["follow_up_required"],
        customer_sentiment: ["neutral"],
      },
    ],
    [
      "complaint about rude staff",
      {
        call_reason: ["complaint"],
        call_outcome: ["escalated", "follow_up_required"],
        customer_sentiment: ["negative", "frustrated"],
      },
    ],
    [
      "broadband repeat fault",
      {
        call_reason: ["technical_problem"],
        call_outcome: ["follow_up_required"],
        customer_sentiment: ["negative", "frustrated"],
      },
    ],
    [
      "password reset",
      { call_reason: ["account_access"], call_outcome: ["resolved"], customer_sentiment: ["positive"] },
    ],
  ];
  for (const [name, expected] of cases)
    assert.deepEqual(await tagger.tag({ transcript: byName(name) }), expected, name);
});

test("every scripted call's reason starts with its scripted topic", async () => {
  const ids: Record<string, string> = {
    "Billing Issue": "billing_issue",
    "Payments/Refunds": "payments_refunds",
    "Account Access": "account_access",
    "Technical Problem": "technical_problem",
    Cancellation: "cancellation",
    "Orders/Delivery": "orders_delivery",
    Complaint: "complaint",
    "Sales/Upgrade": "sales_upgrade",
    "General Enquiry": "general_enquiry",
  };
  for (const call of SCRIPTED_CALLS) {
    const tags = await tagger.tag({ transcript: call.transcript });
    assert.equal(tags.call_reason[0], ids[call.topic], call.name);
  }
});

test("two-topic call carries both reasons", async () => {
  const tags = await tagger.tag({ transcript: TWO_TOPIC_CALL });
  assert.deepEqual(tags.call_reason, ["billing_issue", "general_enquiry"]);
  assert.ok(tags.call_outcome.includes("refund_issued"));
});

test("sentiment handles negation and only listens to the customer", async () => {
  const sentiment = async (...lines: string[]) =>
    (await tagger.tag({ transcript: script(...lines) })).customer_sentiment;
  assert.deepEqual(await sentiment("A: hello", "U: i'm not happy with this at all"), ["negative"]);
  assert.deepEqual(await sentiment("A: hello", "U: i'm happy with this"), ["positive"]);
  assert.deepEqual(await sentiment("A: hello", "U: it's not bad i suppose"), ["neutral"]);
  assert.deepEqual(await sentiment("A: hello", "U: no that's perfect thanks"), ["positive"]);
  assert.deepEqual(await sentiment("A: this is terrible and awful", "U: okay"), ["neutral"]);
  assert.deepEqual(await sentiment("A: hello", "U: this is ridiculous i'm fed up"), [
    "negative",
    "frustrated",
  ]);
  assert.deepEqual(await sentiment("A: good morning", "U: good morning"), ["neutral"]);
});

test("outcome: negated actions do not count", async () => {
  const tags = await tagger.tag({
    transcript: script(
      "U: i was overcharged on my bill and i want a refund",
      "A: i'm afraid i can't refund that charge it's outside the period",
      "U: that's not good enough this is a waste of time",
    ),
  });
  assert.deepEqual(tags.call_reason, ["billing_issue"]);
  assert.ok(!tags.call_outcome.includes("refund_issued"), JSON.stringify(tags));
  assert.deepEqual(tags.call_outcome, ["unresolved"]);
  assert.deepEqual(tags.customer_sentiment, ["negative", "frustrated"]);
});

test("empty input and plain text", async () => {
  assert.deepEqual(await tagger.tag({ transcript: [] }), {
    call_reason: ["general_enquiry"],
    call_outcome: [],
    customer_sentiment: ["neutral"],
  });
  const tags = await tagger.tag({ text: "my app keeps crashing. i reinstalled it and that worked, thanks" });
  assert.deepEqual(tags.call_reason, ["technical_problem"]);
  assert.deepEqual(tags.call_outcome, ["resolved"]);
});

test("deterministic", async () => {
  for (const call of SCRIPTED_CALLS) {
    assert.deepEqual(
      await tagger.tag({ transcript: call.transcript }),
      await tagger.tag({ transcript: call.transcript }),
    );
  }
});
