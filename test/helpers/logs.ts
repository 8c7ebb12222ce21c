/** A pino logger whose JSON lines are kept in memory, so tests can assert what was (not) logged. */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

export interface CapturedLogs {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  /** every line as one string, for "never appears" checks */
  text(): string;
}

export function captureLogs(level = "debug"): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines, text: () => lines.map((l) => JSON.stringify(l)).join("\n") };
}
