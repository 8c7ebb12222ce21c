/**
 * Delivery throughput benchmark (one process, SQLite, a receiver in another process on loopback):
 *   1. raw limit: a plain loop of the same HTTP client (undici, the egress-guarded dispatcher)
 *      POSTing the same body to the same receiver, 64 in flight;
 *   2. drain: N deliveries committed as finished jobs, then the delivery engine sends them all:
 *      deliveries/s from start to the last one recorded as delivered;
 *   3. steady load at 500/s: enqueue→receive latency p50/p99.
 *
 *   npm run bench:delivery         (N=10000 by default)
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { request } from "undici";
import { loadConfig } from "../src/config.ts";
import { startServer } from "../src/server.ts";
import { enqueueDelivery } from "../test/helpers/enqueue.ts";
import { createEgressGuard } from "../src/net/egress.ts";

const N = Number(process.env.N ?? 10_000);
const RATE = 500;
const STEADY_S = 10;

type Stats = { count: number; latencies: number[] };

function startReceiver(): Promise<{
  child: ChildProcess;
  url: string;
  stats(): Promise<Stats>;
  reset(): void;
}> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), "receiver-child.ts"), [], {
    execArgv: ["--import", "tsx"],
  });
  return new Promise((resolve) => {
    child.once("message", (m: { port: number }) =>
      resolve({
        child,
        url: `http://127.0.0.1:${m.port}/hook?tenant=bench`,
        stats: () =>
          new Promise((r) => {
            child.once("message", (s) => r(s as Stats));
            child.send("stats");
          }),
        reset: () => child.send("reset"),
      }),
    );
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rawLoop(url: string, body: string, total: number, inFlight: number): Promise<number> {
  const { dispatcher } = createEgressGuard({ allow: ["127.0.0.0/8"] });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) {
        const res = await request(url, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
          dispatcher,
        });
        await res.body.dump();
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await dispatcher.close();
  return total / s;
}

async function main() {
  const rx = await startReceiver();
  const dataDir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), "callscribe-bench-delivery-"));
  // DELIVERY_* and CIRCUIT_* from the environment apply, so settings can be compared
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: "silent",
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    NETWORK_ALLOWLIST: "127.0.0.0/8",
  });
  const server = await startServer(config, { logger: pino({ level: "silent" }) });
  try {
    const sample = JSON.stringify({
      status: "S001",
      request_id: "x",
      call_uuid: "y",
      enqueued_at: Date.now(),
    });
    const raw = await rawLoop(rx.url, sample, N, 64);
    rx.reset();

    // drain: commit N finished jobs with their deliveries while the engine is paused, then go
    await server.delivery.stop(0);
    for (let i = 0; i < N; i++) await enqueueDelivery(server.store, rx.url);
    const t0 = performance.now();
    server.delivery.start();
    while ((await server.store.countDeliveries("delivered")) < N) await sleep(20);
    const drain = N / ((performance.now() - t0) / 1000);
    rx.reset();

    // steady 500/s: enqueue in 10 ms ticks, measure enqueue→receive at the receiver
    const ticks = (STEADY_S * 1000) / 10;
    const perTick = RATE / 100;
    const start = performance.now();
    for (let t = 0; t < ticks; t++) {
      for (let i = 0; i < perTick; i++) await enqueueDelivery(server.store, rx.url);
      server.delivery.kick();
      const due = start + (t + 1) * 10;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const total = N + RATE * STEADY_S;
    while ((await server.store.countDeliveries("delivered")) < total) await sleep(20);
    const { latencies } = await rx.stats();

    console.log(
      `delivery engine, SQLite (${dataDir.startsWith(os.tmpdir()) ? "tmpfs/disk temp dir" : dataDir}), ${os.cpus().length} cores, receiver in another process`,
    );
    console.log(`raw client loop (undici, 64 in flight):        ${raw.toFixed(0)} POST/s`);
    console.log(
      `engine drain of ${N} committed deliveries:  ${drain.toFixed(0)} deliveries/s  (${((drain / raw) * 100).toFixed(0)} % of raw)`,
    );
    console.log(
      `steady ${RATE}/s for ${STEADY_S} s: enqueue→receive p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms (${latencies.length} deliveries)`,
    );
  } finally {
    await server.stop();
    rx.child.send("exit");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
