/**
 * Grounded embedded summaries: declined offers are not actions, one topic per call, no contradictory
 * sections, every statement backed by an utterance (checked over the whole labelled bench set), the
 * topic classifier on calls worded unlike its training data, and the training corpus kept apart
 * from the held-out calls.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { HELD_OUT, loadCalls, scoreSplit, TUNING } from "../bench/summarize-eval.ts";
import { createEmbeddedSummarizer } from "../src/engines/summarize/embedded.ts";
import { analyseSource } from "../src/engines/summarize/grounded.ts";
import { defaultTaxonomy, loadTaxonomy } from "../src/engines/summarize/taxonomy.ts";
import { createEmbeddedTextThread } from "../src/engines/text-thread.ts";
import { createEmbeddedTagger } from "../src/engines/tag/embedded.ts";
import { script } from "./fixtures/scripted-calls.ts";

const summarizer = createEmbeddedSummarizer();
const tagger = createEmbeddedTagger();

const DECLINED_ENGINEER = script(
  "A: Hello, technical support.",
  "U: Hi, my broadband keeps dropping out every evening.",
  "A: I've run a line test and it looks fine from here. Would you like me to book an engineer visit?",
  "U: No thanks, I'll try a different router first.",
  "A: No problem, call us back if it carries on.",
  "U: Will do, bye.",
);

test("an offer the customer declined is not reported as an action", async () => {
  const [main, ...rest] = await summarizer.summarize({ transcript: DECLINED_ENGINEER });
  assert.equal(rest.length, 0);
  assert.equal(main!.topic, "Technical Problem");
  assert.doesNotMatch(main!.summary, /booked|arranged|scheduled/i, main!.summary);
  assert.doesNotMatch(main!.summary, /The agent (said they would )?book/i, main!.summary);
  assert.match(main!.summary, /offered to book an engineer visit, but the customer declined/);
  assert.doesNotMatch(main!.summary, /pending follow-up/);
  const tags = await tagger.tag({ transcript: DECLINED_ENGINEER });
  assert.ok(!tags.call_outcome.includes("follow_up_required"), JSON.stringify(tags));
});

test("an accepted offer that the agent then carries out is an action", async () => {
  const accepted = script(
    "A: Hello, technical support.",
    "U: Hi, my broadband keeps dropping out every evening.",
    "A: The line test shows a fault. Would you like me to book an engineer visit?",
    "U: Yes please.",
    "A: I've booked an engineer for Thursday morning.",
    "U: Thanks.",
  );
  const [main] = await summarizer.summarize({ transcript: accepted });
  assert.match(main!.summary, /The agent booked an engineer for Thursday morning/);
  assert.match(main!.summary, /pending follow-up/);
});

test("a billing call with a refund has one section and no contradictory outcome", async () => {
  const call = script(
    "A: Thanks for calling, how can I help?",
    "U: Hi, I've been charged twice for my phone bill this month, $40 each time, and I'd like the money back.",
    "A: Let me check. Yes, I can see two payments of $40 on the 3rd.",
    "A: I've refunded the duplicate payment to your card, the refund should show in 3 to 5 working days.",
    "U: Is the refund going to the same card I paid with?",
    "A: Yes, the same card.",
    "U: Great, thanks.",
  );
  const out = await summarizer.summarize({ transcript: call });
  assert.equal(out.length, 1, JSON.stringify(out));
  assert.equal(out[0]!.topic, "Billing Issue");
  assert.match(out[0]!.summary, /Outcome: refund issued\.$/);
  assert.doesNotMatch(out[0]!.summary, /not confirmed/);
  const tags = await tagger.tag({ transcript: call });
  assert.deepEqual(tags.call_reason, ["billing_issue"]);
  assert.deepEqual(tags.call_outcome, ["refund_issued", "resolved"]);
});

test("topic classifier on calls worded unlike its training utterances", async () => {
  const cases: [string, string[]][] = [
    [
      "Payments/Refunds",
      [
        "A: Coastal Ferries, how can I help?",
        "U: Our crossing on the 9th was cancelled because of the storm and I'd like the £85 put back on my card.",
        "A: I've returned the £85 to your card, it takes up to a week.",
        "U: Thanks.",
      ],
    ],
    [
      "Orders/Delivery",
      [
        "A: hello bike shop online",
        "U: hi the bike i ordered came with the front wheel bent",
        "A: sorry about that we'll collect it and send a new wheel out on monday",
        "U: ok thanks",
      ],
    ],
    [
      "Account Access",
      [
        "A: Hello, Parkview Credit Union.",
        "U: Hi, the app says my fingerprint isn't recognised and the PIN screen has locked me out.",
        "A: I've unlocked the PIN for you, you can set up the fingerprint again in settings.",
        "U: I'm in, thanks.",
      ],
    ],
    [
      "Cancellation",
      [
        "A: hi language app support",
        "U: hi please end my yearly plan i've finished my course",
        "A: done i've cancelled the plan so it won't renew",
        "U: brilliant",
      ],
    ],
    [
      "Complaint",
      [
        "A: Good afternoon, customer relations.",
        "U: I'd like to complain about your taxi driver last night, he was shouting at me the whole journey.",
        "A: I'm sorry. I've passed it to the driver's manager and they will call you tomorrow.",
        "U: Thank you.",
      ],
    ],
  ];
  for (const [topic, lines] of cases) {
    const [main] = await summarizer.summarize({ transcript: script(...lines) });
    assert.equal(main!.topic, topic, `${lines[1]} → ${main!.topic}: ${main!.summary}`);
  }
});

test("every statement of every labelled call is supported by an utterance; no contradictions", () => {
  const tax = defaultTaxonomy();
  for (const split of [...TUNING, ...HELD_OUT]) {
    const calls = loadCalls(split);
    assert.ok(calls.length >= 20, `${split}: ${calls.length} calls`);
    const s = scoreSplit(calls, tax);
    const bad = s.calls.flatMap((c) =>
      c.claims.filter((x) => !x.supported).map((x) => `${c.call.id}: ${x.statement.text} (${x.why})`),
    );
    assert.deepEqual(bad, [], `${split}: unsupported claims`);
    assert.equal(s.contradictions, 0, `${split}: contradictions`);
    for (const c of s.calls) {
      for (const sec of c.analysis.sections) {
        for (const st of sec.statements) {
          if (st.text !== "Outcome: not confirmed on the call.") {
            assert.ok(st.evidence.length > 0, `${c.call.id}: no evidence for "${st.text}"`);
          }
          for (const i of st.evidence) {
            const who = c.call.turns[i]![0];
            if (st.kind === "request") assert.equal(who, "C", `${c.call.id}: "${st.text}" cites turn ${i}`);
            if (st.kind === "action") assert.equal(who, "A", `${c.call.id}: "${st.text}" cites turn ${i}`);
          }
        }
      }
    }
  }
});

test("summary text is exactly its statements", async () => {
  const a = analyseSource({ transcript: DECLINED_ENGINEER }, defaultTaxonomy());
  const out = await summarizer.summarize({ transcript: DECLINED_ENGINEER });
  assert.deepEqual(
    out.map((s) => s.summary),
    a.sections.map((s) => s.statements.map((x) => x.text).join(" ")),
  );
});

test("the classifiers' training corpus holds no utterance of a held-out call", () => {
  const norm = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim();
  const corpus = new Set(
    ["topics.jsonl", "agent-acts.jsonl", "customer-acts.jsonl"].flatMap((f) =>
      readFileSync(new URL(`../corpus/summarize/${f}`, import.meta.url), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => norm((JSON.parse(l) as { text: string }).text)),
    ),
  );
  const leaked = HELD_OUT.flatMap(loadCalls)
    .flatMap((c) => c.turns.map(([, text]) => norm(text)))
    .filter((t) => t.split(" ").length >= 3 && corpus.has(t));
  assert.deepEqual(leaked, []);
});

test("SUMMARY_TAXONOMY_JSON examples train a new topic", async () => {
  const tax = loadTaxonomy(
    JSON.stringify({
      topics: [
        {
          label: "Pet Insurance Claim",
          examples: [
            "I need to claim for my dog's vet bill",
            "my cat had an operation and I want to make a claim",
            "how do I send you the vet's invoice for my claim",
          ],
        },
      ],
    }),
  );
  const custom = createEmbeddedSummarizer({ taxonomy: tax });
  const [main] = await custom.summarize({
    transcript: script(
      "A: hello",
      "U: hi my dog broke his leg and I want to claim for the vet bill",
      "A: okay",
    ),
  });
  assert.equal(main!.topic, "Pet Insurance Claim");
  assert.throws(() => loadTaxonomy(JSON.stringify({ topics: [{ label: "Empty" }] })), /keywords or examples/);
});

test("classification runs in the text worker thread", async () => {
  const thread = createEmbeddedTextThread(undefined);
  try {
    const [main] = await thread.summarizer.summarize({ transcript: DECLINED_ENGINEER });
    assert.equal(main!.topic, "Technical Problem");
    assert.match(main!.summary, /but the customer declined/);
    const tags = await thread.tagger.tag({ transcript: DECLINED_ENGINEER });
    assert.deepEqual(tags.call_reason, ["technical_problem"]);
  } finally {
    await thread.close();
  }
});

test("redaction labels quoted in a summary keep both brackets", async () => {
  const call = script(
    "A: Thank you for calling, how can I help?",
    "U: I want to pay my bill, my card number is [CREDIT_CARD].",
    "A: Thanks, that payment has gone through.",
  );
  const [main] = await summarizer.summarize({ transcript: call });
  assert.match(main!.summary, /\[CREDIT_CARD\]/, main!.summary);
  assert.doesNotMatch(main!.summary, /\[CREDIT_CARD(?!\])/, main!.summary);
});
