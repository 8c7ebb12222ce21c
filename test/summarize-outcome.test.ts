/**
 * How the embedded summarizer derives a call's outcome from its clauses: what a finished deed brings
 * is not new work, a promise kept on the call is not pending, a courtesy "no problem" negates
 * nothing, and a negated future ("it won't renew") is not an event.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyseSource } from "../src/engines/summarize/grounded.ts";
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
