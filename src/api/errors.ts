/** Maps everything a route can throw to a JSON error body with a clear message and a specific code. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode } from "../core/errors.ts";
import { errorResponseBody } from "../core/payloads.ts";
import { isJobsApi } from "./auth.ts";
import { V1Error, v1ErrorBody } from "./v1/errors.ts";

/** Fastify's and @fastify/multipart's own errors, as this API names them. */
const fastifyErrors: Record<string, { code: ErrorCode; message: string; status?: number }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "invalid_json", message: "request body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "invalid_json", message: "request body is empty; send a JSON object" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "unsupported_media_type",
    message: "Content-Type must be application/json or multipart/form-data",
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    code: "unsupported_media_type",
    message: "Content-Type must be application/json or multipart/form-data",
    status: 415,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: "body_too_large",
    message: "request body is too large (JSON bodies are limited to 1 MB; upload audio as multipart)",
  },
  FST_FILES_LIMIT: { code: "invalid_multipart", message: "send exactly one file part", status: 400 },
  FST_PARTS_LIMIT: { code: "invalid_multipart", message: "too many multipart parts", status: 400 },
  FST_FIELDS_LIMIT: { code: "invalid_multipart", message: "too many multipart fields", status: 400 },
  FST_PROTO_VIOLATION: { code: "invalid_multipart", message: "forbidden multipart field name", status: 400 },
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
  const known = fe?.code ? fastifyErrors[fe.code] : undefined;
  if (known) return new AppError(known.code, known.message, { httpStatus: known.status ?? fe.statusCode });
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return new AppError("invalid_json", fastifyErrors.FST_ERR_CTP_INVALID_JSON_BODY!.message);
  }
  const status = typeof fe?.statusCode === "number" ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new AppError("invalid_field", fe.message || "bad request", { httpStatus: status });
  }
  return new AppError("internal", "internal server error", { cause: err });
}

/** The Jobs API (`/v1`) answers in its own error format; everything else in the Call API's. */
function sendError(req: FastifyRequest, reply: FastifyReply, e: AppError | V1Error) {
  if (isJobsApi(req.url) || e instanceof V1Error) {
    const { status, body } = v1ErrorBody(e, req.id);
    return reply.status(status).send(body);
  }
  return reply.status(e.httpStatus).send(errorResponseBody(e));
}

export function registerErrorHandling(app: FastifyInstance, maxUploadMb: number): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof V1Error) return sendError(req, reply, err);
    const e = toHttpError(err, maxUploadMb);
    // Only our own faults deserve a stack; overload and failed backends are conditions, not bugs.
    if (e.code === "internal") req.log.error({ err }, "request failed");
    else if (e.httpStatus >= 500) req.log.warn({ errorCode: e.code }, e.message);
    if (e.retryAfterS !== undefined) void reply.header("retry-after", String(e.retryAfterS));
    return sendError(req, reply, e);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new AppError("not_found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
  );
}
