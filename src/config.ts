/**
 * Typed, validated configuration from environment variables. Parsed once at start-up; every error
 * names the variable. Secrets are redacted by `redactConfig` before anything prints the config.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { classifyAddress } from "./net/ip-ranges.ts";
import { vocabularyList } from "./engines/asr/vocabulary.ts";
import { TRANSCRIPT_FORMATS } from "./pipeline/format-text.ts";
import { SCHEMA_NAME } from "./store/schema-name.ts";

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const onOff = (def: "on" | "off") =>
  z
    .enum(["on", "off", "true", "false", "1", "0"], { error: "must be on or off" })
    .default(def)
    .transform((v) => v === "on" || v === "true" || v === "1");
const list = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );
const optionalString = z
  .string()
  .optional()
  .transform((s) => (s && s.trim() ? s.trim() : undefined));

export const configSchema = z.object({
  PORT: int(8080),
  /** a worker-role process serves /healthz, /readyz and /metrics on this port (none when unset) */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** loopback by default: without API_KEYS, transcripts must not be reachable from the network */
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** serve a non-loopback HOST without API_KEYS anyway (logged as a warning) */
  ALLOW_UNAUTHENTICATED: z
    .enum(["true", "false", "1", "0", ""], { error: "must be true or false" })
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  DATA_DIR: z.string().default("./data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  API_KEYS: list,
  NETWORK_ALLOWLIST: list,
  MAX_UPLOAD_MB: z.coerce.number().positive().default(200),
  /** /readyz answers 503 when DATA_DIR has less free space than this */
  MIN_FREE_DISK_MB: z.coerce.number().min(0).default(512),
  /** longer audio is refused after the probe, before decoding (default 4 h) */
  MAX_AUDIO_SECONDS: z.coerce
    .number()
    .positive()
    .default(4 * 3600),
  /** retention (0: keep until deleted); a request's retention_hours may shorten both */
  AUDIO_RETENTION_HOURS: z.coerce.number().min(0).default(72),
  RESULT_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  RETENTION_SWEEP_MS: int(60_000, 1),
  /** Jobs API: audio minutes per owner per calendar month (UTC); unset: no quota */
  QUOTA_MINUTES: z.coerce.number().positive().optional(),
  /** characters of text (or transcript item text) a summary may be asked for */
  MAX_SUMMARY_INPUT_CHARS: int(200_000, 1),
  FETCH_TIMEOUT_MS: int(60_000, 1),
  INLINE_TIMEOUT_MS: int(300_000, 1),
  MAX_QUEUED_JOBS: int(100, 1),
  /** jobs at once; each uses about one core per channel, so half the cores by default */
  JOB_CONCURRENCY: int(Math.max(1, Math.floor(os.availableParallelism() / 2)), 1),
  DELIVERY_RETRY_BASE_MS: int(5000),
  DELIVERY_RETRY_FACTOR: z.coerce.number().min(1).default(4),
  DELIVERY_MAX_ATTEMPTS: int(3, 1),
  DELIVERY_TIMEOUT_MS: int(30_000, 1),
  DELIVERY_CONCURRENCY: int(128, 1),
  DELIVERY_POLICY: z.enum(["makimoto", "assemblyai", "standard"]).default("makimoto"),
  /** multiplies every delay and timeout of every policy (tests, demos) */
  DELIVERY_TIME_SCALE: z.coerce.number().positive().default(1),
  DELIVERY_PER_HOST_CONCURRENCY: int(64, 1),
  CIRCUIT_FAILURE_THRESHOLD: int(5, 1),
  CIRCUIT_COOLDOWN_MS: int(30_000, 1),
  WEBHOOK_SIGNING_SECRET: optionalString,
  ASR_URL: optionalString.pipe(z.url().optional()),
  ASR_API_KEY: optionalString,
  ASR_MODEL: optionalString,
  POCKETSPHINX_MODEL_DIR: optionalString,
  /** a whisper.cpp ggml model file: recognize with local Whisper (in process) instead of PocketSphinx */
  WHISPER_MODEL: optionalString,
  /** threads for one Whisper call (default: half the cores, 1-4) */
  WHISPER_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /** tell speakers apart by voice on one-channel calls (requests steer it with speakers_expected) */
  DIARIZATION: onOff("on"),
  /** terms listened for on every call, comma-separated (requests add their own `vocabulary`) */
  ASR_VOCABULARY: list.pipe(vocabularyList),
  /** transcript text: formatted (digits, sentence case, full stops) or plain (the recognizer's words) */
  TRANSCRIPT_FORMAT: z.enum(TRANSCRIPT_FORMATS, { error: "must be formatted or plain" }).default("formatted"),
  LLM_URL: optionalString.pipe(z.url().optional()),
  LLM_API_KEY: optionalString,
  LLM_MODEL: optionalString,
  /** extra topics/keywords for the embedded summarizer and tagger (JSON) */
  SUMMARY_TAXONOMY_JSON: optionalString,
  /** postgres://… selects the Postgres store (several processes, several machines) */
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  /** Postgres schema for the tables (created if missing) */
  DATABASE_SCHEMA: optionalString.pipe(
    z.string().regex(SCHEMA_NAME, "must be a lower-case SQL identifier of at most 52 characters").optional(),
  ),
  /** Postgres: longest wait for a connection or a query's answer (0: none); migrations are not bounded */
  DATABASE_TIMEOUT_MS: int(30_000),
  /** audio in an S3-compatible bucket: path-style URL of the bucket (and prefix) */
  BLOB_URL: optionalString.pipe(z.url().optional()),
  BLOB_ACCESS_KEY_ID: optionalString,
  BLOB_SECRET_ACCESS_KEY: optionalString,
  BLOB_REGION: z.string().trim().min(1).default("us-east-1"),
  /** NORMAL survives a process crash; FULL also survives power loss (slower commits) */
  SQLITE_SYNCHRONOUS: z.enum(["NORMAL", "FULL"]).default("NORMAL"),
  /** SQLite calls on a thread of their own, off the event loop (off: on the main thread) */
  SQLITE_THREAD: onOff("on"),
  /** a job claimed this many times without finishing fails with worker_lost */
  JOB_MAX_ATTEMPTS: int(3, 1),
  /** how long a claimed job stays a worker's without a heartbeat */
  JOB_LEASE_MS: int(60_000, 1000),
  /** first wait before retrying a failed save of a job's outcome (doubles, up to 30 s) */
  STORAGE_RETRY_MS: int(500, 1),
  /** how often workers look for work when no notification comes, and inline waits re-check */
  POLL_MS: int(1000, 10),
  /** names this process in leases (default: host name, pid and a random suffix) */
  WORKER_ID: optionalString,
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {}

/** True when HOST only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  try {
    return classifyAddress(h) === "loopback";
  } catch {
    return false;
  }
}

/** A server reachable from the network must require API keys, unless the operator says otherwise. */
function checkExposure(c: z.infer<typeof configSchema>): string | null {
  if (c.API_KEYS.length > 0 || c.ALLOW_UNAUTHENTICATED || isLoopbackHost(c.HOST)) return null;
  return (
    `HOST: ${c.HOST} would expose transcripts to the network without authentication. ` +
    "Set API_KEYS=<key>[,<key>…] (clients send the header apikey), bind a loopback HOST such as " +
    "127.0.0.1, or set ALLOW_UNAUTHENTICATED=true if something in front of this server authenticates"
  );
}

/** True when the server is reachable from the network with no API keys (allowed, but worth a warning). */
export const isExposedWithoutAuth = (c: Config) => c.API_KEYS.length === 0 && !isLoopbackHost(c.HOST);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  if (parsed.data.BLOB_URL && !(parsed.data.BLOB_ACCESS_KEY_ID && parsed.data.BLOB_SECRET_ACCESS_KEY)) {
    throw new ConfigError(
      "invalid configuration:\n  BLOB_URL needs BLOB_ACCESS_KEY_ID and BLOB_SECRET_ACCESS_KEY",
    );
  }
  const exposure = checkExposure(parsed.data);
  if (exposure) throw new ConfigError(`invalid configuration:\n  ${exposure}`);
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}

const secretKeys = [
  "API_KEYS",
  "ASR_API_KEY",
  "LLM_API_KEY",
  "WEBHOOK_SIGNING_SECRET",
  "BLOB_SECRET_ACCESS_KEY",
  "DATABASE_URL",
] as const;

export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of secretKeys) {
    const v = out[key];
    if (Array.isArray(v) ? v.length > 0 : v) out[key] = "[redacted]";
  }
  return out;
}
