/**
 * The embedded engines' classifiers: wink's naive Bayes text classifier (wink-naive-bayes-text-classifier)
 * trained at start-up on labelled example utterances kept as data in corpus/summarize/:
 *
 * - topics.jsonl: utterance → taxonomy topic id, or "other" (greetings, identity checks, sign-offs);
 * - agent-acts.jsonl: agent clause → what it does (done_refund, done_cancel, done_fix, escalate,
 *   follow_up, offer, refuse, check, instruct, other);
 * - customer-acts.jsonl: customer clause → request, accept, decline, resolved, unresolved, other.
 *
 * Topics added or extended with SUMMARY_TAXONOMY_JSON train on their `examples` and `keywords`.
 * Training takes tens of milliseconds (see bench:summarize); it runs once per taxonomy, inside the
 * text worker thread.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { actFeatures, sentences, topicFeatures, type Word } from "./nlp.ts";
import type { Taxonomy } from "./taxonomy.ts";

/** wink-naive-bayes-text-classifier's instance (CommonJS, untyped). */
interface WinkNb {
  defineConfig(cfg: { considerOnlyPresence?: boolean; smoothingFactor?: number }): boolean;
  definePrepTasks(tasks: ((x: unknown) => unknown)[]): number;
  learn(input: string[], label: string): boolean;
  consolidate(): boolean;
  computeOdds(input: string[]): [string, number][];
}
const winkNb = createRequire(import.meta.url)("wink-naive-bayes-text-classifier") as () => WinkNb;

export const OTHER = "other";

export interface Example {
  text: string;
  label: string;
}

export interface Scored {
  label: string;
  /** the label's share of the evidence, 0–1 (softmax over wink's log2 odds) */
  p: number;
  /** every label's share */
  probs: Record<string, number>;
}

export class TextClassifier {
  readonly labels: string[];
  private readonly nb: WinkNb;

  constructor(
    examples: readonly Example[],
    private readonly features: (words: Word[]) => string[],
  ) {
    this.nb = winkNb();
    this.nb.defineConfig({ considerOnlyPresence: true, smoothingFactor: 0.5 });
    this.nb.definePrepTasks([(x) => x]);
    for (const ex of examples) {
      const f = features(sentences(ex.text).flat());
      if (f.length) this.nb.learn(f, ex.label);
    }
    this.nb.consolidate();
    this.labels = [...new Set(examples.map((e) => e.label))];
  }

  /** Scores already-tokenized words; `only` restricts the answer to some labels. */
  scoreWords(words: Word[], only?: readonly string[]): Scored | undefined {
    const f = this.features(words);
    if (!f.length) return undefined;
    const odds = this.nb.computeOdds(f).filter(([l]) => l !== "unknown" && (!only || only.includes(l)));
    if (!odds.length || odds.every(([, o]) => o === 0)) return undefined;
    const max = Math.max(...odds.map(([, o]) => o));
    // log2 odds grow with the clause's length; scale so a long turn is not always one-hot
    const temp = Math.max(1, Math.sqrt(f.length) / 2);
    const exp = odds.map(([l, o]) => [l, 2 ** ((o - max) / temp)] as const);
    const sum = exp.reduce((s, [, e]) => s + e, 0);
    const probs = Object.fromEntries(exp.map(([l, e]) => [l, e / sum]));
    const [label] = odds[0]!;
    return { label, p: probs[label]!, probs };
  }

  score(text: string, only?: readonly string[]): Scored | undefined {
    return this.scoreWords(sentences(text).flat(), only);
  }
}

function corpusDir(): string {
  // src/engines/summarize → repo root; dist/src/engines/summarize → repo root as well
  for (const up of ["../../../corpus/summarize/", "../../../../corpus/summarize/"]) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}topics.jsonl`)) return dir;
  }
  throw new Error("corpus/summarize/topics.jsonl not found beside the installation");
}

export function readExamples(file: string): Example[] {
  const path = `${corpusDir()}${file}`;
  return readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("//"))
    .map((l, i) => {
      const ex = JSON.parse(l) as Partial<Example>;
      if (typeof ex.text !== "string" || typeof ex.label !== "string") {
        throw new Error(`${path}:${i + 1}: each line needs "text" and "label"`);
      }
      return { text: ex.text, label: ex.label };
    });
}

export const AGENT_ACTS = [
  "done_refund",
  "done_cancel",
  "done_fix",
  "escalate",
  "follow_up",
  "offer",
  "refuse",
  "check",
  "instruct",
  OTHER,
] as const;
export const CUSTOMER_ACTS = ["request", "accept", "decline", "resolved", "unresolved", OTHER] as const;
export type AgentAct = (typeof AGENT_ACTS)[number];
export type CustomerAct = (typeof CUSTOMER_ACTS)[number];

export interface Models {
  topic: TextClassifier;
  agentAct: TextClassifier;
  customerAct: TextClassifier;
  /** start-up cost of this set, ms */
  trainMs: number;
}

function checkLabels(examples: readonly Example[], allowed: readonly string[], file: string): Example[] {
  for (const e of examples) {
    if (!allowed.includes(e.label)) throw new Error(`${file}: unknown label "${e.label}" for "${e.text}"`);
  }
  return [...examples];
}

const cache = new WeakMap<Taxonomy, Models>();

/** The classifiers for a taxonomy, trained on first use. */
export function modelsFor(tax: Taxonomy): Models {
  const hit = cache.get(tax);
  if (hit) return hit;
  const t0 = performance.now();
  const ids = tax.topics.map((t) => t.id);
  const topicExamples = readExamples("topics.jsonl").filter(
    (e) => e.label === OTHER || ids.includes(e.label),
  );
  for (const t of tax.topics) {
    for (const ex of t.examples) topicExamples.push({ text: ex, label: t.id });
    // a configured keyword is a short example, repeated by its weight
    for (const term of t.terms) {
      for (let k = 0; k < Math.max(1, Math.round(term.weight)); k++)
        topicExamples.push({ text: term.text, label: t.id });
    }
  }
  const models: Models = {
    topic: new TextClassifier(topicExamples, topicFeatures),
    agentAct: new TextClassifier(
      checkLabels(readExamples("agent-acts.jsonl"), AGENT_ACTS, "agent-acts.jsonl"),
      (w) => actFeatures(w),
    ),
    customerAct: new TextClassifier(
      checkLabels(readExamples("customer-acts.jsonl"), CUSTOMER_ACTS, "customer-acts.jsonl"),
      (w) => actFeatures(w),
    ),
    trainMs: 0,
  };
  models.trainMs = performance.now() - t0;
  cache.set(tax, models);
  return models;
}
