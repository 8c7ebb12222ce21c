/**
 * The one place that builds response and webhook bodies (SPEC.md sections 2 and 4). Pure.
 */
import type { AppError } from "./errors.ts";

export interface TranscriptItem {
  text: string;
  time_start: number;
  time_end: number;
  speaker_id: number;
  speaker_alias: string;
  /** only with `word_timestamps` (and always in `/v1` results) */
  words?: TranscriptWord[];
}

export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  confidence: number | null;
}

export interface TranscriptMetadata {
  sample_rate: number;
  mode: "POST";
  timestamp: number;
  lang: string;
  codec: string;
  transcribed_mode: "POST";
  num_of_channels: number;
  audio_duration: number;
}

export interface Transcript {
  id: string;
  metadata: TranscriptMetadata;
  transcript: TranscriptItem[];
}

export interface SuccessBody {
  status: "S001";
  request_id: string;
  call_uuid: string;
  data: Transcript;
}

export interface FailureBody {
  status: "E001";
  request_id: string;
  call_uuid: string;
  error: string;
  error_code: string;
}

export interface AcceptedBody {
  status: "accepted";
  request_id: string;
  call_uuid: string;
}

interface Ids {
  requestId: string;
  callUuid: string;
}

export function successBody(ids: Ids, data: Transcript): SuccessBody {
  return { status: "S001", request_id: ids.requestId, call_uuid: ids.callUuid, data };
}

export function failureBody(ids: Ids, error: { code: string; message: string }): FailureBody {
  return {
    status: "E001",
    request_id: ids.requestId,
    call_uuid: ids.callUuid,
    error: error.message,
    error_code: error.code,
  };
}

export function acceptedBody(ids: Ids): AcceptedBody {
  return { status: "accepted", request_id: ids.requestId, call_uuid: ids.callUuid };
}

/** Body of an HTTP error response from the Call API (not a webhook). */
export function errorResponseBody(err: AppError, ids: Partial<Ids> = {}) {
  return {
    status: "E001" as const,
    ...(ids.requestId ? { request_id: ids.requestId } : {}),
    ...(ids.callUuid ? { call_uuid: ids.callUuid } : {}),
    error: err.message,
    error_code: err.code,
    ...(err.field ? { field: err.field } : {}),
  };
}
