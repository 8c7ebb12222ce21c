/**
 * Delivery throughput benchmark, everything against one receiver process on loopback, 64 in flight:
 *   - raw limit: a plain loop of the same HTTP client (undici, egress-guarded dispatcher) sending
 *     the same requests (the engine's headers; so does the BullMQ sender);
 *   - drain of N committed deliveries by: the SQLite engine (in process), the Postgres engine with
 *     1 and 2 worker processes (`--role worker`), a BullMQ sender on the local Redis (the peer
 *     baseline: no persistence, no attempt records), and the floor of a durable queue
 *     (durable-floor.ts: claim, send, record on SQLite, nothing else);
 *   - at 0.5 KB, 50 KB and 500 KB bodies (a 10-minute call's transcript is ~50 KB);
 *   - each engine (and the raw loop) first sends a fifth of the drain, at most WARM (2000), untimed:
 *     worker processes start with a cold JIT, the bench process is warm after one round;
 *   - the SQLite engine alone, without HTTP (a sender that answers at once): its own CPU per delivery;
 *   - steady 500/s on SQLite: enqueue→receive p50/p99;
 *   - claim time of the retry lane with no backlog, with BACKLOG (1M) pending retries not due, and
 *     with BUSY_BACKLOG (100k) due retries of a host the claim leaves out as well;
 *   - jobs created per second through the Postgres store (JOBS, 1 and 10 at once), against the
 *     same INSERT on a plain pool.
 *
 *   npm run bench:delivery        (N=10000, N_LARGE=3000, N_HUGE=500, BACKLOG=1000000, BUSY_BACKLOG=100000, ROUNDS=3 by default;
 *                                  ONLY=sqlite,floor,pg1,pg2,bullmq,alone,steady picks parts;
 *                                  sqlitemain, only when named: the SQLite engine with SQLITE_THREAD=off)
 *   BASE_TREE=/tmp/old ONLY=pg1,pg1base ROUNDS=5 npm run bench:delivery
 *                                 (the SQLite engine and Postgres worker of another checkout, e.g. `git worktree add /tmp/old <rev>`
 *                                  with node_modules linked, in the same rounds: an A/B of two versions)
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import inspector from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import pino from "pino";
import { request } from "undici";
import { loadConfig } from "../src/config.ts";
import { BASE_HEADERS, createWebhookSender } from "../src/delivery/sender.ts";
import { createDeliveryWorker } from "../src/delivery/worker.ts";
import { createMetrics } from "../src/metrics.ts";
import { timeOrderedId } from "../src/core/time-ordered-id.ts";
import { createEgressGuard } from "../src/net/egress.ts";
import { deliveryWorkerSettings, startServer } from "../src/server.ts";
import { openPostgresStore } from "../src/store/postgres.ts";
import { insertJob, notify } from "../src/store/postgres-sql.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { openSqliteStoreThread } from "../src/store/sqlite-thread.ts";
import type { Store } from "../src/store/types.ts";
import { insertPostgresBacklog, insertSqliteBacklog } from "../test/helpers/backlog.ts";
import { enqueueDelivery } from "../test/helpers/enqueue.ts";
import { percentile } from "../test/helpers/latency.ts";
import { firstAttemptHeaders, openFloorQueue } from "./durable-floor.ts";
import { dropSchema, freshSchema, PG_URL } from "../test/helpers/postgres.ts";

const N = Number(process.env.N ?? 10_000);
const N_LARGE = Number(process.env.N_LARGE ?? 3000);
/** deliveries of 500 KB (the issue's third size; 0 leaves the column out) */
const N_HUGE = Number(process.env.N_HUGE ?? 500);
const BACKLOG = Number(process.env.BACKLOG ?? 1_000_000);
const BUSY_BACKLOG = Number(process.env.BUSY_BACKLOG ?? 100_000);
/** rounds of every drain, interleaved; the table shows medians */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** BASE_TREE=<checkout with node_modules>: its engines as more engines (`sqlitebase`, `pg1base`), to compare code */
const BASE_TREE = process.env.BASE_TREE;
/** e.g. ONLY=sqlite,bullmq: only those drains (and the raw loop), no steady/claim runs unless listed */
const ONLY = (process.env.ONLY ?? "").split(",").filter(Boolean);
/** drains that run only when ONLY names them */
const OPT_IN = ["sqlitemain"];
/**
 * Deliveries each engine sends, untimed, before its timed drain (at most a fifth of it): a worker
 * process starts with a cold JIT, while the bench process that runs the others is warm after one round.
 */
