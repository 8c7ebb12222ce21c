/**
 * Diarization error rate, as NIST md-eval scores it: (missed speech + false alarm + speaker
 * confusion) / total reference speech, over the time left after removing a no-score collar around
 * every reference boundary, with the one-to-one reference→hypothesis speaker mapping that maximises
 * matched time (Hungarian algorithm). Overlapping speech counts once per speaker. Pure.
 */
export interface Turn {
  start: number;
  end: number;
  speaker: string | number;
}

export interface DerResult {
  der: number;
  missed: number;
  falseAlarm: number;
  confusion: number;
  /** reference speech scored (seconds, after the collar) */
  total: number;
  /** hypothesis speaker → reference speaker */
  mapping: Map<string, string>;
}

export function diarizationErrorRate(reference: Turn[], hypothesis: Turn[], collar = 0.25): DerResult {
  const refIds = [...new Set(reference.map((t) => String(t.speaker)))];
  const hypIds = [...new Set(hypothesis.map((t) => String(t.speaker)))];
  // no-score zones around reference boundaries
  const excluded = mergeRanges(
    reference.flatMap((t) => [
      { start: t.start - collar, end: t.start + collar },
      { start: t.end - collar, end: t.end + collar },
    ]),
  );
  const cuts = new Set<number>();
  for (const t of [...reference, ...hypothesis]) cuts.add(t.start).add(t.end);
  for (const e of excluded) cuts.add(e.start).add(e.end);
  const times = [...cuts].sort((a, b) => a - b);

  const active = (turns: Turn[], t: number) =>
    new Set(turns.filter((x) => x.start <= t && t < x.end).map((x) => String(x.speaker)));
  // slices: duration, active ref and hyp speakers
  const slices: { dur: number; ref: Set<string>; hyp: Set<string> }[] = [];
  let e = 0;
  for (let i = 1; i < times.length; i++) {
    const [a, b] = [times[i - 1]!, times[i]!];
    if (b <= a) continue;
    const mid = (a + b) / 2;
    while (e < excluded.length && excluded[e]!.end <= mid) e++;
    if (e < excluded.length && excluded[e]!.start <= mid && mid < excluded[e]!.end) continue;
    const ref = active(reference, mid);
    const hyp = active(hypothesis, mid);
    if (ref.size || hyp.size) slices.push({ dur: b - a, ref, hyp });
  }

  const overlap = refIds.map(() => hypIds.map(() => 0));
  for (const s of slices) {
    for (const r of s.ref) for (const h of s.hyp) overlap[refIds.indexOf(r)]![hypIds.indexOf(h)]! += s.dur;
  }
  const assign = maxAssignment(overlap);
  const mapping = new Map<string, string>();
  assign.forEach((h, r) => h >= 0 && mapping.set(hypIds[h]!, refIds[r]!));

  let missed = 0;
  let falseAlarm = 0;
  let confusion = 0;
  let total = 0;
  for (const s of slices) {
    const nRef = s.ref.size;
    const nHyp = s.hyp.size;
    let correct = 0;
    for (const h of s.hyp) if (s.ref.has(mapping.get(h) ?? "")) correct++;
    total += s.dur * nRef;
    missed += s.dur * Math.max(0, nRef - nHyp);
    falseAlarm += s.dur * Math.max(0, nHyp - nRef);
    confusion += s.dur * (Math.min(nRef, nHyp) - correct);
  }
  const der = total > 0 ? (missed + falseAlarm + confusion) / total : falseAlarm > 0 ? Infinity : 0;
  return { der, missed, falseAlarm, confusion, total, mapping };
}

function mergeRanges(ranges: { start: number; end: number }[]) {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * Row → column (or -1) maximising the summed weights, each column used at most once: the
 * Hungarian algorithm on the square, negated matrix.
 */
export function maxAssignment(w: number[][]): number[] {
  const rows = w.length;
  const cols = Math.max(0, ...w.map((r) => r.length));
  const n = Math.max(rows, cols);
  if (n === 0) return [];
  const cost = (i: number, j: number) => -(w[i - 1]?.[j - 1] ?? 0);
  // e-maxx formulation, 1-based; p[j] = row matched to column j
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(n + 1).fill(0);
  const p = new Array<number>(n + 1).fill(0);
  const way = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(n + 1).fill(Infinity);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost(i0, j) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const out = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= n; j++) {
    const i = p[j]!;
    if (i >= 1 && i <= rows && j <= cols && (w[i - 1]![j - 1] ?? 0) > 0) out[i - 1] = j - 1;
  }
  return out;
}
