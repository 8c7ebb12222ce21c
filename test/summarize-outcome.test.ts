/**
 * How the embedded summarizer derives a call's outcome from its clauses: what a finished deed brings
 * is not new work, a promise kept on the call is not pending, a courtesy "no problem" negates
 * nothing, and a negated future ("it won't renew") is not an event.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventVerdict } from "../src/engines/summarize/events.ts";
import { analyseSource } from "../src/engines/summarize/grounded.ts";
import { sentences } from "../src/engines/summarize/nlp.ts";
import { defaultTaxonomy } from "../src/engines/summarize/taxonomy.ts";
import { script } from "./fixtures/scripted-calls.ts";

const outcomes = (...lines: string[]) =>
  analyseSource({ transcript: script(...lines) }, defaultTaxonomy()).outcomes;

test("what a finished deed brings, told in a later turn, is not pending work", () => {
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: I returned a jacket two weeks ago and I still haven't had my money back.",
      "A: Sorry about that, I've refunded the forty five pounds to your card now.",
      "U: How long will it take?",
      "A: It normally shows within three to five working days.",
      "U: Lovely, thanks a lot.",
    ),
    ["refund_issued", "resolved"],
  );
});

test("new work promised after a deed is still pending", () => {
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: My boiler keeps losing pressure and the display shows a fault code.",
      "A: I've reset the boiler remotely for you.",
      "U: Okay.",
      "A: We'll also send an engineer out on Friday to check the valve.",
      "U: Thanks.",
    ),
    ["follow_up_required"],
  );
});

test("a promise the agent then keeps on the call is not pending", () => {
  assert.deepEqual(
    outcomes(
      "A: Hi, how can I help?",
      "U: My direct debit failed because my card expired, I've got a new one.",
      "A: I'll update the card on your account now.",
      "U: Okay, it's a mastercard ending 1234.",
      "A: Done, that's updated and the payment has gone through.",
      "U: Great, thanks.",
    ),
    ["resolved"],
  );
});

test('"no problem" before a deed does not negate it; "it won\'t renew" is not a cancellation', () => {
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: I'd like to cancel my magazine subscription please.",
      "A: No problem, I've cancelled your subscription.",
      "U: Great, thanks.",
    ),
    ["cancelled", "resolved"],
  );
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: There's a sports pack on my bill that I never asked for.",
      "A: I've taken the sports pack off your plan, and it won't renew.",
      "U: Great, thanks.",
    ),
    ["resolved"],
  );
});

const verdict = (act: string, clause: string) =>
  eventVerdict(act, sentences(clause).flat(), { earlierEvent: false });

test("an event needs a word of its own family, applied to what the customer holds", () => {
  assert.equal(verdict("done_refund", "I've sent the money back to your mastercard"), "event");
  assert.equal(verdict("done_refund", "I've moved the payment date to the fifth"), "none");
  assert.equal(verdict("done_refund", "I've paid it with your credit card"), "none");
  assert.equal(verdict("done_cancel", "I've closed the savings account"), "event");
  assert.equal(verdict("done_cancel", "the library closes at eight on fridays"), "none");
  assert.equal(verdict("done_cancel", "I've waived the cancellation fee"), "none");
  assert.equal(verdict("escalate", "I've passed your case to my supervisor"), "event");
  assert.equal(verdict("escalate", "I'll pass it over to the billing team to look into"), "none");
});

test("a request, a condition, a modal, a negation or someone else's deed is no event", () => {
  assert.equal(verdict("done_refund", "I've lodged a refund claim with the airline"), "pending");
  assert.equal(verdict("done_refund", "I've put in a request for a refund"), "pending");
  assert.equal(verdict("done_refund", "the warehouse will refund you within a week"), "pending");
  assert.equal(verdict("done_refund", "if the parcel doesn't turn up we'll refund you"), "none");
  assert.equal(verdict("done_refund", "I can't refund the booking fee"), "none");
  assert.equal(verdict("done_refund", "I can see the shop refunded you last month"), "none");
  assert.equal(verdict("done_cancel", "the courier cancelled the collection"), "none");
  assert.equal(verdict("done_cancel", "I haven't cancelled the policy yet"), "none");
  assert.equal(verdict("escalate", "I could ask my manager if you like"), "none");
  // the agent's own announced escalation is the escalation
  assert.equal(verdict("escalate", "I'm going to escalate this to our complaints team"), "event");
});

test("a refund asked of a third party, or a team asked to check, is pending work, not an event", () => {
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: My parcel from the garden centre never arrived.",
      "A: I've asked the courier to refund the postage and they'll process it in five days.",
      "U: Okay, thanks.",
    ),
    ["follow_up_required"],
  );
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: I was billed twice for my water this quarter.",
      "A: I'll need to pass this to our billing team to check and I'll ring you back on monday.",
      "U: Okay.",
    ),
    ["follow_up_required"],
  );
});

test("opening hours are no cancellation; one done deed may carry a second", () => {
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: Is the leisure centre open over easter?",
      "A: Yes, the pool closes at four on easter sunday but the gym stays open.",
      "U: Great, thanks.",
    ),
    ["resolved"],
  );
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: I want to stop my gym membership.",
      "A: I've cancelled your gym membership and refunded this month's fee.",
      "U: Brilliant, thanks.",
    ),
    ["cancelled", "refund_issued", "resolved"],
  );
});

test("a consequence of a future event, or a present-tense process, is no completed deed", () => {
  // how the process runs, in the simple present
  assert.equal(verdict("done_refund", "the money comes back to your account in a few days"), "none");
  assert.equal(verdict("done_refund", "it gets refunded to your bank within the week"), "none");
  assert.equal(verdict("done_refund", "you get your money back from the supplier"), "none");
  assert.equal(verdict("done_cancel", "the contract ends at the close of march"), "none");
  // past or perfect: the deed is done
  assert.equal(verdict("done_refund", "I've refunded the delivery charge"), "event");
  assert.equal(verdict("done_refund", "the money has gone back to your visa"), "event");
  assert.equal(verdict("done_refund", "I put the money back on your card this morning"), "event");
  // "once the insurer settles | it goes back to your card": the subordinator opens the next clause
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: My garden furniture arrived broken and I want my money back.",
      "A: I've logged a claim with the courier this morning once they settle it goes straight back to your mastercard.",
      "U: Okay, thanks.",
    ),
    ["follow_up_required"],
  );
  assert.deepEqual(
    outcomes(
      "A: Hello, how can I help?",
      "U: I was charged twice for my cinema tickets.",
      "A: I've refunded the second charge and it goes back to your card in three days.",
      "U: Great, thanks.",
    ),
    ["refund_issued", "resolved"],
  );
});

test("an offer whose words name nothing is completed from where it was said in full, or left out", () => {
  const summary = (...lines: string[]) =>
    analyseSource({ transcript: script(...lines) }, defaultTaxonomy())
      .sections.flatMap((s) => s.statements)
      .filter((s) => s.kind === "declined" || s.kind === "offer")
      .map((s) => s.text);
  assert.deepEqual(
    summary(
      "A: Hello, how can I help?",
      "U: My phone plan is too expensive, what cheaper options are there?",
      "A: We have a twenty gig bundle for ten pounds or a fifty gig bundle for fifteen.",
      "U: And is there a new contract?",
      "A: Yes it would be a new twelve month contract, shall I switch you to the twenty for you now?",
      "U: No not yet, I want to think about it first.",
    ),
    [
      "The agent offered to switch the customer to the twenty gig bundle for them now, but the customer declined.",
    ],
  );
  // nothing said in full to complete it from: no statement rather than an empty one
  assert.deepEqual(
    summary(
      "A: Hello, how can I help?",
      "U: My phone plan is too expensive, what cheaper options are there?",
      "A: It depends how much data you use each month.",
      "U: And is there a new contract?",
      "A: Yes it would be a new twelve month contract, shall I put the two through for you now?",
      "U: No not yet, I want to think about it first.",
    ),
    [],
  );
});
