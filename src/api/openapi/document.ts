/**
 * The OpenAPI 3.1 description of the server (`GET /openapi.json`), generated from the zod schemas
 * the routes validate with (zod's own `z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses)
 * and the response schemas of `schemas.ts`. Pure: one table of operations in, one document out.
 *
 * Request schemas are converted as the client sends them (`io: "input"`: before defaults and
 * transforms); bodies parsed by `parseInput` refuse unknown fields, so their schemas are closed
 * and list the accepted aliases. Response schemas are converted as the server writes them
 * (`io: "output"`: closed objects). Schemas with a `.meta({ id })` become shared components.
 */
import { z } from "zod";
import pkg from "../../../package.json" with { type: "json" };
import { listQuery as callsQuery } from "../admin/calls-routes.ts";
import {
  eventsQuery,
  listQuery as deliveriesQuery,
  recoverBody,
  redeliverBody,
} from "../admin/deliveries-routes.ts";
import { receiversQuery } from "../admin/receivers-routes.ts";
import { summarizeSchema } from "../call/summarize-routes.ts";
import { callRequestsQuery } from "../call/transcribe-routes.ts";
import { callbackAliases, transcribeAliases, transcribeFieldsSchema } from "../call/transcribe-schema.ts";
import { EVENT_HEADER } from "../../delivery/worker.ts";
import { listQuery as v1ListQuery, postprocessBody, uploadForm } from "../v1/routes.ts";
import * as S from "./schemas.ts";

type Json = Record<string, unknown>;
type Method = "get" | "post" | "delete";
type Auth = "apikey" | "bearer" | "none";

interface Body {
  /** JSON body, strict: parsed by parseInput (unknown fields refused), with these aliases */
  json?: { schema: z.ZodObject; aliases?: Record<string, string>; strict?: boolean; example?: Json };
  /** multipart/form-data: the fields besides the `file` part */
  form?: { schema: z.ZodObject; aliases?: Record<string, string>; strict: boolean; fileRequired: boolean };
  required: boolean;
}

interface Reply {
  description: string;
  /** application/json body; a string: a media type with a plain string body */
  schema?: z.ZodType | string;
}

export interface Operation {
  method: Method;
  /** Fastify's form: `/deliveries/:id` */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  /** path parameters and what they name */
  params?: Record<string, string>;
  query?: z.ZodObject;
  body?: Body;
  responses: Record<string, Reply>;
}

const TAGS = {
  call: "Call API",
  v1: "Jobs API (v1)",
  admin: "Deliveries and events",
  console: "Console (admin reads)",
  ops: "Operations",
} as const;

/** The usual error answers of each dialect. */
const callError = (description: string): Reply => ({ description, schema: S.CallApiError });
const v1Error = (description: string): Reply => ({ description, schema: S.V1Error });
const callErrors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), callError(ERRORS[c]!)]));
const v1Errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), v1Error(ERRORS[c]!)]));
const ERRORS: Record<number, string> = {
  400: "invalid request (`field` / `details` name what is wrong)",
  401: "missing or wrong API key (API_KEYS is set)",
  403: "the job belongs to another tenant",
  404: "no such job, delivery or route",
  409: "conflict: not finished yet, or being sent right now",
  410: "the job's data was deleted",
  413: "upload or audio over the configured limits",
  415: "not decodable audio, or a Content-Type other than JSON or multipart",
  422: "nothing to summarize",
  429: "the tenant's monthly audio quota is used up",
  500: "server fault (logged)",
  502: "the recognizer or summary engine failed (inline mode)",
  503: "queue full: retry after `Retry-After` seconds",
  504: "inline mode ran past its deadline; the job keeps running (poll the GET route)",
};

const jobBodyUnion = z.union([S.TranscriptSuccessBody, S.FailureBody]);
const summaryBodyUnion = z.union([S.SummarySuccessBody, S.FailureBody]);
const loose = (description: string) => z.object({}).loose().meta({ description });

