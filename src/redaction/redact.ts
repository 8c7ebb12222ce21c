/**
 * PII redaction of a transcript (`redact_pii`): the detectors run over the call as one token
 * stream (numbers, emails and dates of birth by rule, names with compromise), and each span found
 * becomes one label in the item's `text` ("my card number is [CREDIT_CARD]") and in its `words`
 * (the span's words become one word, the label, from the first's start to the last's end). The
 * timed spans come back too: they are what the audio redaction silences. Pure (compromise is
 * passed in).
 *
 * It runs on the recognizer's words, before the transcript is formatted, so `formatted` and `plain`
 * see the same redaction. When an item's `words` do not tokenize like its `text` (an engine that
 * punctuates or spells differently), both are searched and each side's findings are looked for in
 * the other by their tokens; failing that, that side of the item becomes one label and its whole
 * audio is redacted.
 */
import type { TranscriptItem, TranscriptWord } from "../core/payloads.ts";
import { detectDatesOfBirth } from "./dates.ts";
import { detectEmails } from "./email.ts";
import { detectNames, type Nlp } from "./names.ts";
import { detectNumbers, numberPieces } from "./numbers.ts";
import { PII_LABELS, type PiiPolicy } from "./policies.ts";
import { sameTokens, textStream, wordStream, type Stream, type TokenSpan } from "./tokens.ts";

export interface Finding extends TokenSpan {
  policy: PiiPolicy;
}

export interface RedactOptions {
  policies: readonly PiiPolicy[];
  /** names are looked for in English only */
  lang: string;
}

/** A stretch of one speaker's audio to silence. */
export interface RedactedSpan {
  policy: PiiPolicy;
  speakerId: number;
  start: number;
  end: number;
}

export interface RedactionResult {
  items: TranscriptItem[];
  spans: RedactedSpan[];
  /** how many spans of each policy were redacted (for the log: counts, never content) */
  counts: Partial<Record<PiiPolicy, number>>;
}

/** Every finding of the enabled policies; overlapping ones merged (the longer one's policy wins). */
export function detect(s: Stream, opts: RedactOptions, nlp: Nlp | null): Finding[] {
  const on = new Set(opts.policies);
  const all: Finding[] = [];
  const pieces = numberPieces(s);
  for (const f of detectNumbers(s, pieces)) all.push(f);
  if (on.has("email_address")) for (const f of detectEmails(s)) all.push({ ...f, policy: "email_address" });
  if (on.has("date_of_birth"))
    for (const f of detectDatesOfBirth(s, pieces)) all.push({ ...f, policy: "date_of_birth" });
  if (on.has("person_name") && nlp && /^en\b/i.test(opts.lang))
    for (const f of detectNames(s, nlp)) all.push({ ...f, policy: "person_name" });
  const kept = all
    .filter((f) => on.has(f.policy) && f.end > f.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const f of kept) {
    const last = merged.at(-1);
    if (last && f.start < last.end) {
      if (f.end - f.start > last.end - last.start) last.policy = f.policy;
      last.end = Math.max(last.end, f.end);
    } else merged.push({ ...f });
  }
  return merged;
}

/** A finding cut at item boundaries: per item, the tokens it covers. */
function perItem(s: Stream, findings: readonly Finding[]): Map<number, Finding[]> {
  const out = new Map<number, Finding[]>();
  for (const f of findings) {
    let k = f.start;
    while (k < f.end) {
      const item = s.tokens[k]!.item;
      let end = k;
      while (end < f.end && s.tokens[end]!.item === item) end++;
      const list = out.get(item) ?? [];
      list.push({ start: k, end, policy: f.policy });
      out.set(item, list);
      k = end;
    }
  }
  return out;
}

/** The item's text with each finding's characters replaced by its label. */
function redactText(s: Stream, item: number, findings: readonly Finding[]): string {
  let text = s.texts[item]!;
  for (const f of [...findings].sort((a, b) => b.start - a.start)) {
    const from = s.tokens[f.start]!.from;
    const to = s.tokens[f.end - 1]!.to;
    text = text.slice(0, from) + PII_LABELS[f.policy] + text.slice(to);
  }
  return text;
}

/** Word index ranges [first, last] of the findings, merged when they touch the same word. */
function wordRanges(s: Stream, findings: readonly Finding[]) {
  const ranges = findings
    .map((f) => ({ first: s.tokens[f.start]!.unit, last: s.tokens[f.end - 1]!.unit, policy: f.policy }))
    .sort((a, b) => a.first - b.first);
  const out: typeof ranges = [];
  for (const r of ranges) {
    const prev = out.at(-1);
    if (prev && r.first <= prev.last) prev.last = Math.max(prev.last, r.last);
    else out.push({ ...r });
  }
  return out;
}

