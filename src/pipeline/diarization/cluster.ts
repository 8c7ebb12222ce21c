/**
 * Clustering of segments into speakers with the BIC (each cluster one full-covariance Gaussian,
 * kept as sufficient statistics):
 *   1. linear: neighbours in time whose ΔBIC says "one model" are joined (a turn cut into pieces
 *      by the change detector or by pauses becomes one cluster again);
 *   2. agglomerative: the closest pair (lowest ΔBIC) is merged until at most `max` are left and no
 *      pair says "one model" any more, or `min` are left. Each row keeps its nearest neighbour, so a
 *      merge costs one row of ΔBICs. Past `MAX_AGGLOMERATIVE` clusters (calls of many hours) it
 *      runs on consecutive blocks first, then on the blocks' clusters: memory and time stay bounded.
 */
import { addStats, deltaBic, type Stats } from "./gaussian.ts";

export interface ClusterOptions {
  min: number;
  max: number;
  /** weight of the BIC penalty (1 in the textbook) */
  lambda: number;
  /** merging continues while the best ΔBIC is below this (0: the BIC's own decision) */
  threshold: number;
}

export interface Clustering {
  /** cluster index (0…count-1, in order of first segment) per segment */
  labels: number[];
  count: number;
}

const MAX_AGGLOMERATIVE = 600;

/** Segments in time order → speaker labels. */
export function clusterSegments(segments: Stats[], opts: ClusterOptions): Clustering {
  if (segments.length === 0) return { labels: [], count: 0 };
  // 1. linear clustering of neighbours
  const groups: { stats: Stats; members: number[] }[] = [];
  segments.forEach((s, i) => {
    const last = groups[groups.length - 1];
    if (last && deltaBic(last.stats, s, opts.lambda) < opts.threshold) {
      last.stats = addStats(last.stats, s);
      last.members.push(i);
    } else groups.push({ stats: s, members: [i] });
  });
  // 2. agglomerative, in blocks when there are too many
  let clusters = groups.map((g) => ({ stats: g.stats, members: g.members }));
  while (clusters.length > MAX_AGGLOMERATIVE) {
    const next: typeof clusters = [];
    for (let b = 0; b < clusters.length; b += MAX_AGGLOMERATIVE / 2) {
      const block = clusters.slice(b, b + MAX_AGGLOMERATIVE / 2);
      // within a block: the BIC's decision, but never fewer than the speakers sought
      next.push(...merge(block, { ...opts, min: Math.min(block.length, opts.max), max: block.length }));
    }
    if (next.length >= clusters.length) break; // nothing merged: give up on blocks
    clusters = next;
  }
  clusters = merge(clusters, opts);

  const owner = new Int32Array(segments.length);
  clusters.forEach((c, k) => c.members.forEach((s) => (owner[s] = k)));
  // number the clusters by their first segment
  const ids = new Map<number, number>();
  const labels = Array.from(owner, (c) => {
    if (!ids.has(c)) ids.set(c, ids.size);
    return ids.get(c)!;
  });
  return { labels, count: ids.size };
}

type Cluster = { stats: Stats; members: number[] };

function merge(input: Cluster[], opts: ClusterOptions): Cluster[] {
  const n = input.length;
  const live: (Cluster | null)[] = input.map((c) => ({ stats: c.stats, members: [...c.members] }));
  const dist = new Float64Array(n * n).fill(Infinity);
  const best = new Int32Array(n).fill(-1);
  const bic = (i: number, j: number) => deltaBic(live[i]!.stats, live[j]!.stats, opts.lambda);
  const rescan = (i: number) => {
    let b = -1;
    for (let j = 0; j < n; j++)
      if (j !== i && live[j] && (b < 0 || dist[i * n + j]! < dist[i * n + b]!)) b = j;
    best[i] = b;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = bic(i, j);
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
  }
  for (let i = 0; i < n; i++) rescan(i);

  for (let count = n; ; count--) {
    let a = -1;
    for (let i = 0; i < n; i++) {
      if (live[i] && best[i]! >= 0 && (a < 0 || dist[i * n + best[i]!]! < dist[a * n + best[a]!]!)) a = i;
    }
    if (a < 0) break;
    const b = best[a]!;
    if (count <= opts.min || (count <= opts.max && dist[a * n + b]! >= opts.threshold)) break;
    live[a] = {
      stats: addStats(live[a]!.stats, live[b]!.stats),
      members: [...live[a]!.members, ...live[b]!.members],
    };
    live[b] = null;
    for (let j = 0; j < n; j++) {
      dist[b * n + j] = Infinity;
      dist[j * n + b] = Infinity;
      if (j !== a && live[j]) {
        const d = bic(a, j);
        dist[a * n + j] = d;
        dist[j * n + a] = d;
      }
    }
    for (let i = 0; i < n; i++) {
      if (!live[i]) continue;
      if (i === a || best[i] === a || best[i] === b) rescan(i);
      else if (dist[i * n + a]! < dist[i * n + best[i]!]!) best[i] = a;
    }
  }
  return live.filter((c): c is Cluster => c !== null);
}
