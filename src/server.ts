/**
 * Composition root: turns a Config into a running server (store, engines, workers, HTTP), and
 * shuts it down gracefully: stop accepting, finish in-flight HTTP, let workers finish or leave
 * their claimed work resumable in the database.
 */
import { mkdirSync } from "node:fs";
import { parseApiKeys } from "./api/auth.ts";
import { createRetentionSweeper } from "./core/retention-sweeper.ts";
import path from "node:path";
import pino, { type Logger } from "pino";
import { buildApp, buildOpsApp } from "./app.ts";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { ConfigError, isExposedWithoutAuth, type Config } from "./config.ts";
import { createJobRunner } from "./core/job-runner.ts";
import { createSummaryHandler } from "./core/summary-job.ts";
import { createTranscriptionHandler } from "./core/transcription-job.ts";
import { createTextEngines } from "./engines/select-text.ts";
import { presets, scalePolicy, type RetryPolicy } from "./delivery/policy.ts";
import { parseSigningSecrets } from "./delivery/signer.ts";
import { createMetrics } from "./metrics.ts";
import { createWebhookSender } from "./delivery/sender.ts";
import { createDeliveryWorker } from "./delivery/worker.ts";
import { openRecognizer } from "./engines/asr/select.ts";
import { createEgressGuard, type Resolver } from "./net/egress.ts";
import { fetchToFile } from "./pipeline/fetch-audio.ts";
import { transcribeFile } from "./pipeline/transcribe.ts";
import { createAudioThread } from "./pipeline/audio-thread.ts";
import { createRedactionThread } from "./redaction/redact-thread.ts";
import { createBlobStore } from "./store/blobs.ts";
import { createS3Blobs } from "./store/blobs-s3.ts";
import { openPostgresStore, type PostgresStore } from "./store/postgres.ts";
import { openSqliteStore } from "./store/sqlite.ts";
import { openSqliteStoreThread } from "./store/sqlite-thread.ts";
import type { Store } from "./store/types.ts";

export interface ServerOptions {
  logger?: Logger;
  /** test hook: DNS resolver used by the egress guard */
  resolve?: Resolver;
  /** api: HTTP only; worker: jobs and deliveries only; all (default): both */
  role?: Role;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: {
      paths: ["req.headers.apikey", "req.headers.authorization", "*.authHeaderValue", "*.apiKey"],
      censor: "[redacted]",
    },
  });
}

/** What the delivery worker takes from the configuration (the rest is the process's: store, sender, logger). */
export function deliveryWorkerSettings(config: Config) {
  const policyFor = policiesFromConfig(config);
  return {
    policyFor,
    concurrency: config.DELIVERY_CONCURRENCY,
    perHost: config.DELIVERY_PER_HOST_CONCURRENCY,
    circuit: {
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      cooldownMs: config.CIRCUIT_COOLDOWN_MS * config.DELIVERY_TIME_SCALE,
      maxCooldownMs: 10 * config.CIRCUIT_COOLDOWN_MS * config.DELIVERY_TIME_SCALE,
    },
    signingKeys: parseSigningSecrets(config.WEBHOOK_SIGNING_SECRET),
    // an attempt may take the longest policy timeout; the record is written just after
    leaseMs: 2 * Math.max(...Object.keys(presets).map((n) => policyFor(n).timeoutMs)) + 5000,
  };
}

/** The presets, with the makimoto one shaped by the DELIVERY_* overrides, all time-scaled. */
export function policiesFromConfig(config: Config): (name: string) => RetryPolicy {
  const makimoto: RetryPolicy = {
    ...presets.makimoto,
    maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
    schedule: {
      kind: "exponential",
      baseMs: config.DELIVERY_RETRY_BASE_MS,
      factor: config.DELIVERY_RETRY_FACTOR,
      maxDelayMs: presets.makimoto.schedule.maxDelayMs,
    },
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
  };
  const all: Record<string, RetryPolicy> = { ...presets, makimoto };
  const scaled = Object.fromEntries(
    Object.entries(all).map(([k, p]) => [k, scalePolicy(p, config.DELIVERY_TIME_SCALE)]),
  );
  const fallback = scaled[config.DELIVERY_POLICY]!;
  return (name) => scaled[name] ?? fallback;
}

