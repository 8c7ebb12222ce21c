/**
 * `callscribe transcribe <file>`: uploads the recording to the Jobs API (`POST /v1/transcriptions`,
 * streamed from disk), and with `--wait` polls the job, drawing the server's progress (seconds of
 * audio done) until it succeeds or fails.
 */
import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { CliError, EXIT, type Client } from "./client.ts";
import { createProgress, printJson, progressBar, transcriptLines } from "./output.ts";

export interface TranscribeOptions {
  wait?: boolean;
  json?: boolean;
  progress?: boolean;
  language?: string;
  format?: string;
  vocabulary?: string;
  speakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
  redactPii?: boolean;
  redactPiiPolicies?: string;
  redactPiiAudio?: boolean;
  metadata?: string;
  pollInterval: number;
  /** seconds; 0: wait as long as it takes */
  timeout: number;
}

type Job = {
  job_id: string;
  status: string;
  progress?: { done_seconds: number; total_seconds: number };
  result?: { transcript?: Array<{ text: string; time_start: number; speaker_alias: string }> };
  error?: { code: string | null; message: string | null };
};

/** A file we can send, or a usage error naming it. */
async function audioFile(file: string): Promise<Blob> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new CliError(`${file} is not a file`, EXIT.usage);
    size = s.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, EXIT.usage);
  }
  if (size === 0) throw new CliError(`${file} is empty`, EXIT.usage);
  return openAsBlob(file);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function transcribe(client: Client, file: string, o: TranscribeOptions): Promise<number> {
  const form = new FormData();
  if (o.language) form.append("language", o.language);
  if (o.format) form.append("format", o.format);
  // the form fields the options map to; the server validates them and names a bad one
  const fields: Record<string, string | number | boolean | undefined> = {
    vocabulary: o.vocabulary,
    speakers_expected: o.speakers,
    min_speakers: o.minSpeakers,
    max_speakers: o.maxSpeakers,
    redact_pii: o.redactPii || o.redactPiiAudio || o.redactPiiPolicies !== undefined || undefined,
    redact_pii_policies: o.redactPiiPolicies,
    redact_pii_audio: o.redactPiiAudio,
    metadata: o.metadata,
  };
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== "") form.append(name, String(value));
  }
  form.append("file", await audioFile(file), path.basename(file));
  const queued = await client.request<{ job_id: string }>("POST", "/v1/transcriptions", { form });
  if (!o.wait) {
    if (o.json) printJson(queued);
    else {
      process.stdout.write(`${queued.job_id}\n`);
      process.stderr.write(`queued; follow it with: callscribe jobs show ${queued.job_id}\n`);
    }
    return EXIT.ok;
  }

  const progress = createProgress(o.progress ?? process.stderr.isTTY === true);
  const deadline = o.timeout > 0 ? Date.now() + o.timeout * 1000 : Infinity;
  let job: Job;
  for (;;) {
    job = await client.request<Job>("GET", `/v1/transcriptions/${encodeURIComponent(queued.job_id)}`);
    if (job.status === "succeeded" || job.status === "failed") break;
    progress.update(
      job.progress
        ? `${job.status} ${progressBar(job.progress.done_seconds, job.progress.total_seconds)}`
        : `${job.status}…`,
    );
    if (Date.now() > deadline) {
      progress.done();
      throw new CliError(
        `job ${queued.job_id} is still ${job.status} after ${o.timeout} s; follow it with: callscribe jobs show ${queued.job_id}`,
      );
    }
    await sleep(o.pollInterval);
  }
  progress.done();
  if (o.json) printJson(job);
  if (job.status === "failed") {
    throw new CliError(
      `transcription ${job.job_id} failed: ${job.error?.message ?? "no reason given"} (${job.error?.code ?? "?"})`,
    );
  }
  if (!o.json) process.stdout.write(`${transcriptLines(job.result?.transcript ?? [])}\n`);
  return EXIT.ok;
}
