import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmbeddedSummarizer } from "../src/engines/summarize/embedded.ts";
import { loadTaxonomy } from "../src/engines/summarize/taxonomy.ts";
import { asPlainText, SCRIPTED_CALLS, script, TWO_TOPIC_CALL } from "./fixtures/scripted-calls.ts";

const summarizer = createEmbeddedSummarizer();

test("main topic matches the scripted topic for most calls", async () => {
  const confusion: string[] = [];
  let correct = 0;
  for (const call of SCRIPTED_CALLS) {
    const [main] = await summarizer.summarize({ transcript: call.transcript });
    assert.ok(main, `${call.name}: no summary`);
    if (main.topic === call.topic) correct++;
    else confusion.push(`${call.name}: expected ${call.topic}, got ${main.topic}`);
  }
  console.log(`topic accuracy ${correct}/${SCRIPTED_CALLS.length}`);
  for (const line of confusion) console.log(`  confused: ${line}`);
  assert.ok(SCRIPTED_CALLS.length >= 14);
  assert.ok(correct >= 10, `only ${correct}/${SCRIPTED_CALLS.length} topics right:\n${confusion.join("\n")}`);
});

for (const call of SCRIPTED_CALLS) {
  test(`summary of "${call.name}" states the request, the agent's actions and the outcome`, async () => {
    const [main] = await summarizer.summarize({ transcript: call.transcript });
    const text = main!.summary.toLowerCase();
    for (const word of call.request)
      assert.ok(text.includes(word), `request "${word}" missing: ${main!.summary}`);
    assert.match(main!.summary, /Outcome: [^.]+\.$/);
    const outcome = /Outcome: (.*)$/.exec(main!.summary)![1]!;
    for (const word of call.outcome)
      assert.ok(outcome.includes(word), `outcome "${word}" missing: ${main!.summary}`);
    assert.match(main!.summary, /^The customer /);
    assert.match(main!.summary, / The agent /, "every scripted call has an identifiable agent action");
    // Reported, not pasted: no utterance is copied verbatim.
    for (const item of call.transcript) {
      if (item.text.split(" ").length >= 6) assert.ok(!text.includes(item.text), `copied: ${item.text}`);
    }
  });
}

test("the billing example reports what was said, in the third person", async () => {
  const out = await summarizer.summarize({ transcript: SCRIPTED_CALLS[0]!.transcript });
  assert.deepEqual(out, [
    {
      topic: "Billing Issue",
      summary:
        "The customer said they were charged twice on their last in voice for the same month and they'd like a refund. " +
        "The agent processed a refund for the duplicate. " +
        "The agent said it should be back in the customer's account in three to five working days. Outcome: refund issued.",
    },
  ]);
});

test("same input twice gives identical output", async () => {
  for (const call of SCRIPTED_CALLS) {
    const a = await summarizer.summarize({ transcript: call.transcript });
    const b = await createEmbeddedSummarizer().summarize({ transcript: structuredClone(call.transcript) });
    assert.deepEqual(a, b, call.name);
  }
});

test("transcript order comes from timestamps, not array order", async () => {
  const call = SCRIPTED_CALLS[0]!;
  const shuffled = [...call.transcript].reverse();
  assert.deepEqual(
    await summarizer.summarize({ transcript: shuffled }),
    await summarizer.summarize({ transcript: call.transcript }),
  );
});

test("plain text source is summarised (unknown speaker)", async () => {
  const billing = SCRIPTED_CALLS.find((c) => c.name === "billing double charge")!;
  const [main] = await summarizer.summarize({ text: asPlainText(billing.transcript) });
  assert.equal(main!.topic, "Billing Issue");
  assert.match(main!.summary, /^The caller said they were charged twice/);
  assert.match(main!.summary, /processed a refund/);

  const unpunctuated = await summarizer.summarize({
    text: "hi my internet has been down since last night and the rooter lights are off the agent said there is an outage in the area and an engineer will visit tomorrow",
  });
  assert.equal(unpunctuated[0]!.topic, "Technical Problem");
  assert.match(unpunctuated[0]!.summary, /internet has been down since last night/);
});

test("speaker-labelled plain text keeps the roles", async () => {
  const [main] = await summarizer.summarize({
    text: "Agent: hello how can i help\nCustomer: i want to cancel my subscription it's too expensive\nAgent: okay i've cancelled your subscription\nCustomer: thanks",
  });
  assert.equal(main!.topic, "Cancellation");
  assert.equal(
    main!.summary,
    "The customer said they want to cancel their subscription, it's too expensive. The agent cancelled the customer's subscription. Outcome: service cancelled.",
  );
});

test("empty input gives one honest General Enquiry summary", async () => {
  for (const src of [{ transcript: [] }, { text: "" }, { text: "   " }, { transcript: script("U:   ") }]) {
    const out = await summarizer.summarize(src);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.topic, "General Enquiry");
    assert.match(out[0]!.summary, /no transcribed speech/);
  }
});

test("content matching no topic is General Enquiry and says so", async () => {
  const out = await summarizer.summarize({
    transcript: script("A: hello", "U: hello is that you", "A: yes it is", "U: okay bye"),
  });
  assert.equal(out.length, 1);
  assert.equal(out[0]!.topic, "General Enquiry");
  assert.match(out[0]!.summary, /did not match any known contact-centre topic/);
});

test("a call with two topics gets one summary per topic, main reason first", async () => {
  const out = await summarizer.summarize({ transcript: TWO_TOPIC_CALL });
  assert.deepEqual(
    out.map((s) => s.topic),
    ["Billing Issue", "General Enquiry"],
  );
  assert.match(out[0]!.summary, /charged twice/);
  assert.match(out[0]!.summary, /refunded the duplicate charge/);
  assert.doesNotMatch(out[0]!.summary, /address/);
  assert.match(out[1]!.summary, /change their address/);
  assert.match(out[1]!.summary, /updated the customer's address/);
});

test("taxonomy extension adds topics and keywords; bad entries are named", async () => {
  const tax = loadTaxonomy(
    JSON.stringify({
      topics: [
        { label: "Insurance Claim", keywords: { claim: 3, "insurance claim": 3, accident: 2 } },
        { id: "billing_issue", label: "Billing Issue", keywords: ["surcharge"] },
      ],
    }),
  );
  assert.ok(tax.topics.some((t) => t.id === "insurance_claim"));
  assert.ok(tax.topics.find((t) => t.id === "billing_issue")!.terms.some((t) => t.text === "surcharge"));
  const custom = createEmbeddedSummarizer({ taxonomy: tax });
  const [main] = await custom.summarize({
    transcript: script(
      "A: hello",
      "U: hi i need to make an insurance claim after a car accident",
      "A: okay i'll log the claim",
    ),
  });
  assert.equal(main!.topic, "Insurance Claim");

  assert.throws(() => loadTaxonomy("{not json"), /not valid JSON/);
  assert.throws(
    () =>
      loadTaxonomy(
        JSON.stringify({
          topics: [
            { label: "Good", keywords: ["x"] },
            { label: "Bad", keywords: { y: "heavy" } },
          ],
        }),
      ),
    /topics\[1\]\.keywords.*"Bad"/,
  );
  assert.throws(() => loadTaxonomy(JSON.stringify({ topics: [{ keywords: ["x"] }] })), /topics\[0\]\.label/);
  assert.equal(loadTaxonomy("").topics.length, loadTaxonomy().topics.length);
});
