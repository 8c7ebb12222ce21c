/**
 * `GET /readyz` (readiness, separate from `/healthz` liveness): the database answers, the data
 * directory has room, and the configured ASR/LLM backends can be reached. 503 when any check
 * fails. The body names checks and states only: never a backend URL or an error text.
 */
import { statfs } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import type { Store } from "../store/types.ts";

export type CheckState = "ok" | "unreachable" | "low_disk" | "failed";

export interface ReadinessDeps {
  store: Store;
  dataDir: string;
  minFreeDiskBytes: number;
  /** backends to reach, by check name (e.g. asr, llm); absent ones are not checked */
  backends: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Any HTTP answer means the server is there; only a transport failure counts as unreachable. */
async function reachable(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(new URL(url).origin, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export async function readiness(d: ReadinessDeps): Promise<Record<string, CheckState>> {
  const timeoutMs = d.timeoutMs ?? 2000;
  const checks: Array<Promise<[string, CheckState]>> = [
    d.store.countJobs("queued").then(
      (): [string, CheckState] => ["database", "ok"],
      (): [string, CheckState] => ["database", "failed"],
    ),
    statfs(d.dataDir).then(
      (s): [string, CheckState] => ["disk", s.bavail * s.bsize >= d.minFreeDiskBytes ? "ok" : "low_disk"],
      (): [string, CheckState] => ["disk", "failed"],
    ),
  ];
  for (const [name, url] of Object.entries(d.backends)) {
    if (url)
      checks.push(
        reachable(url, timeoutMs).then((ok): [string, CheckState] => [name, ok ? "ok" : "unreachable"]),
      );
  }
  return Object.fromEntries(await Promise.all(checks));
}

export function registerReadiness(app: FastifyInstance, d: ReadinessDeps): void {
  app.get("/readyz", async (_req, reply) => {
    const checks = await readiness(d);
    const ready = Object.values(checks).every((s) => s === "ok");
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks });
  });
}