function redactWords(
  words: readonly TranscriptWord[],
  ranges: ReturnType<typeof wordRanges>,
): TranscriptWord[] {
  const out: TranscriptWord[] = [];
  let j = 0;
  for (const r of ranges) {
    out.push(...words.slice(j, r.first));
    const covered = words.slice(r.first, r.last + 1);
    const confidences = covered.map((w) => w.confidence).filter((c): c is number => c !== null);
    out.push({
      word: PII_LABELS[r.policy],
      start: covered[0]!.start,
      end: covered.at(-1)!.end,
      confidence: confidences.length ? Math.min(...confidences) : null,
    });
    j = r.last + 1;
  }
  out.push(...words.slice(j));
  return out;
}

/** Where in the words stream a text finding's tokens are (same item, same forms), if anywhere. */
function locate(text: Stream, words: Stream, f: Finding): Finding | null {
  const forms = text.tokens.slice(f.start, f.end).map((t) => t.form);
  const item = text.tokens[f.start]!.item;
  const first = words.items[item]!.first;
  for (let k = first; k + forms.length <= words.tokens.length && words.tokens[k]!.item === item; k++) {
    if (forms.every((form, i) => words.tokens[k + i]!.form === form && words.tokens[k + i]!.item === item))
      return { start: k, end: k + forms.length, policy: f.policy };
  }
  return null;
}

/**
 * Findings of one stream carried over to the other (where the same tokens are in the same item),
 * and the items where one could not be found there and the other stream has none of its policy.
 */
function carry(from: Stream, to: Stream, findings: readonly Finding[], existing: readonly Finding[]) {
  const carried: Finding[] = [];
  const lost = new Map<number, PiiPolicy>();
  for (const [item, list] of perItem(from, findings)) {
    for (const f of list) {
      const found = locate(from, to, f);
      if (found) {
        if (!existing.some((e) => e.start < found.end && found.start < e.end)) carried.push(found);
      } else if (!existing.some((e) => to.tokens[e.start]!.item === item && e.policy === f.policy))
        lost.set(item, f.policy);
    }
  }
  return { carried, lost };
}

export function redactItems(
  items: readonly TranscriptItem[],
  opts: RedactOptions,
  nlp: Nlp | null,
): RedactionResult {
  const text = textStream(items);
  let textFindings = detect(text, opts, nlp);
  const hasWords = items.some((it) => it.words !== undefined);
  const words = hasWords ? wordStream(items) : null;
  let wordFindings: Finding[] = [];
  // items where a finding of one stream could not be placed in the other: that one is replaced whole
  let lostInWords = new Map<number, PiiPolicy>();
  let lostInText = new Map<number, PiiPolicy>();
  if (words && sameTokens(text, words)) wordFindings = textFindings;
  else if (words) {
    const own = detect(words, opts, nlp);
    const toWords = carry(text, words, textFindings, own);
    const toText = carry(words, text, own, textFindings);
    wordFindings = [...own, ...toWords.carried];
    textFindings = [...textFindings, ...toText.carried];
    lostInWords = toWords.lost;
    lostInText = toText.lost;
  }

  const byItemText = perItem(text, textFindings);
  const byItemWords = words ? perItem(words, wordFindings) : new Map<number, Finding[]>();
  const spans: RedactedSpan[] = [];
  const counts: Partial<Record<PiiPolicy, number>> = {};
  for (const f of textFindings) counts[f.policy] = (counts[f.policy] ?? 0) + 1;

  const out = items.map((it, i) => {
    const t = byItemText.get(i);
    const w = byItemWords.get(i);
    if (!t && !w) return it;
    const whole = (policy: PiiPolicy) => {
      spans.push({ policy, speakerId: it.speaker_id, start: it.time_start, end: it.time_end });
      return PII_LABELS[policy];
    };
    const lostText = lostInText.get(i);
    const lostWords = lostInWords.get(i);
    // found in the words but not in the text, or the other way round: that side is one label
    const next: TranscriptItem = {
      ...it,
      text: lostText ? whole(lostText) : t ? redactText(text, i, t) : it.text,
    };
    if (it.words?.length && lostWords) {
      const c = it.words.map((x) => x.confidence).filter((x): x is number => x !== null);
      next.words = [
        {
          word: whole(lostWords),
          start: it.words[0]!.start,
          end: it.words.at(-1)!.end,
          confidence: c.length ? Math.min(...c) : null,
        },
      ];
    } else if (it.words?.length && words && w) {
      const ranges = wordRanges(words, w);
      next.words = redactWords(it.words, ranges);
      for (const r of ranges) {
        spans.push({
          policy: r.policy,
          speakerId: it.speaker_id,
          start: it.words[r.first]!.start,
          end: it.words[r.last]!.end,
        });
      }
    } else if (t && !it.words?.length) whole(t[0]!.policy); // no word times: the item's audio
    return next;
  });
  return { items: out, spans: spans.sort((a, b) => a.start - b.start), counts };
}