/** Every route the API serves. test/openapi.test.ts checks the server registers nothing else. */
export const operations: Operation[] = [
  // ---- Call API ----
  {
    method: "post",
    path: "/transcribe",
    operationId: "transcribe",
    tag: TAGS.call,
    summary: "Transcribe a call (inline, or accepted with a webhook)",
    description:
      "Send exactly one of `uri` (JSON or form field) and a multipart `file` part. Without `callback_url` the " +
      "answer waits for the transcript (`200` S001, or the E001 body with the failure's status); with it the " +
      "answer is `202` and the `transcriptDelivered` webhook follows (then `summaryDelivered` with `summarize`). " +
      "AssemblyAI's names are accepted as aliases (`audio_url`, `webhook_url`, `language_code`, …).",
    auth: "apikey",
    body: {
      required: true,
      json: {
        schema: transcribeFieldsSchema,
        aliases: transcribeAliases,
        example: {
          uri: "https://recordings.example.com/call-123.mp3",
          call_uuid: "call-123",
          callback_url: "https://hooks.example.com/transcripts?tenant=acme",
          callback_auth_header_name: "X-Hook-Token",
          callback_auth_header_value: "s3cret",
        },
      },
      form: { schema: transcribeFieldsSchema, aliases: transcribeAliases, strict: true, fileRequired: false },
    },
    responses: {
      "200": { description: "inline mode: the transcript", schema: S.TranscriptSuccessBody },
      "202": { description: "accepted mode: the webhook follows", schema: S.AcceptedBody },
      ...callErrors(400, 401, 413, 415, 500, 502, 503, 504),
    },
  },
  {
    method: "get",
    path: "/transcribe",
    operationId: "listCallRequests",
    tag: TAGS.call,
    summary: "A call's transcription requests, newest first",
    auth: "apikey",
    query: callRequestsQuery,
    responses: { "200": { description: "the requests", schema: S.CallRequests }, ...callErrors(400, 401) },
  },
  {
    method: "get",
    path: "/transcribe/:id",
    operationId: "getTranscription",
    tag: TAGS.call,
    summary: "A transcription: status, progress, result body and callback attempts",
    auth: "apikey",
    params: { id: "request_id" },
    responses: { "200": { description: "the request", schema: S.CallJob }, ...callErrors(401, 403, 404) },
  },
  {
    method: "delete",
    path: "/transcribe/:id",
    operationId: "deleteTranscription",
    tag: TAGS.call,
    summary: "Delete a finished request's audio, transcript and webhook bodies",
    auth: "apikey",
    params: { id: "request_id" },
    responses: {
      "200": { description: "deleted", schema: S.CallDeleted },
      ...callErrors(401, 403, 404, 409),
    },
  },
  {
    method: "post",
    path: "/summarize",
    operationId: "summarize",
    tag: TAGS.call,
    summary: "Summarize a transcription, transcript items or text",
    description:
      "Exactly one source: `request_id` of a finished transcription, `transcript` (items) or `text`. Without " +
      "`callback_url`: `200` with the summary; with it: `202` and the `summaryDelivered` webhook.",
    auth: "apikey",
    body: {
      required: true,
      json: {
        schema: summarizeSchema,
        aliases: callbackAliases,
        example: {
          call_uuid: "call-123",
          text: "Customer: I was charged twice. Agent: I will refund it today.",
        },
      },
    },
    responses: {
      "200": { description: "inline mode: the summary", schema: S.SummarySuccessBody },
      "202": { description: "accepted mode: the webhook follows", schema: S.AcceptedBody },
      ...callErrors(400, 401, 403, 404, 409, 410, 413, 500, 502, 503, 504),
    },
  },
  {
    method: "get",
    path: "/summarize/:id",
    operationId: "getSummary",
    tag: TAGS.call,
    summary: "A summary job: status, result body, tags and callback",
    auth: "apikey",
    params: { id: "request_id of the summary job" },
    responses: { "200": { description: "the summary job", schema: S.CallJob }, ...callErrors(401, 403, 404) },
  },
  // ---- deliveries and events ----
  {
    method: "get",
    path: "/deliveries",
    operationId: "listDeliveries",
    tag: TAGS.admin,
    summary: "Deliveries with their attempts, newest first",
    auth: "apikey",
    query: deliveriesQuery,
    responses: { "200": { description: "the deliveries", schema: S.Deliveries }, ...callErrors(400, 401) },
  },
  {
    method: "get",
    path: "/deliveries/:id",
    operationId: "getDelivery",
    tag: TAGS.admin,
    summary: "One delivery with every attempt",
    auth: "apikey",
    params: { id: "delivery id" },
    responses: { "200": { description: "the delivery", schema: S.Delivery }, ...callErrors(401, 403, 404) },
  },
  {
    method: "post",
    path: "/deliveries/:id/redeliver",
    operationId: "redeliver",
    tag: TAGS.admin,
    summary: "Send a delivery again (a new attempt series, same body and webhook-id)",
    description:
      "`url` sends it to a new URL; the callback auth header is not sent to a new URL unless `keep_auth_header` " +
      "or a new `auth_header_name`/`auth_header_value`. `now` sends at once, past an open circuit or a full host.",
    auth: "apikey",
    params: { id: "delivery id" },
    body: {
      required: false,
      json: { schema: redeliverBody, example: { url: "https://hooks.example.com/v2", now: true } },
    },
    responses: {
      "202": { description: "restarted", schema: S.Delivery },
      ...callErrors(400, 401, 403, 404, 409, 410),
    },
  },
  {
    method: "post",
    path: "/deliveries/recover",
    operationId: "recoverDeliveries",
    tag: TAGS.admin,
    summary: "Send again every delivery created in a time window in a state",
    auth: "apikey",
    body: {
      required: true,
      json: {
        schema: recoverBody,
        example: { since: "2026-11-26T09:00:00Z", state: "abandoned", dry_run: true },
      },
    },
    responses: {
      "200": { description: "`dry_run`: what would be sent", schema: S.RecoverDryRun },
      "202": { description: "restarted", schema: S.RecoverDone },
      ...callErrors(400, 401),
    },
  },
  {
    method: "get",
    path: "/events",
    operationId: "listEvents",
    tag: TAGS.admin,
    summary: "Every webhook body produced, oldest first, behind a stable cursor",
    description:
      "Read on with `after=<next_cursor>`; `since=<ISO time>` starts at the first event created at or after it.",
    auth: "apikey",
    query: eventsQuery,
    responses: { "200": { description: "a page of events", schema: S.Events }, ...callErrors(400, 401) },
  },
  // ---- the console's reads ----
  {
    method: "get",
    path: "/calls",
    operationId: "listCalls",
    tag: TAGS.console,
    summary: "Search transcriptions (the console's call list)",
    auth: "apikey",
    query: callsQuery,
    responses: {
      "200": { description: "`{calls, next_cursor}`", schema: loose("a page of calls") },
      ...callErrors(400, 401),
    },
  },
  {
    method: "get",
    path: "/calls/:id",
    operationId: "getCall",
    tag: TAGS.console,
    summary: "One call with transcript, summary, tags, callbacks and a signed audio URL",
    auth: "apikey",
    params: { id: "request_id" },
    responses: {
      "200": { description: "the call", schema: loose("the call") },
      ...callErrors(401, 403, 404),
    },
  },
  {
    method: "get",
    path: "/calls/:id/audio",
    operationId: "getCallAudio",
    tag: TAGS.console,
    summary: "The call's audio (byte ranges; `?token=` from `audio_url` stands in for the key)",
    auth: "apikey",
    params: { id: "request_id" },
    responses: {
      "200": { description: "the audio", schema: "application/octet-stream" },
      "206": { description: "a byte range of it", schema: "application/octet-stream" },
      ...callErrors(401, 403, 404),
    },
  },
  {
    method: "get",
    path: "/receivers",
    operationId: "listReceivers",
    tag: TAGS.console,
    summary: "Per callback host: success rate, latency percentiles, pending count, circuit state",
    auth: "apikey",
    query: receiversQuery,
    responses: {
      "200": { description: "`{receivers, …}`", schema: loose("one row per host") },
      ...callErrors(400, 401),
    },
  },
  // ---- Jobs API (/v1) ----
  {
    method: "post",
    path: "/v1/transcriptions",
    operationId: "v1CreateTranscription",
    tag: TAGS.v1,
    summary: "Submit a recording",
    auth: "bearer",
    body: { required: true, form: { schema: uploadForm, strict: false, fileRequired: true } },
    responses: {
      "202": { description: "queued; poll GET /v1/transcriptions/{job_id}", schema: S.V1Submitted },
      ...v1Errors(400, 401, 413, 415, 429, 503),
    },
  },
  {
    method: "get",
    path: "/v1/transcriptions",
    operationId: "v1ListTranscriptions",
    tag: TAGS.v1,
    summary: "Jobs, newest first",
    auth: "bearer",
    query: v1ListQuery,
    responses: { "200": { description: "a page of jobs", schema: S.V1List }, ...v1Errors(400, 401) },
  },
  {
    method: "get",
    path: "/v1/transcriptions/usage",
    operationId: "v1Usage",
    tag: TAGS.v1,
    summary: "Audio minutes used this calendar month (UTC) and the quota",
    auth: "bearer",
    responses: { "200": { description: "usage", schema: S.V1Usage }, ...v1Errors(401) },
  },
  {
    method: "get",
    path: "/v1/transcriptions/:id",
    operationId: "v1GetTranscription",
    tag: TAGS.v1,
    summary: "A job (transcription, summary or tags) and its result",
    auth: "bearer",
    params: { id: "job_id" },
    responses: { "200": { description: "the job", schema: S.V1Job }, ...v1Errors(401, 403, 404) },
  },
  {
    method: "delete",
    path: "/v1/transcriptions/:id",
    operationId: "v1DeleteTranscription",
    tag: TAGS.v1,
    summary: "Delete a finished job's data (the audio at once)",
    auth: "bearer",
    params: { id: "job_id" },
    responses: { "202": { description: "deleted", schema: S.V1Deleted }, ...v1Errors(401, 403, 404, 409) },
  },
  ...(["summarize", "tag"] as const).map((kind): Operation => ({
    method: "post",
    path: `/v1/${kind}`,
    operationId: kind === "tag" ? "v1Tag" : "v1Summarize",
    tag: TAGS.v1,
    summary: kind === "tag" ? "Tag a transcription or text" : "Summarize a transcription or text",
    description: "Exactly one of `transcription_job_id` (a succeeded transcription) and `transcript_text`.",
    auth: "bearer",
    body: {
      required: true,
      json: {
        schema: postprocessBody,
        strict: false,
        example: { transcription_job_id: "9b2f6c1e-4d0a-4a57-9d43-2f4c7e1b8a10" },
      },
    },
    responses: {
      "202": {
        description: "queued; poll GET /v1/transcriptions/{job_id}",
        schema: S.V1PostprocessSubmitted,
      },
      ...v1Errors(400, 401, 403, 404, 409, 413, 422, 503),
    },
  })),
  // ---- operations ----
  {
    method: "get",
    path: "/healthz",
    operationId: "healthz",
    tag: TAGS.ops,
    summary: "Liveness",
    auth: "none",
    responses: { "200": { description: "alive", schema: S.Health } },
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readyz",
    tag: TAGS.ops,
    summary: "Readiness: database, disk, configured backends",
    auth: "none",
    responses: {
      "200": { description: "ready", schema: S.Readiness },
      "503": { description: "a check failed", schema: S.Readiness },
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    tag: TAGS.ops,
    summary: "Prometheus metrics",
    auth: "apikey",
    responses: {
      "200": { description: "text exposition format", schema: "text/plain" },
      ...callErrors(401),
    },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    tag: TAGS.ops,
    summary: "This document (rendered at /docs)",
    auth: "none",
    responses: { "200": { description: "OpenAPI 3.1", schema: loose("an OpenAPI 3.1 document") } },
  },
];

/** `/deliveries/:id/redeliver` → `/deliveries/{id}/redeliver`. */
export const openApiPath = (fastifyPath: string) => fastifyPath.replace(/:(\w+)/g, "{$1}");

/** Collects `.meta({ id })` schemas as components, keyed by id (a differing variant gets `…Input`). */
function createConverter() {
  const components: Record<string, Json> = {};
  const withRefs = (v: unknown, name: (id: string) => string): unknown => {
    if (Array.isArray(v)) return v.map((x) => withRefs(x, name));
    if (!v || typeof v !== "object") return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === "$ref" && typeof x === "string" && x.startsWith("#/$defs/")
          ? `#/components/schemas/${name(x.slice("#/$defs/".length))}`
          : withRefs(x, name),
      ]),
    );
  };
  const convert = (schema: z.ZodType, io: "input" | "output"): Json => {
    const js = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
    delete js.$schema;
    const defs = (js.$defs ?? {}) as Record<string, Json>;
    delete js.$defs;
    // a def is renamed when it differs from the component of its id, or refers to a renamed def
    const renamed = new Set<string>();
    const name = (id: string) => (renamed.has(id) ? `${id}Input` : id);
    for (let changed = true; changed;) {
      changed = false;
      for (const [id, def] of Object.entries(defs)) {
        const existing = components[id];
        if (renamed.has(id) || !existing) continue;
        if (JSON.stringify(existing) !== JSON.stringify(withRefs(def, name))) {
          renamed.add(id);
          changed = true;
        }
      }
    }
    for (const [id, def] of Object.entries(defs)) components[name(id)] = withRefs(def, name) as Json;
    return withRefs(js, name) as Json;
  };
  return { components, convert };
}

