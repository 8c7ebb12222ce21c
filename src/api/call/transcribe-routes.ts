/**
 * Call API: `POST /transcribe` (inline and accepted modes) and `GET /transcribe/:id`.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { AppError, statusForCode } from "../../core/errors.ts";
import type { JobRunner } from "../../core/job-runner.ts";
import { acceptedBody, errorResponseBody } from "../../core/payloads.ts";
import type { TranscriptionParams } from "../../core/transcription-job.ts";
import { safeExtension, type BlobStore } from "../../store/blobs.ts";
import type { Store } from "../../store/types.ts";
import { deliveryView, jobResultBody, jobView } from "../views.ts";
import { fromFormFields, parseTranscribeFields } from "./transcribe-schema.ts";
import { receiveMultipart, type Upload } from "./upload.ts";

export interface CallApiDeps {
  store: Store;
  blobs: BlobStore;
  runner: JobRunner;
  /** rejects when a callback URL may not be reached (SSRF guard) */
  checkCallbackUrl(url: URL): Promise<void>;
  maxQueuedJobs: number;
  inlineTimeoutMs: number;
}

export function registerTranscribeRoutes(app: FastifyInstance, deps: CallApiDeps): void {
  app.post("/transcribe", async (req, reply) => {
    const upload: Upload | null = req.isMultipart() ? await receiveMultipart(req, deps.blobs) : null;
    let created = false;
    try {
      const fields = parseTranscribeFields(upload ? fromFormFields(upload.fields) : req.body);
      if (Boolean(fields.uri) === Boolean(upload?.file)) {
        throw new AppError(
          "bad_request",
          fields.uri
            ? "send either uri or file, not both"
            : "missing audio: send uri (JSON or form field) or a multipart file part named file",
          { field: "uri" },
        );
      }
      if (fields.callbackUrl) {
        try {
          await deps.checkCallbackUrl(new URL(fields.callbackUrl));
        } catch (err) {
          throw new AppError("bad_request", `callback_url is not allowed: ${(err as Error).message}`, {
            field: "callback_url",
          });
        }
      }
      if ((await deps.store.countJobs("queued")) >= deps.maxQueuedJobs) {
        throw new AppError("overloaded", "the server is busy (job queue is full); retry later");
      }

      const requestId = randomUUID();
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
        source: upload?.file
          ? { kind: "upload", filename: upload.file.filename }
          : { kind: "uri", uri: fields.uri! },
      };
      await deps.store.createJob({
        id: requestId,
        kind: "transcription",
        callUuid: fields.callUuid,
        params,
        audioName,
        now: Date.now(),
      });
      created = true;
      deps.runner.kick();
      const ids = { requestId, callUuid: fields.callUuid };
      req.log.info({ requestId, mode: fields.callbackUrl ? "accepted" : "inline" }, "transcription queued");

      if (fields.callbackUrl) return reply.status(202).send(acceptedBody(ids));

      const job = await deps.runner.waitFor(requestId, deps.inlineTimeoutMs);
      if (!job) {
        const e = new AppError(
          "timeout",
          `transcription did not finish within ${deps.inlineTimeoutMs / 1000} s; poll GET /transcribe/${requestId}`,
        );
        return reply.status(e.httpStatus).send(errorResponseBody(e, ids));
      }
      const body = jobResultBody(job);
      return reply
        .status(job.status === "succeeded" ? 200 : statusForCode(job.errorCode ?? "internal"))
        .send(body);
    } finally {
      if (upload?.file && !created) await deps.blobs.remove(upload.file.name);
    }
  });

  app.get<{ Params: { id: string } }>("/transcribe/:id", async (req) => {
    const job = await deps.store.getJob(req.params.id);
    if (!job) throw new AppError("not_found", `no transcription with request_id ${req.params.id}`);
    const [delivery] = await deps.store.deliveriesForJob(job.id);
    const callback = delivery ? deliveryView(delivery, await deps.store.attemptsFor(delivery.id)) : null;
    return jobView(job, callback);
  });
}
