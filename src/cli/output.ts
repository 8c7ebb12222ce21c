/** What the CLI prints: JSON, plain tables, transcripts as lines, and a progress bar. Pure but `Progress`. */

export const printJson = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** Columns padded to their widest cell; null and undefined print as "-". */
export function table(header: string[], rows: unknown[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
    .join("\n");
}

/** 75.4 → "1:15.4" */
export function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

interface Item {
  text: string;
  time_start: number;
  speaker_alias?: string;
}

/** One line per transcript item: `[0:01.5] Agent: hello`. */
export const transcriptLines = (items: readonly Item[]) =>
  items.map((i) => `[${clock(i.time_start)}] ${i.speaker_alias ?? "?"}: ${i.text}`).join("\n");

/** `[##########----------]  50%  30.0 of 60.0 s` */
export function progressBar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(f * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${done.toFixed(1)} of ${total.toFixed(1)} s`;
}

/**
 * Progress on stderr: redrawn in place on a terminal, one line per change otherwise (`--progress`
 * in a pipe or a log), nothing when off.
 */
export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
  let last = "";
  const tty = stream.isTTY === true;
  return {
    update(label: string) {
      if (!enabled || label === last) return;
      last = label;
      stream.write(tty ? `\r\x1b[2K${label}` : `${label}\n`);
    },
    done() {
      if (enabled && tty && last) stream.write("\n");
      last = "";
    },
  };
}
