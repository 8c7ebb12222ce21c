/**
 * The `POST /transcribe` request as a schema (SPEC.md section 2). JSON bodies and multipart form
 * fields both end up here; form fields are strings, so `fromFormFields` converts them first.
 */
import { z } from "zod";
import { AppError } from "../../core/errors.ts";

const httpUrl = (field: string) =>
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
    }, `${field} must be an absolute http or https URL`);

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const RESERVED_HEADERS = new Set([
  "host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent",
  "keep-alive", "upgrade", "te", "trailer", "expect",
]); // prettier-ignore

const headerName = z
  .string()
  .trim()
  .regex(HEADER_TOKEN, "must be a valid HTTP header name")
  .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "is a header the server sets itself");
const headerValue = z
  .string()
  .max(8192)
  .refine((v) => !/[\r\n\0]/.test(v), "must not contain line breaks");

/** Fields every Call API submission shares: who the call is and where (and how) to call back. */
export const callbackFields = {
  call_uuid: z
    .union([z.string(), z.number()], { error: "call_uuid is required" })
    .transform(String)
    .pipe(z.string().trim().min(1, "call_uuid must not be empty").max(256)),
  callback_url: httpUrl("callback_url").optional(),
  callback_auth_header_name: headerName.optional(),
  callback_auth_header_value: headerValue.optional(),
  webhook_auth_header_name: headerName.optional(),
  webhook_auth_header_value: headerValue.optional(),
  callback_policy: z
    .enum(["makimoto", "assemblyai", "standard"], {
      error: "callback_policy must be one of makimoto, assemblyai, standard",
    })
    .optional(),
};

export const transcribeFieldsSchema = z
  .object({
    ...callbackFields,
    uri: httpUrl("uri").optional(),
    lang: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/, "lang must be a language code such as en or en-US")
      .default("en"),
    speaker_aliases: z.array(z.string().trim().min(1).max(100)).max(32).optional(),
    summarize: z.boolean().optional(),
  })
  .strip();

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
}

export function requireObject(input: unknown): void {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new AppError("bad_request", "request body must be a JSON object");
  }
}

/** The first schema issue as a 400 naming its field. */
export function firstIssue(error: z.ZodError): AppError {
  const issue = error.issues[0]!;
  const field = String(issue.path[0] ?? "body");
  const msg = issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
  return new AppError("bad_request", msg, { field });
}

type ParsedCallback = {
  call_uuid: string;
  callback_url?: string | undefined;
  callback_auth_header_name?: string | undefined;
  callback_auth_header_value?: string | undefined;
  webhook_auth_header_name?: string | undefined;
  webhook_auth_header_value?: string | undefined;
  callback_policy?: string | undefined;
};

/** Resolves the webhook_* aliases and checks the auth header comes as a name/value pair. */
export function normaliseCallback(f: ParsedCallback): CallbackFields {
  const name = f.callback_auth_header_name ?? f.webhook_auth_header_name;
  const value = f.callback_auth_header_value ?? f.webhook_auth_header_value;
  if ((name === undefined) !== (value === undefined)) {
    const missing = name === undefined ? "callback_auth_header_name" : "callback_auth_header_value";
    throw new AppError("bad_request", `${missing} is required when the other auth header field is set`, {
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
  requireObject(input);
  const r = transcribeFieldsSchema.safeParse(input);
  if (!r.success) throw firstIssue(r.error);
  const f = r.data;
  if (f.summarize && !f.callback_url) {
    throw new AppError(
      "bad_request",
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
  };
}

/** Multipart fields are strings: parse arrays and booleans the way callers send them. */
export function fromFormFields(fields: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  const aliases = fields.speaker_aliases;
  if (aliases !== undefined) {
    out.speaker_aliases = aliases.trim().startsWith("[")
      ? safeJson(aliases, "speaker_aliases")
      : aliases.split(",").map((s) => s.trim());
  }
  if (fields.summarize !== undefined) out.summarize = /^(true|1|yes)$/i.test(fields.summarize.trim());
  return out;
}

function safeJson(s: string, field: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new AppError("bad_request", `${field} must be a JSON array or a comma-separated list`, { field });
  }
}