const WARM = Number(process.env.WARM ?? 2000);
const warmCount = (n: number) => Math.min(WARM, Math.ceil(n / 5));
const JOBS = Number(process.env.JOBS ?? 2000);
const RATE = 500;
const STEADY_S = 10;
const IN_FLIGHT = 64;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");

type Stats = { count: number; latencies: number[] };

function startReceiver(): Promise<{
  child: ChildProcess;
  url: string;
  stats(): Promise<Stats>;
  count(): Promise<number>;
  reset(): void;
}> {
  const child = fork(path.join(here, "receiver-child.ts"), [], { execArgv: ["--import", "tsx"] });
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
        count: () =>
          new Promise((r) => {
            child.once("message", (s) => r((s as { count: number }).count));
            child.send("count");
          }),
        reset: () => child.send("reset"),
      }),
    );
  });
}

/** CPU seconds used by the process or thread at /proc/<task> (`1234`, `self/task/5678`); 0 if it is gone */
function cpuSecondsOf(task: number | string) {
  try {
    const f = readFileSync(`/proc/${task}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}
/** CPU seconds of each thread of this process, by thread id */
const threadTimes = () =>
  new Map(readdirSync("/proc/self/task").map((tid) => [tid, cpuSecondsOf(`self/task/${tid}`)]));
/** CPU seconds used so far: this process's threads (main, each other) and the receiver's (Linux /proc) */
function cpuTimes(receiverPid: number) {
  return { threads: threadTimes(), receiver: cpuSecondsOf(receiverPid) };
}
/**
 * CPU seconds of the worker processes, of every postgres server process (by pid: a backend that
 * ends between two readings must not subtract its time), and of the receiver
 */
function processCpu(workerPids: number[], receiverPid: number) {
  const isPostgres = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres");
    } catch {
      return false;
    }
  };
  const postgres = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && isPostgres(p));
  return {
    workers: workerPids.reduce((t, p) => t + cpuSecondsOf(p), 0),
    postgres: new Map(postgres.map((p) => [p, cpuSecondsOf(p)])),
    receiver: cpuSecondsOf(receiverPid),
  };
}
/** CPU seconds spent on n deliveries, in µs per delivery */
const perDelivery = (seconds: number, n: number) => ((seconds * 1e6) / n).toFixed(0);

/** per delivery, µs: what each part used between two readings (a backend gone since the first is left out) */
function processCpuSince(
  before: ReturnType<typeof processCpu>,
  after: ReturnType<typeof processCpu>,
  n: number,
) {
  const us = (s: number) => perDelivery(s, n);
  let postgres = 0;
  for (const [pid, t] of after.postgres) postgres += t - (before.postgres.get(pid) ?? 0);
  return `workers ${us(after.workers - before.workers)}, postgres ${us(postgres)}, receiver ${us(after.receiver - before.receiver)}`;
}

/** CPU µs per delivery of this process's threads since `before`: the main thread, the busiest other (the SQLite store's), the rest */
function threadsSince(
  before: ReturnType<typeof threadTimes>,
  now: ReturnType<typeof threadTimes>,
  n: number,
) {
  const used = [...now].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)] as const);
  const main = used.find(([tid]) => tid === String(process.pid))![1];
  const others = used.filter(([tid]) => tid !== String(process.pid)).map(([, t]) => t);
  const busiest = Math.max(0, ...others);
  const rest = others.reduce((a, b) => a + b, 0) - busiest;
  return { main: (main * 1e6) / n, busiest: (busiest * 1e6) / n, rest: (rest * 1e6) / n };
}

/** BENCH_CPU=1: where the CPU of a drain went, per delivery; the busiest other thread is the SQLite store's */
function cpuSince(before: ReturnType<typeof cpuTimes>, receiverPid: number, n: number) {
  const now = cpuTimes(receiverPid);
  const t = threadsSince(before.threads, now.threads, n);
  const us = (x: number) => x.toFixed(0);
  return `main ${us(t.main)}, busiest other thread ${us(t.busiest)}, the rest ${us(t.rest)} (GC, libuv), receiver ${perDelivery(now.receiver - before.receiver, n)}`;
}

/** PROFILE_DIR=…: a CPU profile of the main thread during each SQLite drain (nothing else) */
async function startProfile() {
  const dir = process.env.PROFILE_DIR;
  if (!dir) return null;
  const session = new inspector.Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(name: string) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(path.join(dir, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Rx = Awaited<ReturnType<typeof startReceiver>>;

/**
 * Every engine is timed the same way: until the receiver (another process) has taken all n.
 * Polling the engine's own table instead would run a COUNT(*) on its event loop 40 times a second.
 */
async function received(rx: Rx, n: number): Promise<void> {
  while ((await rx.count()) < n) await sleep(25);
}
const bodyOf = (bytes: number) => {
  const base = { status: "S001", request_id: "x", call_uuid: "y", enqueued_at: Date.now(), pad: "" };
  return { ...base, pad: "x".repeat(Math.max(0, bytes - JSON.stringify(base).length)) };
};

/**
 * What the engines send with a first attempt of a delivery (unsigned: they run here without
 * WEBHOOK_SIGNING_SECRET). The raw loop and the BullMQ sender send the same, so every drain puts
 * the same requests on the wire: with only `content-type`, the raw loop was ~12 % faster.
 */
const wireHeaders = (url: string, body: string) => ({
  ...BASE_HEADERS,
  ...firstAttemptHeaders(timeOrderedId(), url, body, Date.now()),
});

async function rawLoop(rx: Rx, body: string, total: number): Promise<number> {
  const { dispatcher } = createEgressGuard({ allow: ["127.0.0.0/8"] });
  const url = rx.url;
  const headers = wireHeaders(url, body);
  const loop = (count: number) => {
    let next = 0;
    return Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < count) {
          const res = await request(url, { method: "POST", body, headers, dispatcher });
          await res.body.dump();
        }
      }),
    );
  };
  await loop(warmCount(total));
  const cpu0 = cpuTimes(rx.child.pid!);
  const t0 = performance.now();
  await loop(total);
  const s = (performance.now() - t0) / 1000;
  if (process.env.BENCH_CPU)
    console.log(`  raw ${total}: CPU µs per delivery ${cpuSince(cpu0, rx.child.pid!, total)}`);
  await dispatcher.close();
  return total / s;
}

async function enqueueMany(store: Store, url: string, n: number, body: object, now?: number) {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => enqueueDelivery(store, url, { body, now })),
    );
  }
}

/** Sends `count` deliveries through an engine that is running and waits until all are received and recorded. */
async function warmUp(rx: Rx, store: Store, count: number, body: object) {
  rx.reset();
  await enqueueMany(store, rx.url, count, body);
  await received(rx, count);
  while ((await store.countDeliveries("delivered")) < count) await sleep(5);
  rx.reset();
}

const engineEnv = (dataDir: string) => ({
  LOG_LEVEL: "silent",
  PORT: "0",
  HOST: "127.0.0.1",
  DATA_DIR: dataDir,
  NETWORK_ALLOWLIST: "127.0.0.0/8",
  DELIVERY_CONCURRENCY: String(IN_FLIGHT),
  // the figures in the README are with the store on its own thread (SQLITE_THREAD=off to compare)
  SQLITE_THREAD: process.env.SQLITE_THREAD ?? "on",
  POLL_MS: "200",
});

type ServerModules = { startServer: typeof startServer; loadConfig: typeof loadConfig };

async function sqliteDrain(
  rx: Rx,
  n: number,
  body: object,
  dataDir: string,
  code: ServerModules = { startServer, loadConfig },
  env: Record<string, string> = {},
) {
  const server = await code.startServer(code.loadConfig({ ...process.env, ...engineEnv(dataDir), ...env }), {
    logger: pino({ level: "silent" }),
  });
  try {
    const warm = warmCount(n);
    await warmUp(rx, server.store, warm, body);
    await server.delivery.stop(0);
    await enqueueMany(server.store, rx.url, n, body);
    rx.reset();
    const profile = await startProfile();
    const cpu0 = cpuTimes(rx.child.pid!);
    const t0 = performance.now();
    server.delivery.start();
    await received(rx, n);
    const rate = n / ((performance.now() - t0) / 1000);
    await profile?.stop(`sqlite-${n}`);
    if (process.env.BENCH_CPU)
      console.log(
        `  SQLite${code.startServer === startServer ? "" : " (base)"} ${n}: CPU µs per delivery ${cpuSince(cpu0, rx.child.pid!, n)}`,
      );
    while ((await server.store.countDeliveries("delivered")) < warm + n) await sleep(5); // and recorded
    return rate;
  } finally {
    await server.stop();
  }
}

/** The floor of a durable queue (durable-floor.ts), timed like the engines: until the receiver has all n. */
async function floorDrain(rx: Rx, n: number, body: object, dataDir: string) {
  const queue = openFloorQueue(path.join(dataDir, "floor.db"));
  const { dispatcher } = createEgressGuard({ allow: ["127.0.0.0/8"] });
  const send = createWebhookSender(dispatcher);
  const text = JSON.stringify(body);
  try {
    const warm = warmCount(n);
    queue.enqueue(warm, rx.url, text);
    await queue.drain(send, IN_FLIGHT);
    await received(rx, warm);
    queue.enqueue(n, rx.url, text);
    rx.reset();
    const cpu0 = cpuTimes(rx.child.pid!);
    const t0 = performance.now();
    const drained = queue.drain(send, IN_FLIGHT);
    await received(rx, n);
    const rate = n / ((performance.now() - t0) / 1000);
    if (process.env.BENCH_CPU)
      console.log(`  floor ${n}: CPU µs per delivery ${cpuSince(cpu0, rx.child.pid!, n)}`);
    await drained;
    return rate;
  } finally {
    queue.close();
    await dispatcher.close();
  }
}

/** A checkout's own modules for its SQLite engine (this one's, or BASE_TREE's loaded next to it) */
type EngineModules = ServerModules & {
  openSqliteStoreThread: typeof openSqliteStoreThread;
  createDeliveryWorker: typeof createDeliveryWorker;
  createMetrics: typeof createMetrics;
  deliveryWorkerSettings?: typeof deliveryWorkerSettings;
};
const engineModules = async (tree: string): Promise<EngineModules> => ({
  ...((await import(path.join(tree, "src/store/sqlite-thread.ts"))) as EngineModules),
  ...((await import(path.join(tree, "src/delivery/worker.ts"))) as EngineModules),
  ...((await import(path.join(tree, "src/metrics.ts"))) as EngineModules),
  ...((await import(path.join(tree, "src/server.ts"))) as EngineModules),
  ...((await import(path.join(tree, "src/config.ts"))) as EngineModules),
});

/**
 * The SQLite engine without HTTP: the server's delivery worker and store thread, configured as
 * the server configures them, with a sender that answers 200 on the next turn of the event loop.
 * It measures the engine's own cost per delivery (claim, attempt record, the thread's messages,
 * their garbage) apart from the HTTP client's and the receiver's, with which a drain shares the
 * cores; its figures vary less between rounds than a drain's (±15 % against up to 2×).
 */
async function engineAlone(n: number, body: object, dataDir: string, m: EngineModules) {
  const config = m.loadConfig({ ...process.env, ...engineEnv(dataDir) });
  const store = await m.openSqliteStoreThread(path.join(dataDir, "alone.sqlite"));
  let answered = 0;
  // a checkout from before deliveryWorkerSettings is configured with this one's
  const settings = (m.deliveryWorkerSettings ?? deliveryWorkerSettings)(config);
  const worker = m.createDeliveryWorker({
    ...settings,
    store,
    send: () =>
      new Promise((resolve) =>
        setImmediate(() => {
          answered++;
          resolve({
            statusCode: 200,
            errorClass: null,
            errorDetail: null,
            latencyMs: 0,
            responseSnippet: null,
            retryAfter: null,
          });
        }),
      ),
    workerId: "bench",
    logger: pino({ level: "silent" }),
    metrics: m.createMetrics(store),
  });
  try {
    // never contacted: the sender above answers for the receiver
    await enqueueMany(store, "http://127.0.0.1:9/alone", n, body);
    const cpu0 = threadTimes();
    const t0 = performance.now();
    worker.start();
    while (answered < n) await sleep(5);
    const rate = n / ((performance.now() - t0) / 1000);
    const cpu = threadsSince(cpu0, threadTimes(), n);
    await worker.stop(10_000);
    return { rate, ...cpu };
  } finally {
    await store.close();
  }
}

/** Starts `workers` processes with --role worker, enqueues due in the future, then makes all due at once. */
async function postgresDrain(rx: Rx, n: number, body: object, workers: number, dataDir: string, tree = root) {
  const schema = freshSchema();
  // the tree's own store creates the schema: its workers expect its migrations, not this tree's
  const open =
    tree === root
      ? openPostgresStore
      : (
          (await import(path.join(tree, "src/store/postgres.ts"))) as {
            openPostgresStore: typeof openPostgresStore;
          }
        ).openPostgresStore;
  const store = await open(PG_URL, { schema });
  const children: ChildProcess[] = [];
  try {
    await enqueueMany(store, rx.url, n, body, Date.now() + 3_600_000);
    for (let i = 0; i < workers; i++) {
      const prof = process.env.PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : [];
      const child = spawn(process.execPath, [...prof, "--import", "tsx", "src/main.ts", "--role", "worker"], {
        cwd: tree,
        env: {
          ...process.env,
          ...engineEnv(dataDir),
          LOG_LEVEL: "info",
          DATABASE_URL: PG_URL,
          DATABASE_SCHEMA: schema,
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(child);
      await new Promise<void>((resolve) => {
        child.stdout!.on("data", (b: Buffer) => {
          if (b.toString().includes("callscribe started")) resolve();
        });
      });
    }
    const warm = warmCount(n);
    await warmUp(rx, store, warm, body);
    const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await db.connect();
    // due in a moment, not now: the UPDATE and its clean-up are not part of the drain
    const dueAt = Date.now() + 1500;
    // a BASE_TREE from before migration 008 has one deliveries table
    const { split } = (await db.query("SELECT to_regclass('delivery_states') IS NOT NULL AS split")).rows[0];
    const tables = split ? ["delivery_states", "delivery_items"] : ["deliveries"];
    await db.query(`UPDATE ${tables[0]} SET next_attempt_at = $1 WHERE state = 'pending'`, [dueAt]);
    await db.query(`VACUUM ANALYZE ${tables.join(", ")}`);
    await sleep(dueAt - Date.now());
    const cpuNow = () =>
      processCpu(
        children.map((c) => c.pid!),
        rx.child.pid!,
      );
    const cpu0 = cpuNow();
    const wal0 = (await db.query("SELECT pg_current_wal_lsn() AS at")).rows[0].at as string;
    const t0 = performance.now();
    await db.query(notify(schema, "deliveries"));
    await received(rx, n);
    const rate = n / ((performance.now() - t0) / 1000);
    const cpu1 = cpuNow();
    while ((await store.countDeliveries("delivered")) < warm + n) await sleep(5); // and recorded
    if (process.env.BENCH_CPU) {
      const { rows } = await db.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes", [wal0]);
      console.log(
        `  Postgres ×${workers} ${n}: CPU µs per delivery ${processCpuSince(cpu0, cpu1, n)}; WAL ${Math.round(Number(rows[0].bytes) / n)} B per delivery`,
      );
    }
    await db.end();
    return rate;
  } finally {
    // a profiled worker must exit by itself to write its profile
    const stopping = children.map((c) => new Promise((r) => c.once("exit", r)));
    for (const c of children) c.kill(process.env.PROFILE_DIR ? "SIGTERM" : "SIGKILL");
    await Promise.all(stopping);
    await store.close();
    await dropSchema(schema);
  }
}

async function bullmqDrain(rx: Rx, n: number, body: object) {
  const connection = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null });
  const name = `bench-${process.pid}-${Date.now()}`;
  const queue = new Queue(name, { connection });
  const { dispatcher } = createEgressGuard({ allow: ["127.0.0.0/8"] });
  const headers = wireHeaders(rx.url, JSON.stringify(body));
  const add = async (count: number) => {
    for (let i = 0; i < count; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, count - i) }, () => ({
          name: "deliver",
          data: { url: rx.url, body: JSON.stringify(body) },
          opts: { attempts: 3, backoff: { type: "exponential", delay: 5000 }, removeOnComplete: true },
        })),
      );
    }
  };
  const work = () =>
    new Worker(
      name,
      async (job) => {
        const res = await request(job.data.url as string, {
          method: "POST",
          body: job.data.body as string,
          headers,
          dispatcher,
        });
        await res.body.dump();
        if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
      },
      { connection, concurrency: IN_FLIGHT },
    );
  try {
    const warm = warmCount(n);
    rx.reset();
    await add(warm);
    const warming = work();
    await received(rx, warm);
    await warming.close();
    await add(n);
    rx.reset();
    const redisPid = Number(/process_id:(\d+)/.exec(await connection.info("server"))![1]);
    const cpu0 = { bench: cpuTimes(rx.child.pid!), redis: cpuSecondsOf(redisPid) };
    const t0 = performance.now();
    const worker = work();
    await received(rx, n);
    const rate = n / ((performance.now() - t0) / 1000);
    if (process.env.BENCH_CPU) {
      const redis = cpuSecondsOf(redisPid) - cpu0.redis;
      console.log(
        `  BullMQ ${n}: CPU µs per delivery ${cpuSince(cpu0.bench, rx.child.pid!, n)}, redis ${perDelivery(redis, n)}`,
      );
    }
    await worker.close();
    return rate;
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await dispatcher.close();
    connection.disconnect();
  }
}

/**
 * Claim time of the retry lane with nothing pending, then with BACKLOG retries not yet due, then
 * also with BUSY_BACKLOG due retries of a host the claim leaves out (its circuit open).
 */
async function claimTimes(dataDir: string) {
  const busyHost = "127.0.0.1:9";
  const median = async (store: Store, excludeHosts: string[] = []) => {
    const xs: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      await store.claimDueDeliveries(Date.now(), 64, { lane: "retry", excludeHosts });
      xs.push(performance.now() - t0);
    }
    return percentile(xs, 50);
  };
  const later = Date.now() + 86_400_000;

  const file = path.join(dataDir, "claims.sqlite");
  let sqlite = openSqliteStore(file);
  const sqliteJob = (await enqueueDelivery(sqlite, "http://127.0.0.1:9/h")).jobId; // the backlog rows' job
  const sqliteEmpty = await median(sqlite);
  await sqlite.close();
  const sqliteRows = (prefix: string, n: number, at: number) => {
    const db = new Database(file);
    insertSqliteBacklog(db, { prefix, n, at, jobId: sqliteJob, url: "http://127.0.0.1:9/h" });
    db.close();
  };
  sqliteRows("b", BACKLOG, later);
  sqlite = openSqliteStore(file);
  const sqliteFull = await median(sqlite);
  await sqlite.close();
  sqliteRows("u", BUSY_BACKLOG, 0);
  sqlite = openSqliteStore(file);
  const sqliteBusy = await median(sqlite, [busyHost]);
  await sqlite.close();

  const schema = freshSchema();
  const pgStore = await openPostgresStore(PG_URL, { schema });
  const pgJob = (await enqueueDelivery(pgStore, "http://127.0.0.1:9/h")).jobId;
  const pgEmpty = await median(pgStore);
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  const pgRows = (prefix: string, n: number, at: number) =>
    insertPostgresBacklog(c, { prefix, n, at, jobId: pgJob, url: "http://127.0.0.1:9/h" });
  await pgRows("b", BACKLOG, later);
  const pgFull = await median(pgStore);
  await pgRows("u", BUSY_BACKLOG, 0);
  const pgBusy = await median(pgStore, [busyHost]);
  await c.end();
  await pgStore.close();
  await dropSchema(schema);
  return { sqliteEmpty, sqliteFull, sqliteBusy, pgEmpty, pgFull, pgBusy };
}

/**
 * Jobs created per second through the Postgres store, 1 and 10 at once, against the same INSERT
 * on a plain pool of 10 (no wake-up): what announcing a new job costs the api.
 */
async function pgJobCreation() {
  const schema = freshSchema();
  const store = await openPostgresStore(PG_URL, { schema });
  const plain = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${schema}`, max: 10 });
  const job = () => ({
    id: timeOrderedId(),
    kind: "transcription" as const,
    callUuid: "bench",
    params: {},
    audioName: null,
    now: Date.now(),
  });
  const rate = async (atOnce: number, create: () => Promise<unknown>) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: atOnce }, async () => {
        while (next++ < JOBS) await create();
      }),
    );
    return JOBS / ((performance.now() - t0) / 1000);
  };
  try {
    await rate(10, () => store.createJob(job())); // warm
    return {
      one: await rate(1, () => store.createJob(job())),
      ten: await rate(10, () => store.createJob(job())),
      plain: await rate(10, () => plain.query(insertJob(job()))),
    };
  } finally {
    await plain.end();
    await store.close();
    await dropSchema(schema);
  }
}

