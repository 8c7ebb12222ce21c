/**
 * The `POST /transcribe` request as a schema (SPEC.md section 2). JSON bodies and multipart form
 * fields both end up here; form fields are strings, so `fromFormFields` converts them first.
 */
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { EVENT_HEADER } from "../../delivery/worker.ts";
import { TRANSCRIPT_FORMATS, type TranscriptFormat } from "../../pipeline/format-text.ts";
import { vocabularyList } from "../../engines/asr/vocabulary.ts";
import { PII_POLICIES, piiPolicyList, type RedactionRequest } from "../../redaction/policies.ts";
import { parseInput } from "../validation.ts";
import { speakerHintFields, speakerHints } from "../speaker-hints.ts";
import type { SpeakerHints } from "../../pipeline/diarization/diarize.ts";

export const httpUrl = (field: string) =>
  z
    .string()
    .trim()
    .max(4096)
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
      } catch {
        return false;
      }
    }, `${field} must be an absolute http or https URL`)
    .meta({ format: "uri" });

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const RESERVED_HEADERS = new Set([
  "host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent",
  "keep-alive", "upgrade", "te", "trailer", "expect", EVENT_HEADER, "webhook-id", "webhook-timestamp",
  "webhook-signature", "webhook-attempt",
]); // prettier-ignore

export const headerName = z
  .string()
  .trim()
  .regex(HEADER_TOKEN, "must be a valid HTTP header name")
  .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "is a header the server sets itself");
export const headerValue = z
  .string()
  .max(8192)
  .refine((v) => !/[\r\n\0]/.test(v), "must not contain line breaks");

/** Fields every Call API submission shares: who the call is and where (and how) to call back. */
export const callbackFields = {
  call_uuid: z
    .union([z.string(), z.number()], { error: "call_uuid must be a string" })
    .transform(String)
    .pipe(z.string().trim().min(1, "call_uuid must not be empty").max(256)),
  callback_url: httpUrl("callback_url").optional(),
  callback_auth_header_name: headerName.optional(),
  callback_auth_header_value: headerValue.optional(),
  callback_policy: z
    .enum(["makimoto", "assemblyai", "standard"], {
      error: "callback_policy must be one of makimoto, assemblyai, standard",
    })
    .optional(),
};

/** AssemblyAI's names for the same things. */
export const callbackAliases = {
  webhook_url: "callback_url",
  webhook_auth_header_name: "callback_auth_header_name",
  webhook_auth_header_value: "callback_auth_header_value",
};
export const transcribeAliases = { ...callbackAliases, audio_url: "uri", language_code: "lang" };

const ALIASES_FORMAT = 'speaker_aliases must be a JSON array of non-empty strings, e.g. ["Agent","User"]';
const aliasName = z.string({ error: ALIASES_FORMAT }).trim().min(1, ALIASES_FORMAT).max(100, ALIASES_FORMAT);

/** `true`/`false`, as JSON booleans or as those strings (form fields are strings). */
export const strictBoolean = (field: string) =>
  z
    .union([z.boolean(), z.enum(["true", "false"])], { error: `${field} must be true or false` })
    .transform((v) => v === true || v === "true");

/** Per request: keep the audio and the result at most this long (shortens the server's retention). */
export const retentionHours = z.coerce
  .number({ error: "retention_hours must be a number of hours" })
  .positive("retention_hours must be more than 0")
  .max(24 * 3650, "retention_hours is too large");

/** `formatted`: digits, sentence case, a final stop; `plain`: the recognizer's words as they are. */
export const transcriptFormat = z.enum(TRANSCRIPT_FORMATS, { error: "format must be formatted or plain" });

export const transcribeFieldsSchema = z.object({
  ...callbackFields,
  uri: httpUrl("uri").optional(),
  lang: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/, "lang must be a language code such as en or en-US")
    .default("en"),
  speaker_aliases: z.array(aliasName, { error: ALIASES_FORMAT }).max(32, ALIASES_FORMAT).optional(),
  summarize: strictBoolean("summarize").optional(),
  retention_hours: retentionHours.optional(),
  word_timestamps: strictBoolean("word_timestamps").optional(),
  format: transcriptFormat.optional(),
  vocabulary: vocabularyList.optional(),
  redact_pii: strictBoolean("redact_pii").optional(),
  redact_pii_policies: piiPolicyList.optional(),
  redact_pii_audio: strictBoolean("redact_pii_audio").optional(),
  ...speakerHintFields,
});

export interface CallbackFields {
  callUuid: string;
  callbackUrl: string | undefined;
  authHeader: { name: string; value: string } | undefined;
  callbackPolicy: string | undefined;
}

