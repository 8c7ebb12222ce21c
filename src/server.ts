/**
 * Composition root: turns a Config into a running server (store, engines, workers, HTTP), and
 * shuts it down gracefully: stop accepting, finish in-flight HTTP, let workers finish or leave
 * their claimed work resumable in the database.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import { buildApp } from "./app.ts";
import { isExposedWithoutAuth, type Config } from "./config.ts";
import { createJobRunner } from "./core/job-runner.ts";
import { createSummaryHandler } from "./core/summary-job.ts";
import { createTranscriptionHandler } from "./core/transcription-job.ts";
import { createTextEngines } from "./engines/select-text.ts";
import { presets, scalePolicy, type RetryPolicy } from "./delivery/policy.ts";
import { parseSigningSecrets } from "./delivery/signer.ts";
import { createMetrics } from "./metrics.ts";
import { createWebhookSender } from "./delivery/sender.ts";
import { createDeliveryWorker } from "./delivery/worker.ts";
import { createRecognizer } from "./engines/asr/select.ts";
import { createEgressGuard, type Resolver } from "./net/egress.ts";
import { fetchToFile } from "./pipeline/fetch-audio.ts";
import { transcribeFile } from "./pipeline/transcribe.ts";
import { createVad } from "./pipeline/vad.ts";
import { createBlobStore } from "./store/blobs.ts";
import { openSqliteStore } from "./store/sqlite.ts";

export interface ServerOptions {
  logger?: Logger;
  /** test hook: DNS resolver used by the egress guard */
  resolve?: Resolver;
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

export async function startServer(config: Config, opts: ServerOptions = {}) {
  const logger = opts.logger ?? createLogger(config);
  if (isExposedWithoutAuth(config)) {
    logger.warn(
      { host: config.HOST },
      "ALLOW_UNAUTHENTICATED=true: the API is reachable from the network without API keys",
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  const store = openSqliteStore(path.join(config.dataDir, "callscribe.sqlite"));
  const blobs = createBlobStore(path.join(config.dataDir, "audio"));
  const guard = createEgressGuard({ allow: config.NETWORK_ALLOWLIST, resolve: opts.resolve });
  const recognizer = createRecognizer(config);
  const vad = createVad();
  const maxUploadBytes = Math.floor(config.MAX_UPLOAD_MB * 1048576);

  const metrics = createMetrics(store);
  const delivery = createDeliveryWorker({
    store,
    send: createWebhookSender(guard.dispatcher),
    policyFor: policiesFromConfig(config),
    concurrency: config.DELIVERY_CONCURRENCY,
    perHost: config.DELIVERY_PER_HOST_CONCURRENCY,
    circuit: {
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      cooldownMs: config.CIRCUIT_COOLDOWN_MS * config.DELIVERY_TIME_SCALE,
      maxCooldownMs: 10 * config.CIRCUIT_COOLDOWN_MS * config.DELIVERY_TIME_SCALE,
    },
    signingKeys: parseSigningSecrets(config.WEBHOOK_SIGNING_SECRET),
    logger,
    metrics,
  });
  const { summarizer, tagger } = createTextEngines(config);
  const summarize = createSummaryHandler({
    store,
    summarizer,
    tagger,
    logger,
    defaultPolicy: config.DELIVERY_POLICY,
  });
  const transcribe = createTranscriptionHandler({
    store,
    blobs,
    logger,
    defaultPolicy: config.DELIVERY_POLICY,
    fetchAudio: async (uri, dest) => {
      await fetchToFile(uri, dest, {
        dispatcher: guard.dispatcher,
        maxBytes: maxUploadBytes,
        timeoutMs: config.FETCH_TIMEOUT_MS,
      });
    },
    transcribe: (req) => transcribeFile(req, { recognizer, vad }),
  });
  const runner = createJobRunner({
    store,
    concurrency: config.JOB_CONCURRENCY,
    logger,
    // a finished job may have queued a callback: let the delivery worker look now
    handle: async (job) => {
      await (job.kind === "summary" ? summarize(job) : transcribe(job));
      delivery.kick();
    },
  });

  const app = await buildApp({
    logger,
    store,
    blobs,
    runner,
    apiKeys: config.API_KEYS,
    maxUploadBytes,
    maxQueuedJobs: config.MAX_QUEUED_JOBS,
    inlineTimeoutMs: config.INLINE_TIMEOUT_MS,
    checkCallbackUrl: (url) => guard.check(url),
    recognizer,
    onRedeliver: () => delivery.kick(),
    metrics,
  });

  const now = Date.now();
  const requeued = await store.requeueInterruptedJobs(now);
  const released = await store.releaseInterruptedDeliveries(now);
  if (requeued || released) logger.info({ requeued, released }, "resumed work left by a previous process");
  runner.start();
  delivery.start();
  await app.listen({ port: config.PORT, host: config.HOST });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await app.close();
      await Promise.all([runner.stop(10_000), delivery.stop(10_000)]);
      await recognizer.close();
      await store.close();
      await guard.dispatcher.close();
    })());

  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  return { app, store, port, logger, stop, delivery };
}
