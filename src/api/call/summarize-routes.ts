/**
 * Call API: `POST /summarize` (SPEC.md section 3) and `GET /summarize/:id`. Exactly one source:
 * `request_id` of a finished transcription, `transcript` items, or `text`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { timeOrderedId } from "../../core/time-ordered-id.ts";
import type { SummaryParams, SummarySourceParam } from "../../core/summary-job.ts";
import type { Store } from "../../store/types.ts";
import { checkOwner } from "../auth.ts";
import { parseInput } from "../validation.ts";
import {
  createJob,
  queueRoomHook,
  registerReadRoute,
  respondWithJob,
  vetUrl,
  type CallApiDeps,
} from "./jobs.ts";
import { callbackAliases, callbackFields, normaliseCallback } from "./transcribe-schema.ts";

const item = z.object({
  text: z.string(),
  time_start: z.number().min(0).default(0),
  time_end: z.number().min(0).default(0),
  speaker_id: z.number().int().min(0).default(0),
  speaker_alias: z.string().default("Speaker 0"),
});

export const summarizeSchema = z.object({
  ...callbackFields,
  request_id: z.string().trim().min(1).max(128).optional(),
  transcript: z
    .array(item, { error: "transcript must be an array of transcript items" })
    .max(20_000)
    .optional(),
  text: z.string().max(1_000_000).optional(),
});

export function parseSummarize(input: unknown) {
  const f = parseInput(summarizeSchema, input, { aliases: callbackAliases });
  const given = (["request_id", "transcript", "text"] as const).filter((k) => f[k] !== undefined);
  if (given.length !== 1) {
    throw given.length === 0
      ? new AppError("missing_field", "missing source: send exactly one of request_id, transcript or text", {
          field: "request_id",
        })
      : new AppError("conflicting_fields", `send exactly one source, not ${given.join(" and ")}`, {
          field: given[1],
        });
  }
  const source: SummarySourceParam =
    f.request_id !== undefined
      ? { kind: "request", requestId: f.request_id }
      : f.transcript !== undefined
        ? { kind: "transcript", items: f.transcript }
        : { kind: "text", text: f.text! };
  return { ...normaliseCallback(f), source };
}

/** Characters of text a summary would read. Pure. */
export const inputChars = (items: ReadonlyArray<{ text: string }>) =>
  items.reduce((n, i) => n + i.text.length, 0);

/** Summaries read the whole input at once: refuse more than the limit, saying so. */
export function checkInputSize(chars: number, max: number, field: string): void {
  if (chars <= max) return;
  throw new AppError(
    "summary_input_too_large",
    `the ${field} to summarize has ${chars} characters; the limit is ${max} (MAX_SUMMARY_INPUT_CHARS)`,
    { field },
  );
}

/** A request_id source must name a finished, successful transcription of a size we summarize. */
async function checkSource(
  req: FastifyRequest,
  store: Store,
  source: SummarySourceParam,
  maxChars: number,
): Promise<void> {
  if (source.kind === "text") return checkInputSize(source.text.length, maxChars, "text");
  if (source.kind === "transcript") return checkInputSize(inputChars(source.items), maxChars, "transcript");
  const job = await store.getJob(source.requestId);
  if (!job || job.kind !== "transcription") {
    throw new AppError("not_found", `no transcription with request_id ${source.requestId}`, {
      field: "request_id",
    });
  }
  checkOwner(req, job, `transcription ${source.requestId}`);
  if (job.deletedAt !== null) {
    throw new AppError("job_deleted", `transcription ${source.requestId} was deleted`, {
      field: "request_id",
    });
  }
  if (job.status === "queued" || job.status === "processing") {
    throw new AppError(
      "transcription_not_ready",
      `transcription ${source.requestId} is still ${job.status}; retry when it has finished`,
      { field: "request_id" },
    );
  }
  if (job.status === "failed") {
    throw new AppError(
      "transcription_failed",
      `transcription ${source.requestId} failed, so there is nothing to summarize`,
      { field: "request_id" },
    );
  }
  const transcript = (job.result as { transcript?: Array<{ text: string }> } | null)?.transcript ?? [];
  checkInputSize(inputChars(transcript), maxChars, "transcript");
}

export function registerSummarizeRoutes(app: FastifyInstance, deps: CallApiDeps): void {
  app.post("/summarize", { onRequest: queueRoomHook(deps) }, async (req, reply) => {
    const f = parseSummarize(req.body);
    await checkSource(req, deps.store, f.source, deps.maxSummaryInputChars);
    await vetUrl(deps, f.callbackUrl, "callback_url");
    const params: SummaryParams = {
      callUuid: f.callUuid,
      callbackUrl: f.callbackUrl ?? null,
      authHeader: f.authHeader,
      callbackPolicy: f.callbackPolicy,
      source: f.source,
    };
    const job = {
      id: timeOrderedId(),
      kind: "summary" as const,
      callUuid: f.callUuid,
      params,
      audioName: null,
      owner: req.owner,
    };
    await createJob(deps, job);
    return respondWithJob(deps, reply, job, params.callbackUrl, "/summarize");
  });
  registerReadRoute(app, deps, "/summarize", "summary");
}
