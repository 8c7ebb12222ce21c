/**
 * The HTTP round trip shared by the OpenAI-compatible backends (Whisper transcription servers,
 * chat-completion servers): bearer auth, a whole-request timeout, and errors that say which
 * server failed and how, without ever repeating the API key or URL credentials.
 */
import { redactUrl } from "../net/redact-url.ts";

export interface OpenAiHttpOptions {
  endpoint: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
  /** names the server in messages: "transcription", "chat" */
  label: string;
}

export interface OpenAiHttp {
  readonly shownUrl: string;
  /** POSTs, checks for 2xx and parses JSON; throws a descriptive Error otherwise. */
  postJson(
    body: BodyInit,
    headers?: Record<string, string>,
  ): Promise<{ json: unknown; status: number; text: string }>;
  /** a short, key-free excerpt of a response body for error messages */
  excerpt(body: string): string;
  /** the text with the API key replaced */
  scrub(text: string): string;
}

export function createOpenAiHttp(o: OpenAiHttpOptions): OpenAiHttp {
  const shownUrl = redactUrl(o.endpoint);
  const doFetch = o.fetch ?? globalThis.fetch;
  const scrub = (s: string) => (o.apiKey ? s.split(o.apiKey).join("[redacted]") : s);
  const excerpt = (body: string) => {
    const flat = scrub(body).replace(/\s+/g, " ").trim();
    return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || "(empty body)";
  };

  return {
    shownUrl,
    excerpt,
    scrub,
    async postJson(body, extraHeaders = {}) {
      const headers: Record<string, string> = { accept: "application/json", ...extraHeaders };
      if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
      let res: Response;
      let text: string;
      try {
        res = await doFetch(o.endpoint, {
          method: "POST",
          body,
          headers,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        text = await res.text();
      } catch (e) {
        const why =
          e instanceof Error && e.name === "TimeoutError" ? `timed out after ${o.timeoutMs} ms` : String(e);
        throw new Error(`${o.label} request to ${shownUrl} failed: ${scrub(why)}`, { cause: e });
      }
      if (!res.ok)
        throw new Error(`${o.label} server ${shownUrl} answered HTTP ${res.status}: ${excerpt(text)}`);
      try {
        return { json: JSON.parse(text) as unknown, status: res.status, text };
      } catch {
        throw new Error(
          `${o.label} server ${shownUrl} sent invalid JSON (HTTP ${res.status}): ${excerpt(text)}`,
        );
      }
    },
  };
}
