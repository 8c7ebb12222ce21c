/** Runs an external tool (ffmpeg, ffprobe) and collects stdout as a Buffer; rejects with stderr. */
import { spawn } from "node:child_process";

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} exited with ${exitCode}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

export function runTool(
  tool: string,
  args: string[],
  opts: { timeoutMs?: number; debianPackage?: string } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeoutMs });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => {
      if (err.length < 8192) err += b.toString();
    });
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? new Error(`${tool} is not installed (apt-get install ${opts.debianPackage ?? "ffmpeg"})`, {
              cause: e,
            })
          : e,
      ),
    );
    child.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new ToolError(tool, code, err)),
    );
  });
}
