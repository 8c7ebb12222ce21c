/**
 * Call API: `POST /transcribe` (inline and accepted modes) and `GET /transcribe/:id`.
 */
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { timeOrderedId } from "../../core/time-ordered-id.ts";
import type { TranscriptionParams } from "../../core/transcription-job.ts";
import { safeExtension } from "../../store/blobs.ts";
import {
  createJob,
  queueRoomHook,
  registerReadRoute,
  respondWithJob,
  vetUrl,
  type CallApiDeps,
} from "./jobs.ts";
import { checkLanguage, fromFormFields, parseTranscribeFields } from "./transcribe-schema.ts";
import { receiveMultipart, type Upload } from "./upload.ts";
import { checkOwner } from "../auth.ts";
import { deleteJob } from "../../core/delete-job.ts";
import { requestSummary } from "../views.ts";

export type { CallApiDeps };

const CALL_UUID_REQUIRED = "call_uuid is required: GET /transcribe?call_uuid=…";
const LIMIT_RANGE = "limit must be an integer from 1 to 1000";

/** `GET /transcribe?call_uuid=…&limit=…` (other parameters are ignored). */
export const callRequestsQuery = z.object({
  call_uuid: z.string().trim().min(1, CALL_UUID_REQUIRED),
  limit: z.coerce.number().int(LIMIT_RANGE).min(1, LIMIT_RANGE).max(1000, LIMIT_RANGE).default(100),
});

function parseCallRequestsQuery(raw: unknown) {
  const r = callRequestsQuery.safeParse(raw);
  if (r.success) return r.data;
  const field = String(r.error.issues[0]!.path[0]);
  if (field === "limit") throw new AppError("invalid_field", LIMIT_RANGE, { field });
  const given = (raw as Record<string, unknown> | null)?.call_uuid;
  throw typeof given === "string" || given === undefined
    ? new AppError("missing_field", CALL_UUID_REQUIRED, { field })
    : new AppError("invalid_field", "call_uuid must be given once", { field });
}

export function registerTranscribeRoutes(app: FastifyInstance, deps: CallApiDeps): void {
  app.post("/transcribe", { onRequest: queueRoomHook(deps) }, async (req, reply) => {
    const upload: Upload | null = req.isMultipart() ? await receiveMultipart(req, deps.blobs) : null;
    let created = false;
    try {
      const fields = parseTranscribeFields(upload ? fromFormFields(upload.fields) : req.body);
      if (Boolean(fields.uri) === Boolean(upload?.file)) {
        throw fields.uri
          ? new AppError("conflicting_fields", "send either uri or file, not both", { field: "uri" })
          : new AppError(
              "missing_field",
              "missing audio: send uri (JSON or form field) or a multipart file part named file",
              { field: "uri" },
            );
      }
      checkLanguage(fields.lang, deps.recognizer.languages, deps.recognizer.name);
      await vetUrl(deps, fields.uri, "uri", true);
      await vetUrl(deps, fields.callbackUrl, "callback_url");

      const audioName =
        upload?.file?.name ??
        deps.blobs.newName(safeExtension(path.posix.basename(new URL(fields.uri!).pathname)));
      const params: TranscriptionParams = {
        callUuid: fields.callUuid,
        callbackUrl: fields.callbackUrl ?? null,
        lang: fields.lang,
        speakerAliases: fields.speakerAliases,
        authHeader: fields.authHeader,
        callbackPolicy: fields.callbackPolicy,
        summarize: fields.summarize,
        ...(fields.wordTimestamps && { wordTimestamps: true }),
        format: fields.format ?? deps.transcriptFormat,
        ...(fields.vocabulary?.length && { vocabulary: fields.vocabulary }),
        ...(fields.redactPii && { redactPii: fields.redactPii }),
        ...(fields.speakers && { speakers: fields.speakers }),
        source: upload?.file
          ? { kind: "upload", filename: upload.file.filename }
          : { kind: "uri", uri: fields.uri! },
      };
      const job = {
        id: timeOrderedId(),
        kind: "transcription" as const,
        callUuid: fields.callUuid,
        params,
        audioName,
        owner: req.owner,
      };
      if (upload?.file) await deps.blobs.share(upload.file.name);
      await createJob(deps, job, fields.retentionHours);
      created = true;
      return await respondWithJob(deps, reply, job, params.callbackUrl, "/transcribe");
    } finally {
      if (upload?.file && !created) await deps.blobs.remove(upload.file.name);
    }
  });

  registerReadRoute(app, deps, "/transcribe", "transcription");

  // a call's requests, newest first (GET /transcribe?call_uuid=…)
  app.get("/transcribe", async (req) => {
    const { call_uuid: callUuid, limit } = parseCallRequestsQuery(req.query);
    const jobs = await deps.store.listJobs({
      callUuid,
      kind: "transcription",
      owner: req.owner ?? undefined,
      limit,
    });
    return { call_uuid: callUuid, requests: jobs.map(requestSummary) };
  });

  app.delete<{ Params: { id: string } }>("/transcribe/:id", async (req) => {
    const job = await deps.store.getJob(req.params.id);
    if (!job || job.kind !== "transcription")
      throw new AppError("not_found", `no transcription with request_id ${req.params.id}`);
    checkOwner(req, job, `request ${job.id}`);
    await deleteJob(deps, job);
    return { status: "deleted", request_id: job.id, call_uuid: job.callUuid };
  });
}
