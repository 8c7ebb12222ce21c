/**
 * What a summary job does once claimed: resolve its source (a finished transcription, transcript
 * items or plain text), run the summarizer and the tagger, and finish with a `summaryDelivered`
 * callback (S001 with `data.summaries`, `data.request_id`, `data.msg_id`; E001 on failure).
 * A `tags` job (Jobs API, no callback) runs the tagger only.
 */
import type { Logger } from "pino";
import type { Summarizer, SummarySource, TopicSummary } from "../engines/summarize/types.ts";
import type { Tagger, Tags } from "../engines/tag/types.ts";
import type { JobOutcome, JobRow, Store } from "../store/types.ts";
import type { CallbackParams } from "./callback.ts";
import { finishWithCallback } from "./finish.ts";
import { AppError, checkAttempts } from "./errors.ts";
import { failureBody, type Transcript, type TranscriptItem } from "./payloads.ts";
import { publicError } from "./transcription-job.ts";

export type SummarySourceParam =
  | { kind: "request"; requestId: string }
  | { kind: "transcript"; items: TranscriptItem[] }
  | { kind: "text"; text: string };

export interface SummaryParams extends CallbackParams {
  source: SummarySourceParam;
}

export interface Summary {
  summaries: TopicSummary[];
  request_id: string;
  msg_id: string;
}

/** Stored as the job's result: the delivered summary plus the tags (a `tags` job: the tags only). */
export interface SummaryResult {
  summary: Summary;
  tags: Tags;
}
export interface TagsResult {
  tags: Tags;
}

/**
 * The `request_id` a summary's webhook carries (as in the seed examples): the transcription's when
 * it summarizes one, else the summary job's own id. `msg_id` is always the summary job's id.
 */
export const subjectId = (summaryJobId: string, src: SummarySourceParam): string =>
  src.kind === "request" ? src.requestId : summaryJobId;

export function summarySuccessBody(callUuid: string, data: Summary) {
  return { status: "S001" as const, call_uuid: callUuid, data };
}

async function resolveSource(store: Store, src: SummarySourceParam): Promise<SummarySource> {
  if (src.kind === "text") return { text: src.text };
  if (src.kind === "transcript") return { transcript: src.items };
  const job = await store.getJob(src.requestId);
  if (!job || job.kind !== "transcription") {
    throw new AppError("summary_failed", `no transcription with request_id ${src.requestId}`);
  }
  if (job.status !== "succeeded") {
    throw new AppError(
      "summary_failed",
      `transcription ${src.requestId} failed: ${job.errorMessage ?? "unknown error"}`,
    );
  }
  return { transcript: (job.result as Transcript).transcript };
}

export function createSummaryHandler(deps: {
  store: Store;
  summarizer: Summarizer;
  tagger: Tagger;
  defaultPolicy: string;
  logger: Logger;
  workerId: string;
  maxAttempts: number;
  storageRetryMs?: number;
  now?: () => number;
}) {
  return async (job: JobRow): Promise<void> => {
    const p = job.params as SummaryParams;
    let outcome: JobOutcome;
    let body: object;
    try {
      checkAttempts(job, deps.maxAttempts);
      const source = await resolveSource(deps.store, p.source);
      if (job.kind === "tags") {
        const tags = await deps.tagger.tag(source);
        outcome = { status: "succeeded", result: { tags } satisfies TagsResult };
        body = { status: "S001", call_uuid: job.callUuid, data: { tags } };
      } else {
        const [summaries, tags] = await Promise.all([
          deps.summarizer.summarize(source),
          deps.tagger.tag(source),
        ]);
        const summary: Summary = { summaries, request_id: subjectId(job.id, p.source), msg_id: job.id };
        outcome = { status: "succeeded", result: { summary, tags } satisfies SummaryResult };
        body = summarySuccessBody(job.callUuid, summary);
      }
    } catch (err) {
      const e = publicError(err, job.id, "summary_failed");
      deps.logger.warn({ err, requestId: job.id, errorCode: e.code }, "summary failed");
      outcome = { status: "failed", errorCode: e.code, errorMessage: e.message };
      body = failureBody({ requestId: subjectId(job.id, p.source), callUuid: job.callUuid }, e);
    }
    await finishWithCallback(deps, {
      jobId: job.id,
      params: p,
      event: "summaryDelivered",
      ids: { requestId: subjectId(job.id, p.source), callUuid: job.callUuid },
      outcome,
      body,
      followUp: null,
    });
  };
}