export interface TranscribeFields extends CallbackFields {
  uri: string | undefined;
  lang: string;
  speakerAliases: string[] | undefined;
  summarize: boolean;
  retentionHours: number | undefined;
  wordTimestamps: boolean;
  /** undefined: the server's TRANSCRIPT_FORMAT */
  format: TranscriptFormat | undefined;
  /** terms to listen for (the server's ASR_VOCABULARY is added when the job runs) */
  vocabulary: string[] | undefined;
  /** `redact_pii` with its policies (all unless named) and `redact_pii_audio`; undefined: no redaction */
  redactPii: RedactionRequest | undefined;
  /** speakers_expected / min_speakers / max_speakers (one-channel audio); undefined: the default */
  speakers: SpeakerHints | undefined;
}

type ParsedCallback = {
  call_uuid: string;
  callback_url?: string | undefined;
  callback_auth_header_name?: string | undefined;
  callback_auth_header_value?: string | undefined;
  callback_policy?: string | undefined;
};

/** Checks the auth header comes as a name/value pair. */
export function normaliseCallback(f: ParsedCallback): CallbackFields {
  const name = f.callback_auth_header_name;
  const value = f.callback_auth_header_value;
  if ((name === undefined) !== (value === undefined)) {
    const missing = name === undefined ? "callback_auth_header_name" : "callback_auth_header_value";
    throw new AppError("missing_field", `${missing} is required when the other auth header field is set`, {
      field: missing,
    });
  }
  return {
    callUuid: f.call_uuid,
    callbackUrl: f.callback_url,
    authHeader: name !== undefined && value !== undefined ? { name, value } : undefined,
    callbackPolicy: f.callback_policy,
  };
}

/** Validates and normalises; throws a 400 AppError naming the first bad field. */
export function parseTranscribeFields(input: unknown): TranscribeFields {
  const f = parseInput(transcribeFieldsSchema, input, { aliases: transcribeAliases });
  if (f.summarize && !f.callback_url) {
    throw new AppError(
      "missing_field",
      "callback_url is required with summarize: true (the summary is a webhook)",
      {
        field: "callback_url",
      },
    );
  }
  return {
    ...normaliseCallback(f),
    uri: f.uri,
    lang: f.lang,
    speakerAliases: f.speaker_aliases,
    summarize: f.summarize ?? false,
    retentionHours: f.retention_hours,
    wordTimestamps: f.word_timestamps ?? false,
    format: f.format,
    vocabulary: f.vocabulary,
    redactPii: redactionFields(f),
    speakers: speakerHints(f),
  };
}

/** `redact_pii`, `redact_pii_policies`, `redact_pii_audio` (both need `redact_pii: true`). */
export function redactionFields(f: {
  redact_pii?: boolean | undefined;
  redact_pii_policies?: RedactionRequest["policies"] | undefined;
  redact_pii_audio?: boolean | undefined;
}): RedactionRequest | undefined {
  const dependent = f.redact_pii_audio
    ? "redact_pii_audio"
    : f.redact_pii_policies
      ? "redact_pii_policies"
      : null;
  if (!f.redact_pii) {
    if (dependent === null) return undefined;
    throw new AppError(
      f.redact_pii === false ? "conflicting_fields" : "missing_field",
      `${dependent} needs redact_pii: true`,
      { field: "redact_pii" },
    );
  }
  return { policies: f.redact_pii_policies ?? [...PII_POLICIES], audio: f.redact_pii_audio ?? false };
}

/**
 * Multipart fields are strings: `speaker_aliases` holds JSON (left as the raw string when it is not
 * JSON, so the schema reports the expected format); `summarize` stays "true"/"false"; `vocabulary`
 * and `redact_pii_policies` are a JSON array or a comma-separated list.
 */
export function fromFormFields(fields: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  if (fields.speaker_aliases !== undefined) {
    try {
      out.speaker_aliases = JSON.parse(fields.speaker_aliases);
    } catch {
      /* not JSON: the schema names the expected format */
    }
  }
  if (fields.vocabulary !== undefined) out.vocabulary = vocabularyField(fields.vocabulary);
  // the same list forms: ["email_address","phone_number"] or email_address,phone_number
  if (fields.redact_pii_policies !== undefined)
    out.redact_pii_policies = vocabularyField(fields.redact_pii_policies);
  return out;
}

/** A form's `vocabulary`: a JSON array, or terms separated by commas (`-F vocabulary=Acme,Northwind`). */
export function vocabularyField(raw: string): unknown {
  if (raw.trimStart().startsWith("[")) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw; // the schema names the expected format
    }
  }
  return raw
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The recognizer's languages, if it is picky: a request in another language is refused up front. */
export function checkLanguage(lang: string, supported: readonly string[] | null, engine: string): void {
  if (supported === null) return;
  const primary = lang.toLowerCase().split(/[-_]/)[0]!;
  if (supported.includes(primary)) return;
  throw new AppError(
    "unsupported_language",
    `lang "${lang}" is not supported by the ${engine} recognizer; supported: ${supported.join(", ")} ` +
      "(set ASR_URL to a Whisper server for other languages)",
    { field: "lang" },
  );
}