/** A request object schema as the server takes it: aliases listed; closed when unknown fields are refused. */
function requestSchema(
  convert: (s: z.ZodType, io: "input") => Json,
  schema: z.ZodObject,
  aliases: Record<string, string> = {},
  strict = true,
): Json {
  const js = convert(schema, "input");
  const props = (js.properties ?? {}) as Record<string, Json>;
  for (const [alias, canonical] of Object.entries(aliases)) {
    const target = props[canonical];
    if (target) props[alias] = { ...target, description: `alias of \`${canonical}\`` };
  }
  return strict ? { ...js, additionalProperties: false } : js;
}

function mediaOf(convert: (s: z.ZodType, io: "output") => Json, r: Reply) {
  if (r.schema === undefined) return {};
  if (typeof r.schema === "string") return { content: { [r.schema]: { schema: { type: "string" } } } };
  return { content: { "application/json": { schema: convert(r.schema, "output") } } };
}

export interface DocumentOptions {
  /** API_KEYS is set: every route but the open ones needs a key */
  apiKeys: boolean;
}

export function buildOpenApiDocument(opts: DocumentOptions): Json {
  const { components, convert } = createConverter();
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operations) {
    const parameters: Json[] = [];
    for (const [name, description] of Object.entries(op.params ?? {})) {
      parameters.push({ name, in: "path", required: true, description, schema: { type: "string" } });
    }
    if (op.query) {
      const js = convert(op.query, "input");
      const required = (js.required ?? []) as string[];
      for (const [name, schema] of Object.entries((js.properties ?? {}) as Record<string, Json>)) {
        const { description, ...rest } = schema;
        parameters.push({
          name,
          in: "query",
          required: required.includes(name),
          ...(description !== undefined && { description }),
          schema: rest,
        });
      }
    }
    const content: Record<string, Json> = {};
    if (op.body?.json) {
      const { schema, aliases, strict, example } = op.body.json;
      content["application/json"] = {
        schema: requestSchema(convert, schema, aliases, strict ?? true),
        ...(example && { example }),
      };
    }
    if (op.body?.form) {
      const { schema, aliases, strict, fileRequired } = op.body.form;
      const js = requestSchema(convert, schema, aliases, strict);
      const props = js.properties as Record<string, Json>;
      const arrays = Object.keys(props).filter((k) => props[k]!.type === "array");
      content["multipart/form-data"] = {
        schema: {
          ...js,
          properties: {
            file: {
              type: "string",
              format: "binary",
              contentMediaType: "application/octet-stream",
              description: "the audio (anything ffmpeg decodes)",
            },
            ...props,
          },
          ...(fileRequired && { required: ["file", ...((js.required ?? []) as string[])] }),
        },
        // list fields travel as JSON arrays (vocabulary and redact_pii_policies also take a,b,c)
        encoding: Object.fromEntries(arrays.map((k) => [k, { contentType: "application/json" }])),
      };
    }
    const security =
      !opts.apiKeys || op.auth === "none"
        ? []
        : [op.auth === "bearer" ? { BearerAuth: [] } : { ApiKeyHeader: [] }];
    const operation: Json = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description && { description: op.description }),
      ...(parameters.length && { parameters }),
      ...(op.body && { requestBody: { required: op.body.required, content } }),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([code, r]) => [
          code,
          { description: r.description, ...mediaOf(convert, r) },
        ]),
      ),
      ...(opts.apiKeys && { security }),
    };
    (paths[openApiPath(op.path)] ??= {})[op.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "callscribe",
      version: pkg.version,
      summary: "Speech analytics for call recordings: transcripts, summaries, tags, webhooks",
      description:
        "Two dialects over one core: the **Call API** (`/transcribe`, `/summarize`, push delivery to " +
        "`callback_url`) and the Kawa-compatible **Jobs API** (`/v1`, poll for results), plus the delivery " +
        "admin routes and the `/events` feed. Webhook bodies are under `webhooks`." +
        (opts.apiKeys
          ? " API keys: the `apikey` header, or `Authorization: Bearer <key>` on `/v1`."
          : " This server has no API keys (API_KEYS is not set)."),
      license: { name: "MIT", identifier: "MIT" },
    },
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    webhooks: {
      transcriptDelivered: webhook(
        convert,
        "transcriptDelivered",
        jobBodyUnion,
        "the transcript of a call, or why it failed",
      ),
      summaryDelivered: webhook(
        convert,
        "summaryDelivered",
        summaryBodyUnion,
        "the summary of a call (`summarize: true` or `POST /summarize` with a callback), or why it failed",
      ),
    },
    components: {
      schemas: components,
      ...(opts.apiKeys && {
        securitySchemes: {
          ApiKeyHeader: {
            type: "apiKey",
            in: "header",
            name: "apikey",
            description: "Call API and admin routes",
          },
          BearerAuth: { type: "http", scheme: "bearer", description: "Jobs API (`/v1`)" },
        },
      }),
    },
  };
}

