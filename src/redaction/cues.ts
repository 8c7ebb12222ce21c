/**
 * Context cues: what the words just before a number say it is ("card number", "date of birth",
 * "phone"). The nearest cue within a few tokens wins, across items (the agent asks "can I have your
 * account number?", the customer reads it in the next item). Pure.
 */
import type { Stream } from "./tokens.ts";

export type Cue = "card" | "cvv" | "account" | "phone" | "ssn" | "dob" | "other";

/** Phrases, each as its words; a longer phrase ending on the same token beats a shorter one. */
const PHRASES: Array<[Cue, string[]]> = (
  [
    ["card", "card cards visa mastercard amex debit credit"],
    ["card", "american express|card number|long number on the card"],
    ["cvv", "cvv cvc cvv2"],
    [
      "cvv",
      "security code|security number|verification code|three digits|back of the card|back of your card",
    ],
    ["account", "account accounts acct iban routing"],
    [
      "account",
      "sort code|customer number|customer id|member number|member id|membership number|policy number",
    ],
    ["phone", "phone telephone mobile cell landline fax cellphone"],
    [
      "phone",
      "call me|call me on|call me at|call back|call you back|reach me|text me|contact number|number to call|callback number",
    ],
    ["ssn", "ssn social"],
    ["ssn", "social security|social insurance|social security number|social insurance number"],
    ["dob", "born birth birthday dob"],
    ["dob", "d o b"],
    // numbers that are not personal: no generic rule (Luhn, ten digits) applies after these
    ["other", "order reference ticket case tracking invoice confirmation booking parcel serial model"],
    ["other", "order number|reference number|case number|ticket number"],
  ] as Array<[Cue, string]>
).flatMap(([cue, list]) =>
  (list.includes("|") ? list.split("|") : list.split(" ")).map((p) => [cue, p.split(" ")] as [Cue, string[]]),
);

/** How far back a cue still counts, in tokens. */
export const CUE_WINDOW = 12;

/** The cue phrases that end on token k, longest first. */
function cuesEndingAt(s: Stream, k: number, lowest: number): Array<{ cue: Cue; start: number }> {
  const found: Array<{ cue: Cue; start: number }> = [];
  for (const [cue, words] of PHRASES) {
    const start = k - words.length + 1;
    if (start < lowest) continue;
    if (words.every((w, i) => s.tokens[start + i]!.form === w)) found.push({ cue, start });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The nearest cue ending within `window` tokens before token `at` (and where its phrase starts). */
export function cueBefore(s: Stream, at: number, window = CUE_WINDOW): { cue: Cue; start: number } | null {
  const lowest = Math.max(0, at - window);
  for (let k = at - 1; k >= lowest; k--) {
    const found = cuesEndingAt(s, k, lowest);
    if (found.length) return found[0]!;
  }
  return null;
}

/** Whether any of `cues` appears within `window` tokens before token `at`. */
export function anyCueBefore(s: Stream, at: number, words: ReadonlySet<string>, window: number): number {
  for (let k = at - 1; k >= Math.max(0, at - window); k--) if (words.has(s.tokens[k]!.form)) return k;
  return -1;
}
