/**
 * The transcript as the PII detectors see it: one stream of tokens over every item in time order,
 * each pointing back at its item and at the unit it came from (a token of the item's `text`, or a
 * word of its `words`), so a span found over the stream can be cut out of either. Pure.
 */
import type { TranscriptItem } from "../core/payloads.ts";
import { matchForm, splitWords } from "../engines/asr/spoken-numbers.ts";

export interface Token {
  /** lower case, straight apostrophes */
  form: string;
  /** what lies between this token and the next one of its item ("" after the item's last) */
  sepAfter: string;
  /** punctuation follows, or the item ends here: numbers do not run across it */
  brk: boolean;
  item: number;
  /** text stream: the token's index in its item; words stream: the index of its word */
  unit: number;
  /** where the token is in `Stream.texts[item]` */
  from: number;
  to: number;
}

export interface StreamItem {
  speaker: number;
  start: number;
  end: number;
  /** index of the item's first token; `first === next item's first` when it has none */
  first: number;
}

export interface Stream {
  tokens: Token[];
  /** per item, the text the tokens index into (the item's text, or its words joined by spaces) */
  texts: string[];
  items: StreamItem[];
}

/** A detector's finding: tokens [start, end) of a stream. */
export interface TokenSpan {
  start: number;
  end: number;
}

const SOFT = /^[\s\-‐]*$/u;

function tokensOf(text: string, item: number, unitAt: (charPos: number, k: number) => number): Token[] {
  const { words, seps } = splitWords(text);
  const out: Token[] = [];
  let pos = seps[0]!.length;
  words.forEach((w, k) => {
    const last = k === words.length - 1;
    const sep = last ? "" : seps[k + 1]!;
    out.push({
      form: matchForm(w),
      sepAfter: sep,
      brk: last || !SOFT.test(sep),
      item,
      unit: unitAt(pos, k),
      from: pos,
      to: pos + w.length,
    });
    pos += w.length + sep.length;
  });
  return out;
}

function build(
  items: readonly TranscriptItem[],
  perItem: (it: TranscriptItem, i: number) => { text: string; tokens: Token[] },
): Stream {
  const tokens: Token[] = [];
  const texts: string[] = [];
  const meta: StreamItem[] = [];
  items.forEach((it, i) => {
    const { text, tokens: own } = perItem(it, i);
    meta.push({ speaker: it.speaker_id, start: it.time_start, end: it.time_end, first: tokens.length });
    texts.push(text);
    tokens.push(...own);
  });
  return { tokens, texts, items: meta };
}

/** The items' `text`, token by token. */
export function textStream(items: readonly TranscriptItem[]): Stream {
  return build(items, (it, i) => ({ text: it.text, tokens: tokensOf(it.text, i, (_, k) => k) }));
}

/** The items' `words` (joined by spaces), each token pointing at its word; items without words add none. */
export function wordStream(items: readonly TranscriptItem[]): Stream {
  return build(items, (it, i) => {
    const words = it.words ?? [];
    const starts: number[] = [];
    let text = "";
    for (const w of words) {
      if (text) text += " ";
      starts.push(text.length);
      text += w.word.trim();
    }
    const unitAt = (pos: number) => {
      let j = 0;
      while (j + 1 < starts.length && starts[j + 1]! <= pos) j++;
      return j;
    };
    return { text, tokens: tokensOf(text, i, unitAt) };
  });
}

/** Whether two streams hold the same tokens item by item (then one detection serves both). */
export function sameTokens(a: Stream, b: Stream): boolean {
  return (
    a.tokens.length === b.tokens.length &&
    a.tokens.every((t, k) => t.form === b.tokens[k]!.form && t.item === b.tokens[k]!.item)
  );
}

/** Last token of its item? */
export const endsItem = (s: Stream, k: number): boolean =>
  k + 1 >= s.tokens.length || s.tokens[k + 1]!.item !== s.tokens[k]!.item;

/** The text between token k and k + 1 when both are in one item, trimmed; null across items. */
export function connector(s: Stream, k: number): string | null {
  if (endsItem(s, k)) return null;
  return s.tokens[k]!.sepAfter.trim();
}
