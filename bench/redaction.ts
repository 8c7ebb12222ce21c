/**
 * Cost of PII redaction on a one-hour call:
 *   (a) the detectors on ~10,000 words (the scripted calls repeated, with word timings), with and
 *       without person names (compromise), after a warm-up; and compromise's first load;
 *   (b) the audio stage: a 1-hour two-channel 8 kHz µ-law file beeped over 1,000 spans.
 *
 *   npx tsx bench/redaction.ts
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TranscriptItem } from "../src/core/payloads.ts";
import { probeAudio } from "../src/pipeline/probe.ts";
import { channelRanges, redactAudioFile } from "../src/pipeline/redact-audio.ts";
import { loadNlp } from "../src/redaction/names.ts";
import { PII_POLICIES } from "../src/redaction/policies.ts";
import { redactItems } from "../src/redaction/redact.ts";
import { SCRIPTED_CALLS } from "../test/fixtures/scripted-calls.ts";
import { tempDir } from "../test/helpers/audio.ts";

function hourOfCalls(): TranscriptItem[] {
  const out: TranscriptItem[] = [];
  let t = 0;
  let words = 0;
  while (words < 10_000) {
    for (const c of SCRIPTED_CALLS) {
      for (const it of c.transcript) {
        const ws = it.text.split(" ");
        out.push({
          ...it,
          time_start: t,
          time_end: t + ws.length * 0.35,
          words: ws.map((word, i) => ({
            word,
            start: t + i * 0.35,
            end: t + i * 0.35 + 0.3,
            confidence: 0.9,
          })),
        });
        t += ws.length * 0.35 + 0.5;
        words += ws.length;
      }
    }
  }
  return out;
}

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

let t0 = performance.now();
const nlp = await loadNlp();
console.log(`compromise load: ${ms(t0)}`);
const items = hourOfCalls();
const words = items.reduce((n, it) => n + it.words!.length, 0);
const audioSeconds = items.at(-1)!.time_end;
redactItems(items.slice(0, 50), { policies: PII_POLICIES, lang: "en" }, nlp); // warm-up
t0 = performance.now();
const all = redactItems(items, { policies: PII_POLICIES, lang: "en" }, nlp);
console.log(
  `detectors, all policies: ${ms(t0)} for ${words} words (${(audioSeconds / 60).toFixed(0)} min), ${all.spans.length} spans`,
);
t0 = performance.now();
redactItems(items, { policies: PII_POLICIES.filter((p) => p !== "person_name"), lang: "en" }, null);
console.log(`detectors without person_name: ${ms(t0)}`);

const tmp = tempDir();
try {
  const file = join(tmp.dir, "hour.wav");
  execFileSync(
    "ffmpeg",
    ["-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=3600:r=8000:a=0.1", "-ac", "2"].concat([
      "-c:a",
      "pcm_mulaw",
      file,
    ]),
  );
  const info = await probeAudio(file);
  const spans = Array.from({ length: 1000 }, (_, i) => ({
    speakerId: i % 2,
    start: i * 3.5,
    end: i * 3.5 + 0.6,
  }));
  t0 = performance.now();
  await redactAudioFile(file, info, channelRanges(spans, [0, 1], 2, info.duration));
  console.log(`audio: 1 h two-channel 8 kHz µ-law, 1000 spans beeped: ${ms(t0)}`);
} finally {
  tmp.cleanup();
}
