/** Maps everything a route can throw to a JSON error body with a clear message. */
import type { FastifyError, FastifyInstance } from "fastify";
import { AppError } from "../core/errors.ts";
import { errorResponseBody } from "../core/payloads.ts";

const fastifyMessages: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "request body is not valid JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "request body is empty; send a JSON object",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "Content-Type must be application/json or multipart/form-data",
  FST_ERR_CTP_BODY_TOO_LARGE:
    "request body is too large (JSON bodies are limited to 1 MB; upload audio as multipart)",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "Content-Type must be application/json or multipart/form-data",
  FST_FILES_LIMIT: "send exactly one file part",
  FST_PARTS_LIMIT: "too many multipart parts",
  FST_FIELDS_LIMIT: "too many multipart fields",
};

/** Pure: any error → AppError with the status a caller should see. */
export function toHttpError(err: unknown, maxUploadMb: number): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (fe?.code === "FST_REQ_FILE_TOO_LARGE") {
    return new AppError("audio_too_large", `uploaded file exceeds the ${maxUploadMb} MB limit`, {
      field: "file",
    });
  }
  if (fe?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && fe.statusCode === 400)) {
    return new AppError("bad_request", fastifyMessages.FST_ERR_CTP_INVALID_JSON_BODY!);
  }
  const status = typeof fe?.statusCode === "number" ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = (fe.code && fastifyMessages[fe.code]) || fe.message || "bad request";
    return new AppError("bad_request", message, { httpStatus: status });
  }
  return new AppError("internal", "internal server error");
}

export function registerErrorHandling(app: FastifyInstance, maxUploadMb: number): void {
  app.setErrorHandler((err, req, reply) => {
    const e = toHttpError(err, maxUploadMb);
    if (e.httpStatus >= 500) req.log.error({ err }, "request failed");
    void reply.status(e.httpStatus).send(errorResponseBody(e));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send(
        errorResponseBody(new AppError("not_found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
      );
  });
}
