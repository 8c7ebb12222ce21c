/**
 * One webhook attempt over HTTP: POST the body, wait at most `timeoutMs` for the whole exchange,
 * and describe the outcome. A receiver's 5xx is an outcome, not an exception; transport failures
 * are mapped to the closed set of failure classes. Redirects are not followed.
 */
import { type Dispatcher } from "undici";
import { createDeadlines } from "./deadlines.ts";
import { classifyTransportError } from "../net/egress.ts";
import type { FailureClass } from "../store/types.ts";
import { classifyStatus } from "./policy.ts";

export interface WebhookRequest {
  url: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface SendOutcome {
  statusCode: number | null;
  errorClass: FailureClass | null;
  /** operator detail (never shown to receivers); null on success */
  errorDetail: string | null;
  latencyMs: number;
  /** first 2 KiB of the response body */
  responseSnippet: string | null;
  retryAfter: string | null;
}

export type WebhookSender = (req: WebhookRequest) => Promise<SendOutcome>;

export const USER_AGENT = "callscribe-webhooks/0.1";
/** Sent with every webhook, before the delivery's own headers. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "user-agent": USER_AGENT,
};
const SNIPPET_BYTES = 2048;
const DRAIN_LIMIT = 64 * 1024;

/** Origin and path of a callback URL; the same few URLs come back for every delivery. */
function targetCache(max = 1024) {
  const cache = new Map<string, { origin: string; path: string }>();
  return (url: string) => {
    let t = cache.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: `${u.pathname}${u.search}` };
      if (cache.size >= max) cache.clear();
      cache.set(url, t);
    }
    return t;
  };
}

const RETRY_AFTER = "retry-after";
function headerValue(raw: Buffer[], name: string): string | null {
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === name.length && k.toString("latin1").toLowerCase() === name)
      return raw[i + 1]!.toString("latin1");
  }
  return null;
}

class AttemptTimeout extends Error {
  override name = "TimeoutError";
}

/**
 * Straight on undici's dispatcher: its `request()` wraps each response in a stream, an async
 * resource and a promise. Here one handler's callbacks collect the status, `Retry-After` and the
 * first 2 KiB. With 64 in flight to one loopback receiver, CPU per attempt: 30–35 instead of
 * 41–44 µs at 0.5 KB, 75 instead of 95–108 µs at 50 KB.
 */
export function createWebhookSender(dispatcher: Dispatcher): WebhookSender {
  const deadlines = createDeadlines();
  const target = targetCache();
  return (req) =>
    new Promise<SendOutcome>((resolve) => {
      const started = performance.now();
      let settled = false;
      let abort: ((err: Error) => void) | null = null;
      let statusCode = 0;
      let retryAfter: string | null = null;
      const parts: Buffer[] = [];
      let kept = 0;
      let seen = 0;
      const finish = (o: Omit<SendOutcome, "latencyMs">) => {
        if (settled) return;
        settled = true;
        // undici's abort function holds the request and its body: kept past the exchange, it
        // doubled the major GCs of a 50 KB drain (3–5 → 13–15 per 6,000 attempts, −17 % drain)
        abort = null;
        cancel();
        resolve({ ...o, latencyMs: Math.round(performance.now() - started) });
      };
      const answered = () => {
        const errorClass = classifyStatus(statusCode);
        const snippet = parts.length === 0 ? "" : Buffer.concat(parts).toString("utf8");
        finish({
          statusCode,
          errorClass,
          errorDetail: errorClass ? `receiver answered HTTP ${statusCode}` : null,
          responseSnippet: snippet || null,
          retryAfter,
        });
      };
      const failed = (err: unknown, timedOut: boolean) => {
        const kind = timedOut ? "timeout" : classifyTransportError(err);
        finish({
          statusCode: null,
          errorClass: kind,
          errorDetail:
            kind === "timeout" ? `no answer within ${req.timeoutMs} ms` : describe(err).slice(0, 500),
          responseSnippet: null,
          retryAfter: null,
        });
      };
      /** Ends the exchange with `outcome` and, if the request is still on its connection, aborts it. */
      const stop = (outcome: () => void, reason: Error) => {
        const abortRequest = abort;
        outcome();
        abortRequest?.(reason);
      };
      const cancel = deadlines.add(started + req.timeoutMs, () => {
        const err = new AttemptTimeout(`no answer within ${req.timeoutMs} ms`);
        stop(() => failed(err, true), err);
      });
      let t;
      try {
        t = target(req.url);
      } catch (err) {
        failed(err, false);
        return;
      }
      dispatcher.dispatch(
        {
          origin: t.origin,
          path: t.path,
          method: "POST",
          body: req.body,
          headers: { ...BASE_HEADERS, ...req.headers },
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
        },
        {
          onConnect(abortFn: (err?: Error) => void) {
            if (settled) abortFn(new AttemptTimeout("attempt already over"));
            else abort = abortFn;
          },
          onHeaders(status: number, raw: Buffer[]) {
            if (status < 200) return true;
            statusCode = status;
            retryAfter = headerValue(raw, RETRY_AFTER);
            return true;
          },
          onData(chunk: Buffer) {
            seen += chunk.length;
            if (kept < SNIPPET_BYTES) {
              const piece = chunk.subarray(0, SNIPPET_BYTES - kept);
              parts.push(piece);
              kept += piece.length;
            }
            if (seen > DRAIN_LIMIT) stop(answered, new Error("response body past the drain limit"));
            return true;
          },
          onComplete() {
            answered();
          },
          onError(err: Error) {
            failed(err, false);
          },
        } as unknown as Dispatcher.DispatchHandler,
      );
    });
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    parts.push(code ? `${e.message} (${code})` : e.message);
  }
  return parts.join(": ") || String(err);
}
