/**
 * The CLI's HTTP client: the server URL and key (flags, else CALLSCRIBE_URL / CALLSCRIBE_API_KEY),
 * one request function, and every failure turned into a `CliError` with a clear message and an
 * exit code a script can branch on.
 */

/** Exit codes (documented in `callscribe --help`). */
export const EXIT = {
  ok: 0,
  /** the server refused the request, or the job failed */
  failed: 1,
  /** bad flags or arguments, or a local file that cannot be read */
  usage: 2,
  /** the server cannot be reached */
  unreachable: 3,
  /** 401 / 403: no key, a wrong key, or another tenant's job */
  auth: 4,
  /** 404: no such job or delivery */
  notFound: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export interface Connection {
  url: string;
  apiKey: string | undefined;
}

export const DEFAULT_URL = "http://127.0.0.1:8080";

/** Flags win over the environment; the URL must be http(s). */
export function connection(flags: { url?: string; apiKey?: string }, env = process.env): Connection {
  const raw = flags.url ?? env.CALLSCRIBE_URL ?? DEFAULT_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--url: ${JSON.stringify(raw)} is not a URL (e.g. ${DEFAULT_URL})`, EXIT.usage);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new CliError(`--url must be an http or https URL, not ${raw}`, EXIT.usage);
  return { url: raw.replace(/\/+$/, ""), apiKey: flags.apiKey ?? (env.CALLSCRIBE_API_KEY || undefined) };
}

type Json = Record<string, unknown>;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

/** Why a transport failure happened, from undici's `cause` chain (ECONNREFUSED, ENOTFOUND, …). */
function transportReason(err: unknown): string {
  let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.code === "string") return typeof e.message === "string" && e.message ? e.message : e.code;
    if (typeof e.message === "string" && e.message) deepest = e.message;
    e = e.cause as typeof e;
  }
  return deepest;
}

/** The message and code of an error body in either dialect. */
function errorOf(body: unknown): { message: string; code: string | undefined } | null {
  const b = body as { error?: unknown; error_code?: unknown; field?: unknown } | null;
  if (!b || typeof b !== "object") return null;
  if (typeof b.error === "string") {
    return { message: b.error, code: typeof b.error_code === "string" ? b.error_code : undefined };
  }
  const v1 = b.error as { code?: unknown; message?: unknown } | undefined;
  if (v1 && typeof v1.message === "string") {
    return { message: v1.message, code: typeof v1.code === "string" ? v1.code : undefined };
  }
  return null;
}

export function exitCodeFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  return EXIT.failed;
}

export function createClient(conn: Connection) {
  const headers: Record<string, string> = conn.apiKey
    ? // the Call API and admin routes read `apikey`, the Jobs API `Authorization: Bearer`
      { apikey: conn.apiKey, authorization: `Bearer ${conn.apiKey}` }
    : {};

  async function request<T = Json>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(conn.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const init: RequestInit = { method, headers: { ...headers }, signal: opts.signal ?? null };
    if (opts.form) init.body = opts.form;
    else if (opts.json !== undefined) {
      init.body = JSON.stringify(opts.json);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      if ((err as Error)?.name === "AbortError") throw err;
      throw new CliError(
        `cannot reach the server at ${conn.url} (${transportReason(err)}); is it running? Set --url or CALLSCRIBE_URL`,
        EXIT.unreachable,
      );
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (res.ok) return body as T;
    const e = errorOf(body);
    const what = `${method} ${path}: ${res.status}${e?.code ? ` ${e.code}` : ""}`;
    let message = e ? `${e.message} (${what})` : `${what} ${text.slice(0, 200)}`.trim();
    if (res.status === 401) {
      message += conn.apiKey
        ? "; the server does not accept this key (--api-key or CALLSCRIBE_API_KEY)"
        : "; the server needs an API key: --api-key or CALLSCRIBE_API_KEY";
    }
    throw new CliError(message, exitCodeFor(res.status));
  }

  return { conn, request };
}

export type Client = ReturnType<typeof createClient>;