async function steadySqlite(rx: Rx, dataDir: string) {
  const server = await startServer(loadConfig({ ...process.env, ...engineEnv(dataDir) }), {
    logger: pino({ level: "silent" }),
  });
  try {
    rx.reset();
    const ticks = (STEADY_S * 1000) / 10;
    const perTick = RATE / 100;
    const start = performance.now();
    for (let t = 0; t < ticks; t++) {
      for (let i = 0; i < perTick; i++) await enqueueDelivery(server.store, rx.url);
      server.delivery.kick();
      const wait = start + (t + 1) * 10 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    while ((await server.store.countDeliveries("delivered")) < RATE * STEADY_S) await sleep(25);
    return (await rx.stats()).latencies;
  } finally {
    await server.stop();
  }
}

/** `engineAlone` of this tree (and of BASE_TREE), interleaved over ROUNDS rounds, at 0.5 KB: medians */
async function reportEngineAlone(dir: () => string) {
  const trees = [root, ...(BASE_TREE ? [BASE_TREE] : [])];
  const mods = await Promise.all(trees.map(engineModules));
  const runs = trees.map(() => [] as Array<Awaited<ReturnType<typeof engineAlone>>>);
  for (let r = 0; r < ROUNDS; r++) {
    const order = trees.map((_, i) => i);
    for (const i of r % 2 === 0 ? order : order.reverse()) {
      const x = await engineAlone(N, bodyOf(512), dir(), mods[i]!);
      runs[i]!.push(x);
      console.log(
        `  alone ${N}, ${trees[i] === root ? "this tree" : trees[i]}: ${x.rate.toFixed(0)}/s, CPU µs per delivery ` +
          `main ${x.main.toFixed(1)}, store thread ${x.busiest.toFixed(1)}, the rest ${x.rest.toFixed(1)}`,
      );
    }
  }
  const med = (xs: number[]) => percentile(xs, 50).toFixed(0);
  console.log(
    `\nSQLite engine alone (no HTTP: a sender that answers at once), ${N} deliveries of 0.5 KB, median of ${ROUNDS} rounds:`,
  );
  for (const [i, tree] of trees.entries()) {
    const v = runs[i]!;
    console.log(
      `  ${tree === root ? "this tree" : tree}: ${med(v.map((x) => x.rate))}/s; CPU µs per delivery main ${med(v.map((x) => x.main))}, ` +
        `store thread ${med(v.map((x) => x.busiest))}, the rest ${med(v.map((x) => x.rest))} (GC, libuv)`,
    );
  }
}

async function main() {
  const rx = await startReceiver();
  const base = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), "callscribe-bench-delivery-"));
  let run = 0;
  const dir = () => mkdtempSync(path.join(base, `run${run++}-`));
  const fmt = (x: number) => x.toFixed(0).padStart(6);
  try {
    console.log(
      `delivery benchmark: ${os.cpus().length} cores, receiver in another process, ${IN_FLIGHT} in flight`,
    );
    const sizes = [
      { label: "0.5 KB", n: N, body: bodyOf(512) },
      { label: "50 KB", n: N_LARGE, body: bodyOf(50 * 1024) },
      ...(N_HUGE > 0 ? [{ label: "500 KB", n: N_HUGE, body: bodyOf(500 * 1024) }] : []),
    ];
    type Size = (typeof sizes)[number];
    const engines: Array<[string, string, (s: Size) => Promise<number>]> = [
      ["raw", "raw undici loop", (s) => rawLoop(rx, JSON.stringify(s.body), s.n)],
      ["sqlite", "SQLite engine (in process)", (s) => sqliteDrain(rx, s.n, s.body, dir())],
      [
        "sqlitemain",
        "SQLite engine, SQLITE_THREAD=off",
        (s) => sqliteDrain(rx, s.n, s.body, dir(), undefined, { SQLITE_THREAD: "off" }),
      ],
      ["floor", "floor: minimal durable queue (SQLite)", (s) => floorDrain(rx, s.n, s.body, dir())],
      ["pg1", "Postgres engine, 1 worker process", (s) => postgresDrain(rx, s.n, s.body, 1, dir())],
      ["pg2", "Postgres engine, 2 worker processes", (s) => postgresDrain(rx, s.n, s.body, 2, dir())],
      ["bullmq", "BullMQ sender (Redis, no persistence)", (s) => bullmqDrain(rx, s.n, s.body)],
    ];
    if (BASE_TREE) {
      // the other checkout's own modules, loaded next to this one's (SQLite runs in process)
      const code = await engineModules(BASE_TREE);
      engines.push(
        ["sqlitebase", `SQLite engine, ${BASE_TREE}`, (s) => sqliteDrain(rx, s.n, s.body, dir(), code)],
        [
          "pg1base",
          `Postgres, 1 worker, ${BASE_TREE}`,
          (s) => postgresDrain(rx, s.n, s.body, 1, dir(), BASE_TREE),
        ],
      );
    }
    const chosen = engines.filter(([key]) =>
      ONLY.length === 0 ? !OPT_IN.includes(key) : key === "raw" || ONLY.includes(key),
    );
    // rounds interleave the engines, so a slow minute on a shared machine hits all of them alike;
    // every other round runs the engines after the raw loop in reverse: a run's garbage is partly
    // collected during the next (in two 4-round A/Bs of the same pair, order swapped, whichever ran
    // second had 5–19 µs more GC-thread time per delivery in every round), which favoured the
    // engine run first of an A/B
    const runs = new Map(chosen.map(([key]) => [key, sizes.map(() => [] as number[])]));
    for (let r = 0; r < ROUNDS; r++) {
      const [raw, ...others] = chosen;
      for (const [key, , fn] of [raw!, ...(r % 2 === 0 ? others : others.reverse())]) {
        for (const [i, s] of sizes.entries()) runs.get(key)![i]!.push(await fn(s));
      }
    }
    const median = (xs: number[]) => percentile(xs, 50);
    const rate = (key: string) => runs.get(key)!.map(median);
    // ratios are taken within each round, then the median: the machine's speed drifts between
    // rounds (3× within an hour here), and both sides of a ratio ran minutes apart at most
    const ratio = (key: string, to: string, i: number) =>
      median(runs.get(key)![i]!.map((x, r) => x / runs.get(to)![i]![r]!));
    const bull = runs.has("bullmq");
    console.log(
      `\ndrain (deliveries/s, median of ${ROUNDS} interleaved rounds; ratios: median of each round's)` +
        sizes.map((s) => s.label.padStart(24)).join(""),
    );
    for (const [key, label] of chosen) {
      const cells = rate(key).map(
        (x, i) =>
          `${fmt(x)} (${(ratio(key, "raw", i) * 100).toFixed(0).padStart(3)} % raw${bull ? `, ${ratio(key, "bullmq", i).toFixed(2)}× bullmq` : ""})`,
      );
      console.log(`${label.padEnd(42)} ${cells.join("  ")}`);
    }
    if (ONLY.length === 0 || ONLY.includes("alone")) await reportEngineAlone(dir);
    if (ONLY.length > 0 && !ONLY.includes("steady")) return;

    const latencies = await steadySqlite(rx, dir());
    console.log(
      `\nsteady ${RATE}/s for ${STEADY_S} s (SQLite): enqueue→receive p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
    );
    const c = await claimTimes(dir());
    console.log(
      `retry-lane claim, median: SQLite ${c.sqliteEmpty.toFixed(2)} ms empty vs ${c.sqliteFull.toFixed(2)} ms with ${BACKLOG} pending retries not due; ` +
        `Postgres ${c.pgEmpty.toFixed(2)} ms vs ${c.pgFull.toFixed(2)} ms`,
    );
    console.log(
      `  and with ${BUSY_BACKLOG} due retries more, of a host the claim leaves out (circuit open): ` +
        `SQLite ${c.sqliteBusy.toFixed(2)} ms, Postgres ${c.pgBusy.toFixed(2)} ms`,
    );
    const jobs = await pgJobCreation();
    console.log(
      `Postgres jobs created/s (${JOBS}): ${jobs.one.toFixed(0)} one at a time, ${jobs.ten.toFixed(0)} 10 at once; ` +
        `the bare INSERT, 10 at once: ${jobs.plain.toFixed(0)}`,
    );
    console.log(`peak RSS of the bench process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    rx.child.send("exit");
    rmSync(base, { recursive: true, force: true });
  }
}

void main().then(() => process.exit(0));
