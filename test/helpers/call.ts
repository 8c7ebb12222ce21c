/**
 * A scripted two-channel call made with flite + sox: agent lines on the left channel, customer
 * lines on the right, with gaps, so each channel is one speaker.
 */
import { join } from "node:path";
import { concatPcm, sayPcm, silence, writeWav, RATE } from "./audio.ts";

export const CALL_SCRIPT: Array<{ speaker: 0 | 1; text: string }> = [
  { speaker: 0, text: "Thank you for calling customer support. How can I help you today?" },
  { speaker: 1, text: "Hello. I was charged twice on my last bill and I would like a refund." },
  { speaker: 0, text: "I am sorry about that. Let me check your account." },
  { speaker: 1, text: "Thank you. My account number is four five six." },
  { speaker: 0, text: "I can see the duplicate charge. I will refund it today." },
  { speaker: 1, text: "Great. Thank you very much for your help." },
];

const VOICES = ["slt", "rms"] as const;

export interface ScriptedCall {
  path: string;
  duration: number;
  /** script text per speaker, joined */
  reference: [string, string];
  /** start time of each line, in script order */
  starts: number[];
}

export function makeTwoChannelCall(dir: string, gapS = 0.6): ScriptedCall {
  const channels: Int16Array[][] = [[silence(0.5)], [silence(0.5)]];
  let t = 0.5;
  const starts: number[] = [];
  for (const line of CALL_SCRIPT) {
    const speech = sayPcm(line.text, VOICES[line.speaker]);
    const other = line.speaker === 0 ? 1 : 0;
    starts.push(t);
    channels[line.speaker]!.push(speech, silence(gapS));
    channels[other]!.push(silence(speech.length / RATE + gapS));
    t += speech.length / RATE + gapS;
  }
  const left = concatPcm(...channels[0]!);
  const right = concatPcm(...channels[1]!);
  const path = writeWav(join(dir, "call.wav"), [left, right]);
  const reference = [0, 1].map((s) =>
    CALL_SCRIPT.filter((l) => l.speaker === s)
      .map((l) => l.text)
      .join(" "),
  ) as [string, string];
  return { path, duration: left.length / RATE, reference, starts };
}

/**
 * `seconds` of the script's turns repeated, two channels (slt agent, rms customer), 0.7 s between
 * turns: the benchmarks' one-minute call (longer calls loop it with ffmpeg).
 */
export function writeMinuteCall(dir: string, seconds = 60): string {
  const lines = CALL_SCRIPT.map((l) => ({ speaker: l.speaker, pcm: sayPcm(l.text, VOICES[l.speaker]) }));
  const ch: Int16Array[][] = [[], []];
  let t = 0;
  for (let i = 0; ; i++) {
    const line = lines[i % lines.length]!;
    const len = line.pcm.length / RATE + 0.7;
    if (t + len > seconds) break;
    ch[line.speaker]!.push(line.pcm, silence(0.7));
    ch[1 - line.speaker]!.push(silence(len));
    t += len;
  }
  const pad = (parts: Int16Array[]) => {
    const pcm = concatPcm(...parts);
    return concatPcm(pcm, silence(seconds - pcm.length / RATE));
  };
  return writeWav(join(dir, "call-1min.wav"), [pad(ch[0]!), pad(ch[1]!)]);
}
