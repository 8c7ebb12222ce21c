/**
 * One error type for everything the server reports to a caller. `code` is the machine-readable
 * `error_code` of SPEC.md section 1; `httpStatus` is what inline mode answers with.
 */
export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "not_found"
  | "conflict"
  | "audio_fetch_failed"
  | "unsupported_audio"
  | "audio_too_large"
  | "inference_failed"
  | "summary_failed"
  | "timeout"
  | "overloaded"
  | "internal";

const defaultStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  audio_fetch_failed: 400,
  unsupported_audio: 415,
  audio_too_large: 413,
  inference_failed: 502,
  summary_failed: 502,
  timeout: 504,
  overloaded: 503,
  internal: 500,
};

export function statusForCode(code: string): number {
  return (defaultStatus as Record<string, number>)[code] ?? 500;
}

export class AppError extends Error {
  readonly httpStatus: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { httpStatus?: number; field?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.httpStatus = opts.httpStatus ?? defaultStatus[code];
    this.field = opts.field;
  }
  readonly field: string | undefined;
}

/** Wraps anything thrown into an AppError without losing a message a caller can act on. */
export function toAppError(err: unknown, fallback: ErrorCode = "internal"): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallback, message, { cause: err });
}
