/**
 * Jobs API (`/v1`) errors: `{"error":{"code","message","details"?},"requestId"}` with the codes of
 * SPEC.md section 5. Errors raised by shared code (AppError) are mapped onto them.
 */
import { AppError, type ErrorCode } from "../../core/errors.ts";

const v1Status = {
  AUDIO_FILE_MISSING: 400,
  AUDIO_DURATION_UNKNOWN: 400,
  INVALID_METADATA_JSON: 400,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_AUDIO_FORMAT: 415,
  QUOTA_EXCEEDED: 429,
  JOB_NOT_FOUND: 404,
  FORBIDDEN: 403,
  INVALID_PAGINATION: 400,
  INVALID_FILTER: 400,
  INVALID_JSON_BODY: 400,
  MISSING_TRANSCRIPT_SOURCE: 400,
  MULTIPLE_TRANSCRIPT_SOURCES: 400,
  NOT_A_TRANSCRIPTION: 400,
  TRANSCRIPTION_NOT_READY: 409,
  TRANSCRIPT_EMPTY: 422,
  INTERNAL_ERROR: 500,
  // beyond SPEC.md's list: authentication, routing, limits and overload
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  UNSUPPORTED_LANGUAGE: 400,
  AUDIO_TOO_LONG: 413,
  SERVICE_BUSY: 503,
} as const;

export type V1Code = keyof typeof v1Status;

export class V1Error extends Error {
  readonly status: number;
  constructor(
    readonly code: V1Code,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = v1Status[code];
  }
}

/** The Call API's codes as the Jobs API names them. */
const fromAppCode: Partial<Record<ErrorCode, V1Code>> = {
  unauthorized: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  not_found: "NOT_FOUND",
  invalid_json: "INVALID_JSON_BODY",
  body_too_large: "FILE_TOO_LARGE",
  audio_too_large: "FILE_TOO_LARGE",
  audio_too_long: "AUDIO_TOO_LONG",
  unsupported_audio: "UNSUPPORTED_AUDIO_FORMAT",
  unsupported_media_type: "UNSUPPORTED_AUDIO_FORMAT",
  unsupported_language: "UNSUPPORTED_LANGUAGE",
  queue_full: "SERVICE_BUSY",
  transcription_not_ready: "TRANSCRIPTION_NOT_READY",
  internal: "INTERNAL_ERROR",
};

/** Pure: an error already mapped to an AppError (or a V1Error) → status and body. */
export function v1ErrorBody(err: V1Error | AppError, requestId: string) {
  let e: V1Error;
  let status: number;
  if (err instanceof V1Error) {
    e = err;
    status = err.status;
  } else {
    const mapped = fromAppCode[err.code];
    e = new V1Error(mapped ?? (err.httpStatus >= 500 ? "INTERNAL_ERROR" : "INVALID_REQUEST"), err.message);
    status = mapped ? e.status : err.httpStatus;
  }
  return {
    status,
    body: {
      error: { code: e.code, message: e.message, ...(e.details && { details: e.details }) },
      requestId,
    },
  };
}
