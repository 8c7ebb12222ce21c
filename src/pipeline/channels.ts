/**
 * Stage 3: which channels carry distinct speakers? A stereo export of a mono call has the same
 * signal on both sides; transcribing both would duplicate every line.
 */

/** Pure: true when `b` is the same signal as `a` to within -30 dB (or both are silent). */
export function sameSignal(a: Int16Array, b: Int16Array): boolean {
  const n = Math.min(a.length, b.length);
  let energy = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const d = x - b[i]!;
    energy += x * x;
    diff += d * d;
  }
  if (energy === 0) return diff === 0;
  return diff <= energy * 1e-3;
}

/** Indexes of the channels worth transcribing: drop any channel that duplicates an earlier one. */
export function distinctChannels(channels: Int16Array[]): number[] {
  const keep: number[] = [];
  channels.forEach((ch, i) => {
    if (!keep.some((k) => sameSignal(channels[k]!, ch))) keep.push(i);
  });
  return keep;
}