/** The POST a receiver gets: body, the headers a delivery carries, and how its answer is read. */
function webhook(
  convert: (s: z.ZodType, io: "output") => Json,
  event: string,
  body: z.ZodType,
  what: string,
): Json {
  const header = (
    name: string,
    description: string,
    required: boolean,
    schema: Json = { type: "string" },
  ) => ({
    name,
    in: "header",
    required,
    description,
    schema,
  });
  return {
    post: {
      operationId: event,
      summary: `${event}: ${what}`,
      description:
        "`POST {callback_url}` (its query string kept), `Content-Type: application/json`, plus the " +
        "`callback_auth_header_name` header when the request set one. At most 3 attempts by default " +
        "(`callback_policy` chooses others), exponential backoff, 30 s per attempt; retried on transport " +
        "errors and any non-2xx; then abandoned, and still re-sendable (`POST /deliveries/{id}/redeliver`). " +
        "At-least-once: dedupe on `request_id` or `webhook-id`.",
      parameters: [
        header(EVENT_HEADER, "the event", true, { type: "string", const: event }),
        header("webhook-attempt", "attempt number within the current series, from 1", true),
        header(
          "webhook-id",
          "Standard Webhooks id, stable across retries (with WEBHOOK_SIGNING_SECRET)",
          false,
        ),
        header("webhook-timestamp", "unix seconds of this attempt (with WEBHOOK_SIGNING_SECRET)", false),
        header(
          "webhook-signature",
          "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret (with WEBHOOK_SIGNING_SECRET)",
          false,
        ),
      ],
      requestBody: { required: true, content: { "application/json": { schema: convert(body, "output") } } },
      responses: {
        "2XX": { description: "acknowledged: delivery ends" },
        default: { description: "anything else (or no answer within the timeout) is retried" },
      },
    },
  };
}
