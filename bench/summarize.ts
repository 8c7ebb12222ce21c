/**
 * Embedded summarizer benchmark on the labelled calls in bench/summarize-calls/: topic accuracy,
 * outcome accuracy (exact set of outcome codes), unsupported claims and contradictions (see
 * summarize-eval.ts for the definitions), on the tuning half and the held-out half separately,
 * plus the classifiers' start-up (training) cost and the time per call.
 *
 *   npm run bench:summarize               (SHOW=tuning prints every tuning call's summary and errors;
 *                                           SHOW=heldout or heldout-2 the same for a held-out set, for reporting)
 */
import { performance } from "node:perf_hooks";

const t0 = performance.now();
const { loadTaxonomy } = await import("../src/engines/summarize/taxonomy.ts");
const { modelsFor } = await import("../src/engines/summarize/classifier.ts");
const loadMs = performance.now() - t0;
const { HELD_OUT, loadCalls, scoreSplit, TUNING } = await import("./summarize-eval.ts");

const tax = loadTaxonomy();
const models = modelsFor(tax);
const show = process.env.SHOW ?? "";

const pct = (a: number, n: number) => `${a}/${n} = ${((100 * a) / n).toFixed(1)} %`;

const rows: string[] = [];
const heldOut = { n: 0, topic: 0, outcome: 0 };
for (const split of [...TUNING, ...HELD_OUT]) {
  const calls = loadCalls(split);
  const start = performance.now();
  const s = scoreSplit(calls, tax);
  const perCall = (performance.now() - start) / calls.length;
  if (HELD_OUT.includes(split)) {
    heldOut.n += s.n;
    heldOut.topic += s.topicCorrect;
    heldOut.outcome += s.outcomeCorrect;
  }
  rows.push(
    `${split.padEnd(9)} calls ${String(s.n).padStart(2)} | topic ${pct(s.topicCorrect, s.n)} | outcome ${pct(
      s.outcomeCorrect,
      s.n,
    )} | statements ${s.statements}, unsupported ${s.unsupported} (declined offers claimed ${s.declinedClaimed}) | contradictions ${s.contradictions} | ${perCall.toFixed(1)} ms/call`,
  );
  if (show === split) {
    for (const c of s.calls) {
      const flags = [
        c.topicOk ? "" : `TOPIC ${c.topic} (want ${c.call.topic})`,
        c.outcomeOk ? "" : `OUTCOME [${c.outcome.join(",")}] (want [${c.call.outcome.join(",")}])`,
      ]
        .filter(Boolean)
        .join("; ");
      console.log(`${c.call.id} ${flags}`);
      for (const cl of c.claims) {
        console.log(
          `   ${cl.supported ? "  " : "!!"} ${cl.statement.kind.padEnd(8)} ${cl.statement.text}${cl.supported ? "" : `   <- ${cl.why}`}`,
        );
      }
      for (const x of c.contradictions) console.log(`   !! contradiction: ${x}`);
    }
  }
}

console.log(
  `start-up: import of the NLP modules (wink-nlp + model) ${loadMs.toFixed(0)} ms, training the three classifiers ${models.trainMs.toFixed(0)} ms`,
);
for (const r of rows) console.log(r);
console.log(
  `held-out, both sets: calls ${heldOut.n} | topic ${pct(heldOut.topic, heldOut.n)} | outcome ${pct(heldOut.outcome, heldOut.n)}`,
);
