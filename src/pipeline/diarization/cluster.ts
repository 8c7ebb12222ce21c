/**
 * Agglomerative clustering of segments with the BIC: each cluster is one full-covariance Gaussian
 * (its sufficient statistics), the closest pair (lowest ΔBIC) is merged until the count reaches
 * `max` and no pair says "two models" any more, or the count reaches `min`. Each row keeps its
 * nearest neighbour, so a merge costs one row of ΔBICs instead of a rescan of all pairs.
 */
import { addStats, deltaBic, type Stats } from "./gaussian.ts";

export interface ClusterOptions {
  min: number;
  max: number;
  lambda: number;
  /** merging continues while the best ΔBIC is below this (0: the BIC's own decision) */
  threshold: number;
}

export interface Clustering {
  /** cluster index (0…k-1, in order of first segment) per segment */
  labels: number[];
  count: number;
  /** ΔBIC of the pair that would merge next (Infinity when one cluster is left) */
  nextDelta: number;
}

export function clusterSegments(segments: Stats[], opts: ClusterOptions): Clustering {
  const n = segments.length;
  if (n === 0) return { labels: [], count: 0, nextDelta: Infinity };
  const stats: (Stats | null)[] = [...segments];
  const owner = segments.map((_, i) => i); // segment → live cluster id
  const dist = new Float64Array(n * n).fill(Infinity);
  const best = new Int32Array(n).fill(-1);
  const bic = (i: number, j: number) => deltaBic(stats[i]!, stats[j]!, opts.lambda);
  const rescan = (i: number) => {
    let b = -1;
    for (let j = 0; j < n; j++) if (j !== i && stats[j] && (b < 0 || dist[i * n + j]! < dist[i * n + b]!)) b = j;
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

  let count = n;
  let nextDelta = Infinity;
  for (;;) {
    let a = -1;
    for (let i = 0; i < n; i++) {
      if (stats[i] && best[i]! >= 0 && (a < 0 || dist[i * n + best[i]!]! < dist[a * n + best[a]!]!)) a = i;
    }
    if (a < 0) break;
    const b = best[a]!;
    const delta = dist[a * n + b]!;
    nextDelta = delta;
    if (count <= opts.min || (count <= opts.max && delta >= opts.threshold)) break;
    // merge b into a
    stats[a] = addStats(stats[a]!, stats[b]!);
    stats[b] = null;
    for (let s = 0; s < n; s++) if (owner[s] === b) owner[s] = a;
    count--;
    nextDelta = Infinity;
    for (let j = 0; j < n; j++) {
      dist[b * n + j] = Infinity;
      dist[j * n + b] = Infinity;
      if (j !== a && stats[j]) {
        const d = bic(a, j);
        dist[a * n + j] = d;
        dist[j * n + a] = d;
      }
    }
    for (let i = 0; i < n; i++) {
      if (!stats[i]) continue;
      if (i === a || best[i] === a || best[i] === b) rescan(i);
      else if (dist[i * n + a]! < dist[i * n + best[i]!]!) best[i] = a;
    }
  }
  // number the clusters by their first segment
  const ids = new Map<number, number>();
  const labels = owner.map((c) => {
    if (!ids.has(c)) ids.set(c, ids.size);
    return ids.get(c)!;
  });
  return { labels, count: ids.size, nextDelta };
}
