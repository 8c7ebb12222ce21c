/**
 * Stage 3: which channels carry distinct speakers? A stereo export of a mono call has the same
 * signal on both sides; transcribing both would duplicate every line. The comparison runs over the
 * decoded stream block by block, so it needs no copy of the call.
 */
import type { PcmBlock } from "./decode.ts";

/** Energy of each channel and of its difference to every earlier channel, summed over the call. */
export interface ChannelComparison {
  add(block: PcmBlock): void;
  /** Indexes of the channels worth transcribing: drops any channel that duplicates an earlier kept one. */
  distinct(): number[];
}

export function compareChannels(channels: number): ChannelComparison {
  const energy = new Float64Array(channels);
  // diff[c * channels + k], k < c
  const diff = new Float64Array(channels * channels);
  return {
    add({ samples }: PcmBlock) {
      for (let f = 0; f < samples.length; f += channels) {
        for (let c = 0; c < channels; c++) {
          const x = samples[f + c]!;
          energy[c]! += x * x;
          for (let k = 0; k < c; k++) {
            const d = samples[f + k]! - x;
            diff[c * channels + k]! += d * d;
          }
        }
      }
    },
    distinct() {
      const keep: number[] = [];
      for (let c = 0; c < channels; c++) {
        if (!keep.some((k) => sameSignal(energy[k]!, diff[c * channels + k]!))) keep.push(c);
      }
      return keep;
    },
  };
}

/** Pure: a channel whose difference to a reference is 30 dB below the reference's energy is the same signal (two silent channels are too). */
export function sameSignal(referenceEnergy: number, diffEnergy: number): boolean {
  if (referenceEnergy === 0) return diffEnergy === 0;
  return diffEnergy <= referenceEnergy * 1e-3;
}

/** The same decision on whole arrays (tools and tests). */
export function distinctChannels(channels: Int16Array[]): number[] {
  const n = channels.length;
  const frames = Math.min(...channels.map((c) => c.length));
  const samples = new Int16Array(frames * n);
  channels.forEach((ch, c) => {
    for (let i = 0; i < frames; i++) samples[i * n + c] = ch[i]!;
  });
  const cmp = compareChannels(n);
  cmp.add({ samples, channels: n, offset: 0 });
  return cmp.distinct();
}
