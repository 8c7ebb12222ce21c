/**
 * Call API: `POST /transcribe` (inline and accepted modes) and `GET /transcribe/:id`.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { AppError } from "../../core/errors.ts";
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

export type { CallApiDeps };

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
        source: upload?.file
          ? { kind: "upload", filename: upload.file.filename }
          : { kind: "uri", uri: fields.uri! },
      };
      const job = {
        id: randomUUID(),
        kind: "transcription" as const,
        callUuid: fields.callUuid,
        params,
        audioName,
      };
      if (upload?.file) await deps.blobs.share(upload.file.name);
      await createJob(deps, job);
      created = true;
      return await respondWithJob(deps, reply, job, params.callbackUrl, "/transcribe");
    } finally {
      if (upload?.file && !created) await deps.blobs.remove(upload.file.name);
    }
  });

  registerReadRoute(app, deps, "/transcribe", "transcription");
}
