/**
 * Topical segmentation: score each turn against the taxonomy, smooth over a three-turn window,
 * cut the call where the winning topic changes, fold chit-chat and thin segments into their
 * neighbours, then group segments by topic. Pure and deterministic (ties go to taxonomy order).
 */
import { findPhrase, type Turn } from "./text.ts";
import type { Taxonomy, Topic } from "./taxonomy.ts";

export interface TopicGroup {
  topic: Topic;
  /** in call order */
  turns: Turn[];
  /** summed keyword weight of this topic over its turns */
  score: number;
  /** false when nothing in the call matched any topic (the group is then General Enquiry) */
  matched: boolean;
}

/** The customer says why they called; the agent's words echo many topics. */
const ROLE_WEIGHT = { customer: 1.5, unknown: 1.2, agent: 1 } as const;
/** The reason for calling is usually stated in the customer's first topical turns. */
const OPENING_BOOST = 1.5;
const OPENING_TURNS = 2;
const MIN_LABEL_SCORE = 2;
const MIN_SEGMENT_SCORE = 3;
/** A second topic needs this share of the main topic's weight and this many turns mentioning it. */
const MINOR_TOPIC_SHARE = 0.4;
const MINOR_TOPIC_TURNS = 2;

/** Keyword weight per topic for one turn; longer phrases claim their words first. */
export function scoreTurn(turn: Turn, topics: readonly Topic[]): number[] {
  return topics.map((topic) => {
    const taken = new Array<boolean>(turn.stems.length).fill(false);
    const terms = [...topic.terms].sort((a, b) => b.stems.length - a.stems.length);
    let score = 0;
    for (const term of terms) {
      for (const at of findPhrase(turn.stems, term.stems)) {
        let free = true;
        for (let k = at; k < at + term.stems.length; k++) if (taken[k]) free = false;
        if (!free) continue;
        for (let k = at; k < at + term.stems.length; k++) taken[k] = true;
        score += term.weight;
      }
    }
    return score * ROLE_WEIGHT[turn.role];
  });
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

interface Seg {
  topic: number;
  turns: Turn[];
  score: number;
}

function segScore(seg: Seg, raw: readonly number[][]): number {
  return seg.turns.reduce((s, t) => s + raw[t.index]![seg.topic]!, 0);
}

export function segmentCall(turns: readonly Turn[], tax: Taxonomy, fallback: Topic): TopicGroup[] {
  if (turns.length === 0) return [];
  const n = tax.topics.length;
  const raw = turns.map((t) => scoreTurn(t, tax.topics));
  let opening = 0;
  for (const t of turns) {
    if (opening >= OPENING_TURNS) break;
    if (t.role === "agent" || Math.max(...raw[t.index]!) <= 0) continue;
    raw[t.index] = raw[t.index]!.map((s) => s * OPENING_BOOST);
    opening++;
  }

  // Label each turn by its smoothed window; weak turns stay unlabelled (greetings, "okay", closings).
  const labels = turns.map((_, i) => {
    const win = Array.from({ length: n }, (_, k) => {
      const prev = raw[i - 1]?.[k] ?? 0;
      const next = raw[i + 1]?.[k] ?? 0;
      return raw[i]![k]! + 0.5 * (prev + next);
    });
    const best = argmax(win);
    return win[best]! >= MIN_LABEL_SCORE ? best : -1;
  });
  if (labels.every((l) => l < 0)) {
    const total = raw.reduce((s, r) => r.map((x, k) => x + s[k]!), new Array<number>(n).fill(0));
    const best = argmax(total);
    if (total[best]! <= 0) return [{ topic: fallback, turns: [...turns], score: 0, matched: false }];
    labels.fill(best);
  }

  // Unlabelled turns join the segment before them (closings), or the first one (greetings).
  const firstLabel = labels.find((l) => l >= 0)!;
  let segs: Seg[] = [];
  let current = firstLabel;
  for (const t of turns) {
    const l = labels[t.index]!;
    if (l >= 0) current = l;
    const last = segs[segs.length - 1];
    if (last && last.topic === current) last.turns.push(t);
    else segs.push({ topic: current, turns: [t], score: 0 });
  }

  // A topic interrupted by another and then resumed is one topic ("refund" inside a billing dispute).
  for (let i = 1; i + 1 < segs.length; i++) {
    const [prev, mid, next] = [segs[i - 1]!, segs[i]!, segs[i + 1]!];
    if (prev.topic !== next.topic || segScore(mid, raw) >= segScore(prev, raw) + segScore(next, raw))
      continue;
    segs.splice(i - 1, 3, {
      topic: prev.topic,
      turns: [...prev.turns, ...mid.turns, ...next.turns],
      score: 0,
    });
    i = 0;
  }

  // Fold thin segments into the stronger neighbour until every segment stands on its own.
  for (;;) {
    for (const s of segs) s.score = segScore(s, raw);
    const weak = segs
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.score < MIN_SEGMENT_SCORE)
      .sort((a, b) => a.s.score - b.s.score || a.i - b.i)[0];
    if (!weak || segs.length === 1) break;
    const prev = segs[weak.i - 1];
    const next = segs[weak.i + 1];
    const into = !next || (prev && prev.score >= next.score) ? prev! : next;
    const merged: Seg = {
      topic: into.topic,
      turns: [...(into === prev ? prev.turns : []), ...weak.s.turns, ...(into === next ? next.turns : [])],
      score: 0,
    };
    segs.splice(into === prev ? weak.i - 1 : weak.i, 2, merged);
    segs = segs.reduce<Seg[]>((acc, s) => {
      const last = acc[acc.length - 1];
      if (last && last.topic === s.topic) last.turns.push(...s.turns);
      else acc.push(s);
      return acc;
    }, []);
  }

  const groups = new Map<number, Seg>();
  for (const s of segs) {
    const g = groups.get(s.topic);
    if (g) g.turns.push(...s.turns);
    else groups.set(s.topic, { topic: s.topic, turns: [...s.turns], score: 0 });
  }
  for (const g of groups.values()) g.score = segScore(g, raw);
  const ordered = [...groups.values()].sort(
    (a, b) => b.score - a.score || a.turns[0]!.index - b.turns[0]!.index,
  );
  const top = ordered[0]!;
  const evidence = (g: Seg) => g.turns.filter((t) => raw[t.index]![g.topic]! > 0).length;
  const kept = ordered.filter(
    (g) => g === top || (g.score >= MINOR_TOPIC_SHARE * top.score && evidence(g) >= MINOR_TOPIC_TURNS),
  );
  for (const g of ordered) if (!kept.includes(g)) top.turns.push(...g.turns);
  top.turns.sort((a, b) => a.index - b.index);
  return kept.map((g) => ({ topic: tax.topics[g.topic]!, turns: g.turns, score: g.score, matched: true }));
}
