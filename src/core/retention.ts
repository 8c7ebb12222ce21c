/**
 * Retention: how long a job's audio and its result (transcript, summary, webhook bodies) are
 * kept. Fixed when the job is submitted; a request's `retention_hours` can only shorten it.
 */
export interface RetentionPolicy {
  /** AUDIO_RETENTION_HOURS; 0 keeps audio until the job is deleted */
  audioHours: number;
  /** RESULT_RETENTION_DAYS; 0 keeps results until the job is deleted */
  resultDays: number;
}

const HOUR = 3_600_000;

/** Pure: when a job submitted at `now` loses its audio and its data (null: never). */
export function expiryOf(
  now: number,
  policy: RetentionPolicy,
  requestHours?: number,
): { audioExpiresAt: number | null; resultExpiresAt: number | null } {
  const at = (serverHours: number) => {
    const hours = Math.min(serverHours > 0 ? serverHours : Infinity, requestHours ?? Infinity);
    return Number.isFinite(hours) ? now + Math.round(hours * HOUR) : null;
  };
  return { audioExpiresAt: at(policy.audioHours), resultExpiresAt: at(policy.resultDays * 24) };
}
