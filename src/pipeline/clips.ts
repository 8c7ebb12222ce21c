/**
 * Stages 2-4, second pass: decode the call again and cut out the voiced regions of the kept
 * channels as clips, one stream per speaker for the recognizer. Clips wait in a small buffer
 * (`maxBufferedS` of audio in all); when it is full, decoding pauses until a recognizer takes one.
 * Only voiced samples are copied, so the work here is proportional to speech, not to call length.
 */
import { SAMPLE_RATE, type Clip } from "../engines/asr/types.ts";
import { decodeStream, frameCount, type PcmBlock } from "./decode.ts";
import type { AudioPlan } from "./prepare.ts";

export interface ClipReader {
  /** the clips of speaker `i` (an index into plan.speakers), in time order; read once */
  clips(i: number): AsyncIterable<Clip>;
  /** stops decoding; unread clips are dropped */
  close(): void;
}

interface Open {
  s0: number;
  s1: number;
  pcm: Int16Array;
}

export function readClips(
  file: string,
  channels: number,
  plan: Pick<AudioPlan, "speakers" | "regions">,
  opts: { maxBufferedS?: number } = {},
): ClipReader {
  const maxBuffered = (opts.maxBufferedS ?? 60) * SAMPLE_RATE;
  const queues = plan.speakers.map(() => [] as Clip[]);
  const abandoned = plan.speakers.map(() => false);
  let buffered = 0;
  let done = false;
  let failure: unknown;
  let closed = false;
  // one wake-up for whoever waits: readers for a clip, the pump for room
  const wake: (() => void)[] = [];
  const notify = () => {
    for (const w of wake.splice(0)) w();
  };
  const changed = () => new Promise<void>((r) => wake.push(r));

  const cursors = plan.speakers.map(() => ({ next: 0, open: undefined as Open | undefined }));
  const range = (i: number, k: number) => {
    const r = plan.regions[i]![k]!;
    return { s0: Math.max(0, Math.round(r.start * SAMPLE_RATE)), s1: Math.round(r.end * SAMPLE_RATE) };
  };
  const emit = (i: number, o: Open, end: number) => {
    const pcm = end - o.s0 < o.pcm.length ? o.pcm.subarray(0, end - o.s0) : o.pcm;
    if (abandoned[i] || pcm.length === 0) return;
    queues[i]!.push({ start: o.s0 / SAMPLE_RATE, end: end / SAMPLE_RATE, pcm });
    buffered += pcm.length;
    notify();
  };

  const cut = (block: PcmBlock) => {
    const b0 = block.offset;
    const b1 = b0 + frameCount(block);
    plan.speakers.forEach((channel, i) => {
      const cur = cursors[i]!;
      const regions = plan.regions[i]!;
      for (;;) {
        if (!cur.open) {
          if (cur.next >= regions.length) return;
          const { s0, s1 } = range(i, cur.next);
          if (s0 >= b1) return;
          cur.open = { s0, s1, pcm: new Int16Array(Math.max(0, s1 - s0)) };
          cur.next++;
        }
        const o = cur.open;
        const from = Math.max(o.s0, b0);
        const to = Math.min(o.s1, b1);
        const { samples } = block;
        for (
          let f = from, j = from - o.s0, k = (from - b0) * channels + channel;
          f < to;
          f++, k += channels
        ) {
          o.pcm[j++] = samples[k]!;
        }
        if (o.s1 > b1) return;
        emit(i, o, o.s1);
        cur.open = undefined;
      }
    });
  };

  const pump = async () => {
    try {
      let end = 0;
      for await (const block of decodeStream(file, channels)) {
        if (closed) break;
        cut(block);
        end = block.offset + frameCount(block);
        while (buffered >= maxBuffered && !closed) await changed();
      }
      // the stream can end a little before the plan's last region (rounding): flush what is open
      cursors.forEach((cur, i) => cur.open && emit(i, cur.open, Math.min(cur.open.s1, end)));
    } catch (e) {
      failure = e;
    } finally {
      done = true;
      notify();
    }
  };
  void pump();

  async function* clips(i: number): AsyncGenerator<Clip> {
    try {
      for (;;) {
        const clip = queues[i]!.shift();
        if (clip) {
          buffered -= clip.pcm.length;
          notify();
          yield clip;
        } else if (failure !== undefined) {
          throw failure;
        } else if (done) {
          return;
        } else {
          await changed();
        }
      }
    } finally {
      abandoned[i] = true;
      for (const c of queues[i]!.splice(0)) buffered -= c.pcm.length;
      notify();
    }
  }

  return {
    clips,
    close() {
      closed = true;
      notify();
    },
  };
}
