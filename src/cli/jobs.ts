/** `callscribe jobs ls|show|rm`: the Jobs API (`/v1/transcriptions`). */
import { EXIT, type Client } from "./client.ts";
import { printJson, table, transcriptLines } from "./output.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const jobPath = (id: string) => `/v1/transcriptions/${encodeURIComponent(id)}`;

export async function listJobs(
  client: Client,
  o: { limit?: string; status?: string; type?: string; cursor?: string; json?: boolean },
): Promise<number> {
  const page = await client.request<Json>("GET", "/v1/transcriptions", {
    query: { limit: o.limit, status: o.status, type: o.type, cursor: o.cursor },
  });
  if (o.json) {
    printJson(page);
    return EXIT.ok;
  }
  const rows = (page.transcriptions as Json[]).map((j) => [
    j.job_id,
    j.type,
    j.deleted ? `${j.status} (deleted)` : j.status,
    j.language,
    j.audio_seconds === null ? null : Number(j.audio_seconds).toFixed(1),
    j.created_at,
    j.original_filename,
  ]);
  process.stdout.write(
    `${table(["JOB_ID", "TYPE", "STATUS", "LANG", "AUDIO_S", "CREATED", "FILE"], rows)}\n`,
  );
  if (page.next_cursor) process.stderr.write(`more: callscribe jobs ls --cursor ${page.next_cursor}\n`);
  return EXIT.ok;
}

export async function showJob(client: Client, id: string, o: { json?: boolean }): Promise<number> {
  const job = await client.request<Json>("GET", jobPath(id));
  if (o.json) {
    printJson(job);
    return EXIT.ok;
  }
  const lines = [
    `job       ${job.job_id}`,
    `type      ${job.type}${job.source_job_id ? ` of ${job.source_job_id}` : ""}`,
    `status    ${job.status}${job.deleted ? " (deleted)" : ""}`,
    `created   ${job.created_at}`,
    `updated   ${job.updated_at}`,
  ];
  if (job.progress) lines.push(`progress  ${job.progress.done_seconds} of ${job.progress.total_seconds} s`);
  if (job.error) lines.push(`error     ${job.error.message} (${job.error.code})`);
  const r = job.result as Json | undefined;
  if (r?.transcript) {
    lines.push(`audio     ${r.duration_seconds} s, ${r.words_count} words, ${r.language}`, "");
    lines.push(transcriptLines(r.transcript));
  } else if (r?.summary !== undefined) lines.push(`topic     ${r.topic}`, `summary   ${r.summary}`);
  else if (r?.tags) {
    for (const [k, v] of Object.entries(r.tags as Record<string, string[]>))
      lines.push(`${k.padEnd(9)} ${v.join(", ")}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

export async function removeJob(client: Client, id: string): Promise<number> {
  await client.request("DELETE", jobPath(id));
  process.stderr.write(`deleted ${id}\n`);
  return EXIT.ok;
}
