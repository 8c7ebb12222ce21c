/**
 * Phrasing families the topic classifier once missed on calls written by other people: adding
 * users or lines to an account is a sale, the dirty state of a hired item is a complaint, and
 * putting a decision off is no topic. The utterances below are not in the training corpus.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { modelsFor } from "../src/engines/summarize/classifier.ts";
import { defaultTaxonomy } from "../src/engines/summarize/taxonomy.ts";

const models = modelsFor(defaultTaxonomy());

const CASES: [string, string][] = [
  ["we're expanding so I'd like three further users on our company plan", "sales_upgrade"],
  ["the caravan we rented was grubby inside and smelled of dogs", "complaint"],
  ["I'll talk it through with my partner and ring you back", "other"],
];

for (const [text, want] of CASES) {
  test(`topic of "${text}" is ${want}`, () => {
    assert.equal(models.topic.score(text)?.label, want);
  });
}
