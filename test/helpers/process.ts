/** The real server as a child process (`src/main.ts`, as `npm start` runs it), for crash tests. */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { poll } from "./server.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Peak resident memory of a process (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, `no VmHWM for ${pid}`);
  return Number(m[1]) / 1024;
}

let built = false;
/** The compiled server, as `npm start` runs it (built once per test process; tsc is incremental). */
export function compiledMain(): string {
  if (!built) execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
  built = true;
  return "dist/src/main.js";
}

/**
 * Starts `src/main.ts` with `args` (or the compiled server with `compiled: true`); `onLine`
 * receives each line it writes to stdout.
 */
export function startProcess(
  env: Record<string, string>,
  args: string[] = [],
  onLine?: (line: string) => void,
  opts: { compiled?: boolean } = {},
): ChildProcess {
  const entry = opts.compiled ? [compiledMain()] : ["--import", "tsx", "src/main.ts"];
  const child = spawn(process.execPath, [...entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", onLine ? "pipe" : "ignore", "inherit"],
  });
  if (onLine) {
    let rest = "";
    child.stdout!.on("data", (b: Buffer) => {
      const lines = (rest + b.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      lines.forEach(onLine);
    });
  }
  return child;
}

export async function waitHealthy(url: string) {
  await poll(async () => {
    try {
      return (await fetch(`${url}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 60_000);
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

export async function submit(url: string, file: string, fields: Record<string, string>): Promise<Json> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", new Blob([readFileSync(file)]), "call.wav");
  const res = await fetch(`${url}/transcribe`, { method: "POST", body: form });
  assert.equal(res.status, 202);
  return (await res.json()) as Json;
}

/**
 * The server in its own process on a free loopback port, healthy: a blocked event loop there
 * cannot hide behind the test's own. `stop()` kills it.
 */
export async function startServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { compiled?: boolean } = {},
) {
  const { freePort } = await import("./net.ts");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startProcess(
    {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
      ...env,
    },
    [],
    undefined,
    opts,
  );
  await waitHealthy(url);
  return { url, pid: child.pid!, stop: () => kill9(child) };
}