export type Role = "api" | "worker" | "all";

/** The store DATABASE_URL names (Postgres), else SQLite under DATA_DIR. */
async function openStore(config: Config): Promise<{ store: Store; shared: boolean; pg?: PostgresStore }> {
  if (config.DATABASE_URL) {
    const pg = await openPostgresStore(config.DATABASE_URL, {
      schema: config.DATABASE_SCHEMA,
      timeoutMs: config.DATABASE_TIMEOUT_MS,
    });
    return { store: pg, shared: true, pg };
  }
  const file = path.join(config.dataDir, "callscribe.sqlite");
  const opts = { synchronous: config.SQLITE_SYNCHRONOUS };
  const store = config.SQLITE_THREAD ? await openSqliteStoreThread(file, opts) : openSqliteStore(file, opts);
  return { store, shared: false };
}

export async function startServer(config: Config, opts: ServerOptions = {}) {
  const role: Role = opts.role ?? "all";
  const logger = opts.logger ?? createLogger(config);
  if (role !== "all" && !config.DATABASE_URL) {
    throw new ConfigError(
      `--role ${role} needs DATABASE_URL (Postgres): with SQLite one process does everything (--role all)`,
    );
  }
  if (isExposedWithoutAuth(config)) {
    logger.warn(
      { host: config.HOST },
      "ALLOW_UNAUTHENTICATED=true: the API is reachable from the network without API keys",
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  // before the store: a model file that cannot load (WHISPER_MODEL) stops the start here
  const recognizer = await openRecognizer(config);
  const { store, shared, pg } = await openStore(config);
  const workerId = config.WORKER_ID ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const sharedBlobs = config.BLOB_URL
    ? createS3Blobs({
        url: config.BLOB_URL,
        accessKeyId: config.BLOB_ACCESS_KEY_ID!,
        secretAccessKey: config.BLOB_SECRET_ACCESS_KEY!,
        region: config.BLOB_REGION,
      })
    : pg?.blobs;
  const blobs = createBlobStore(path.join(config.dataDir, "audio"), sharedBlobs, {
    evictShared: role === "api",
  });
  const guard = createEgressGuard({ allow: config.NETWORK_ALLOWLIST, resolve: opts.resolve });
  const audio = createAudioThread();
  const redactor = createRedactionThread();
  const maxUploadBytes = Math.floor(config.MAX_UPLOAD_MB * 1048576);

  const metrics = createMetrics(store);
  const delivery = createDeliveryWorker({
    ...deliveryWorkerSettings(config),
    store,
    send: createWebhookSender(guard.dispatcher),
    workerId,
    logger,
    metrics,
  });
  const retention = { audioHours: config.AUDIO_RETENTION_HOURS, resultDays: config.RESULT_RETENTION_DAYS };
  const jobContext = {
    workerId,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    storageRetryMs: config.STORAGE_RETRY_MS,
  };
  const textEngines = createTextEngines(config);
  const { summarizer, tagger } = textEngines;
  const summarize = createSummaryHandler({
    store,
    summarizer,
    tagger,
    logger,
    defaultPolicy: config.DELIVERY_POLICY,
    ...jobContext,
  });
  const transcribe = createTranscriptionHandler({
    store,
    blobs,
    logger,
    defaultPolicy: config.DELIVERY_POLICY,
    ...jobContext,
    fetchAudio: async (uri, dest) => {
      await fetchToFile(uri, dest, {
        dispatcher: guard.dispatcher,
        maxBytes: maxUploadBytes,
        timeoutMs: config.FETCH_TIMEOUT_MS,
      });
    },
    transcribe: (req) =>
      transcribeFile(req, {
        recognizer,
        scan: (file, channels, opts) => audio.scan(file, channels, opts),
        diarization: config.DIARIZATION,
        maxAudioSeconds: config.MAX_AUDIO_SECONDS,
        vocabulary: config.ASR_VOCABULARY,
        redactor,
      }),
  });
  const runner = createJobRunner({
    store,
    concurrency: config.JOB_CONCURRENCY,
    logger,
    workerId,
    leaseMs: config.JOB_LEASE_MS,
    pollMs: config.POLL_MS,
    // a finished job may have queued a callback: let the delivery worker look now
    handle: async (job) => {
      await (job.kind === "transcription" ? transcribe(job) : summarize(job));
      delivery.kick();
    },
  });
  const working = role !== "api";
  const serving = role !== "worker";

  // Other processes announce new jobs, new deliveries and finished jobs (Postgres NOTIFY).
  await pg?.subscribe(
    (payload) => {
      if (payload.startsWith("job:")) runner.finished(payload.slice(4));
      else if (!working) return;
      else if (payload === "jobs") runner.kick();
      else if (payload === "deliveries") delivery.kick();
    },
    (change) => {
      if (change.state === "lost") {
        logger.warn(
          { err: change.error, pollMs: config.POLL_MS },
          "notification connection lost: looking for work every POLL_MS until it is back",
        );
        return;
      }
      logger.info("notification connection restored");
      // announcements made while it was down are lost: look for their work now
      if (working) {
        runner.kick();
        delivery.kick();
      }
    },
  );

  const readiness = {
    store,
    dataDir: config.dataDir,
    minFreeDiskBytes: config.MIN_FREE_DISK_MB * 1048576,
    backends: { asr: config.ASR_URL, llm: config.LLM_URL },
  };
  const apiKeys = parseApiKeys(config.API_KEYS);
  const app = serving
    ? await buildApp({
        logger,
        store,
        blobs,
        runner,
        apiKeys,
        maxUploadBytes,
        maxQueuedJobs: config.MAX_QUEUED_JOBS,
        inlineTimeoutMs: config.INLINE_TIMEOUT_MS,
        maxSummaryInputChars: config.MAX_SUMMARY_INPUT_CHARS,
        maxAudioSeconds: config.MAX_AUDIO_SECONDS,
        quotaMinutes: config.QUOTA_MINUTES ?? null,
        retention,
        transcriptFormat: config.TRANSCRIPT_FORMAT,
        checkCallbackUrl: (url) => guard.check(url),
        recognizer,
        onRedeliver: () => delivery.kick(),
        perHost: config.DELIVERY_PER_HOST_CONCURRENCY,
        metrics,
        readiness,
      })
    : config.WORKER_HEALTH_PORT !== undefined
      ? await buildOpsApp({ logger, apiKeys, metrics, readiness })
      : null;

  let sweeper: NodeJS.Timeout | undefined;
  const retentionSweeper = createRetentionSweeper({
    store,
    blobs,
    logger,
    intervalMs: config.RETENTION_SWEEP_MS,
  });
  if (working) {
    // One process owns an SQLite file, so whatever it finds claimed was claimed by a dead process.
    const resumed = await store.expireLeases(Date.now(), { all: !shared });
    if (resumed.jobs || resumed.deliveries) logger.info(resumed, "resumed work left by a dead worker");
    // Only a shared store has other workers whose leases can lapse; a single process never takes
    // its own leases back (after a long event-loop stall it would discard its own running jobs).
    if (shared)
      sweeper = setInterval(
        () => {
          store.expireLeases(Date.now()).then(
            (r) => {
              if (r.jobs) runner.kick();
              if (r.deliveries) delivery.kick();
              if (r.jobs || r.deliveries) logger.warn(r, "took over work whose lease expired");
            },
            (err: unknown) => logger.error({ err }, "lease sweep failed"),
          );
        },
        Math.min(5000, config.JOB_LEASE_MS / 2),
      );
    sweeper?.unref();
    runner.start();
    delivery.start();
    retentionSweeper.start();
  }
  if (app) await app.listen({ port: serving ? config.PORT : config.WORKER_HEALTH_PORT!, host: config.HOST });
  logger.info({ role, workerId, store: shared ? "postgres" : "sqlite" }, "callscribe started");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sweeper);
      retentionSweeper.stop();
      await app?.close();
      await Promise.all([runner.stop(10_000), delivery.stop(10_000)]);
      // The store first: a job still running past the grace period must not record the failure
      // that closing its engines causes; it stays claimed and is resumed after the restart.
      await store.close();
      await recognizer.close();
      await audio.close();
      await redactor.close();
      await textEngines.close();
      await guard.dispatcher.close();
    })());

  const address = app?.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  return { app, store, blobs, port, logger, stop, delivery, workerId, retention: retentionSweeper };
}
