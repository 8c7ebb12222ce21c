/**
 * One error type for everything the server reports to a caller. `code` is the machine-readable
 * `error_code` of SPEC.md section 1 (a closed set, documented in the README, so clients can
 * branch on it); `httpStatus` is what a synchronous answer uses.
 */
const defaultStatus = {
  // the request itself
  invalid_json: 400,
  missing_field: 400,
  invalid_field: 400,
  unknown_field: 400,
  conflicting_fields: 400,
  invalid_multipart: 400,
  unsupported_language: 400,
  url_not_allowed: 400,
  unsupported_media_type: 415,
  body_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  transcription_not_ready: 409,
  transcription_failed: 409,
  delivery_in_flight: 409,
  job_deleted: 410,
  // the audio and the engines (also the `error_code` of E001 webhooks)
  audio_fetch_failed: 400,
  audio_too_large: 413,
  audio_too_long: 413,
  summary_input_too_large: 413,
  unsupported_audio: 415,
  inference_failed: 502,
  summary_failed: 502,
  timeout: 504,
  worker_lost: 500,
  storage_failed: 500,
  // the server
  queue_full: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof defaultStatus;

export const errorCodes = Object.keys(defaultStatus) as ErrorCode[];

export function statusForCode(code: string): number {
  return (defaultStatus as Record<string, number>)[code] ?? 500;
}

export class AppError extends Error {
  readonly httpStatus: number;
  readonly field: string | undefined;
  /** seconds a client should wait before retrying (sent as `Retry-After`) */
  readonly retryAfterS: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { httpStatus?: number; field?: string; cause?: unknown; retryAfterS?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.httpStatus = opts.httpStatus ?? defaultStatus[code];
    this.field = opts.field;
    this.retryAfterS = opts.retryAfterS;
  }
}

/**
 * What a caller is told when an engine or the server itself fails. The underlying error can name
 * internal backend URLs or echo a backend's raw answer, so it goes to the log (as the `cause`),
 * never into a response or a webhook.
 */
const publicMessages: Partial<Record<ErrorCode, string>> = {
  inference_failed:
    "speech recognition failed: the recognizer did not return a usable result (details are in the server log)",
  summary_failed:
    "the summary could not be produced: the summarization engine failed (details are in the server log)",
  internal: "internal error (details are in the server log)",
};

/** Fails a job whose workers kept dying before finishing it (each claim is an attempt). */
export function checkAttempts(job: { attempts: number }, maxAttempts: number): void {
  if (job.attempts > maxAttempts) {
    throw new AppError(
      "worker_lost",
      `processing stopped ${maxAttempts} times without finishing (the worker was lost each time); not retried again`,
    );
  }
}

/** An AppError as it is; anything else as `fallback` with a fixed public message and the error as cause. */
export function toAppError(err: unknown, fallback: ErrorCode = "internal"): AppError {
  if (err instanceof AppError) return err;
  return new AppError(fallback, publicMessages[fallback] ?? publicMessages.internal!, { cause: err });
}
