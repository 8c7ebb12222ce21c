/**
 * Email addresses, written ("john.smith@example.com") or spoken ("john dot smith at example dot
 * com", "mary underscore jones at gmail dot co dot uk"). Pure.
 *
 * - The domain is labels joined by "." or the word "dot", ending in a known top-level domain
 *   ("example dot com", "example dot co dot uk"), or a mail provider alone ("at gmail").
 * - With "at"/"@" before the domain, the local part is the labels before it, joined by "."/"dot",
 *   "_"/"underscore" or "-"/"dash", plus up to two more words said without a separator ("john
 *   smith at …" for "johnsmith@…"); function words ("is", "me", "to", …) end it. Spoken, it counts
 *   only after an email cue ("email", "mail", "contact", "reach", "send", "write") or when the local
 *   part has a separator or the domain is a mail provider: "look at amazon dot com" is no address.
 * - Without "at" (recognizers lose it: "my email is john an example dot com"), a domain right after
 *   an email cue takes the words between the cue and the domain with it.
 */
import { anyCueBefore } from "./cues.ts";
import { connector, endsItem, type Stream, type TokenSpan } from "./tokens.ts";

const TLDS = new Set(
  (
    "com net org edu gov mil int info biz io co uk us ca au nz ie de fr es it nl be ch se no dk fi pl pt " +
    "br mx ar in jp cn kr sg hk za ru eu me tv ly app dev ai online site email name pro mobi xyz tech"
  ).split(" "),
);
const PROVIDERS = new Set(
  "gmail googlemail hotmail yahoo outlook icloud aol protonmail proton gmx zoho yandex msn comcast verizon".split(
    " ",
  ),
);
const DOT_WORDS = new Set(["dot", "period"]);
const JOIN_WORDS = new Set(["underscore", "dash", "hyphen"]);
/** Words that end a spoken local part: it never starts before them. */
const STOP = new Set(
  (
    "is was be it it's its is it me my mine your you i we us our to at on in of for by with from the a an " +
    "and or but so that this there here email e mail address addresses contact reach send write please " +
    "sure yes yeah okay ok it's that's er um uh use using new old"
  ).split(" "),
);
/** Words between an email cue and the address: "my email (address) is …", "it's …". */
const LEAD = new Set("is was it's its it is address email e mail me at on to my the".split(" "));
const EMAIL_CUES = new Set(["email", "emails", "mail", "e-mail", "address"]);
const CONTACT_CUES = new Set([...EMAIL_CUES, "contact", "reach", "send", "write", "emailed", "mailed"]);
/** How far back an email cue still counts, in tokens. */
const WINDOW = 10;

const isLabel = (s: Stream, k: number) => {
  const f = s.tokens[k]?.form;
  return f !== undefined && /^[\p{L}\p{N}]/u.test(f) && !DOT_WORDS.has(f) && f !== "at";
};

/** The domain starting at token d: its end, or null when it is none. */
function domainAt(s: Stream, d: number): number | null {
  if (!isLabel(s, d)) return null;
  const labels = [d];
  let k = d;
  for (;;) {
    const c = connector(s, k);
    if (c === "." && isLabel(s, k + 1)) k += 1;
    else if (
      c === "" &&
      DOT_WORDS.has(s.tokens[k + 1]?.form ?? "") &&
      connector(s, k + 1) !== null &&
      isLabel(s, k + 2)
    )
      k += 2;
    else break;
    labels.push(k);
  }
  const last = s.tokens[labels.at(-1)!]!.form;
  if (labels.length >= 2 && TLDS.has(last)) return k + 1;
  if (PROVIDERS.has(s.tokens[d]!.form)) return d + 1;
  return null;
}

/** The local part ending just before token `end` (exclusive): its first token and whether it has a separator. */
function localBefore(s: Stream, end: number, written: boolean): { start: number; joined: boolean } | null {
  const k = end - 1;
  if (k < 0 || !isLabel(s, k) || (!written && STOP.has(s.tokens[k]!.form))) return null;
  let start = k;
  let joined = false;
  let loose = 0;
  while (start > 0 && end - start < 8) {
    const prev = start - 1;
    const c = connector(s, prev);
    if (c === null) break;
    if ((c === "." || c === "_" || c === "-") && isLabel(s, prev)) {
      start = prev;
      joined = true;
    } else if (c === "" && (DOT_WORDS.has(s.tokens[prev]!.form) || JOIN_WORDS.has(s.tokens[prev]!.form))) {
      if (prev - 1 < 0 || connector(s, prev - 1) !== "" || !isLabel(s, prev - 1)) break;
      if (STOP.has(s.tokens[prev - 1]!.form)) break;
      start = prev - 1;
      joined = true;
    } else if (c === "" && !written && loose < 2 && isLabel(s, prev) && !STOP.has(s.tokens[prev]!.form)) {
      start = prev;
      loose++;
    } else break;
  }
  return { start, joined };
}

/** Email addresses in the stream. */
export function detectEmails(s: Stream): TokenSpan[] {
  const out: TokenSpan[] = [];
  const n = s.tokens.length;
  let covered = -1;
  for (let k = 0; k < n; k++) {
    if (k < covered) continue;
    // "… at <domain>" (spoken) or "…@<domain>" (written)
    const written = connector(s, k) === "@";
    const spoken = s.tokens[k]!.form === "at" && !endsItem(s, k) && connector(s, k) === "";
    if (written || spoken) {
      const domainEnd = domainAt(s, k + 1);
      const local = domainEnd === null ? null : localBefore(s, written ? k + 1 : k, written);
      if (domainEnd !== null && local) {
        const cue = anyCueBefore(s, local.start, CONTACT_CUES, WINDOW) >= 0;
        if (written || cue || local.joined || PROVIDERS.has(s.tokens[k + 1]!.form)) {
          out.push({ start: local.start, end: domainEnd });
          covered = domainEnd;
          continue;
        }
      }
    }
    // "my email is john an example dot com": a domain right after an email cue
    const domainEnd = isLabel(s, k) && !STOP.has(s.tokens[k]!.form) ? domainAt(s, k) : null;
    if (domainEnd === null || domainEnd - k < 2) continue;
    const cueAt = anyCueBefore(s, k, EMAIL_CUES, WINDOW);
    if (cueAt < 0) continue;
    // the words between the cue ("my email address is") and the domain are the local part
    let start = Math.max(cueAt + 1, s.items[s.tokens[k]!.item]!.first);
    while (start < k && LEAD.has(s.tokens[start]!.form)) start++;
    if (k - start > 5) start = k;
    out.push({ start, end: domainEnd });
    covered = domainEnd;
  }
  return out;
}
