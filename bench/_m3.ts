import { readFileSync } from "node:fs";
import { createPocketsphinxRecognizer } from "../src/engines/asr/pocketsphinx.ts";
import { clipsOf } from "../src/engines/asr/types.ts";
const st = () => {
  const s = readFileSync("/proc/self/status", "utf8");
  return ["VmRSS", "RssAnon"]
    .map((k) => s.match(new RegExp(k + ":\\s+(\\d+)"))![1]!)
    .map((x) => Math.round(+x / 1024))
    .join("/");
};
const extra = JSON.parse(process.env.EXTRA ?? "{}");
const b = st();
const r = createPocketsphinxRecognizer({ poolSize: 1, tuning: { extra } });
const pcm = new Int16Array(16000 * 5).map(() => Math.round((Math.random() - 0.5) * 2000));
await r.recognize({ clips: clipsOf(pcm, [{ start: 0, end: 5 }]), lang: "en" });
console.log(JSON.stringify(extra), b, "->", st());
await r.close();
