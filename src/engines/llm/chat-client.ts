/**
 * Minimal client for OpenAI-compatible `POST /v1/chat/completions` servers (Ollama, vLLM,
 * llama.cpp server, OpenAI) asking for JSON constrained by a JSON schema. Invalid or off-schema
 * output is retried once with a corrective message, since small local models slip occasionally.
 */
import { createOpenAiHttp } from "../openai-http.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface JsonSchemaSpec<T> {
  /** schema name sent to the server: letters, digits, _ and - */
  name: string;
  jsonSchema: Record<string, unknown>;
  /** validates the parsed JSON; throws (any error) when it does not match */
  parse: (x: unknown) => T;
}

export interface ChatClient {
  readonly model: string;
  completeJson<T>(messages: ChatMessage[], schema: JsonSchemaSpec<T>): Promise<T>;
}

export interface ChatClientOptions {
  /** server base URL (with or without /v1), or the full .../chat/completions URL */
  url: string;
  apiKey?: string;
  /** default "default" (llama.cpp ignores it; Ollama and vLLM need a real model name) */
  model?: string;
  /** per request; default 120 s */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export function chatCompletionsUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  if (/\/chat\/completions$/.test(trimmed)) return trimmed;
  return /\/v1$/.test(trimmed) ? `${trimmed}/chat/completions` : `${trimmed}/v1/chat/completions`;
}

/** Models sometimes wrap JSON in a markdown fence even when asked not to. */
function unfence(s: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(s);
  return m ? m[1]! : s;
}

function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const flat = msg.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

export function createChatClient(opts: ChatClientOptions): ChatClient {
  const endpoint = chatCompletionsUrl(opts.url);
  const http = createOpenAiHttp({
    endpoint,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs ?? 120_000,
    fetch: opts.fetch,
    label: "chat",
  });
  const model = opts.model ?? "default";

  /** One round trip; returns the assistant's message content (possibly empty). */
  async function call(messages: ChatMessage[], schema: JsonSchemaSpec<unknown>): Promise<string> {
    const body = JSON.stringify({
      model,
      messages,
      temperature: 0,
      response_format: {
        type: "json_schema",
        json_schema: { name: schema.name, strict: true, schema: schema.jsonSchema },
      },
    });
    const { json } = await http.postJson(body, { "content-type": "application/json" });
    const content = (json as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]
      ?.message?.content;
    return typeof content === "string" ? content : "";
  }

  return {
    model,
    async completeJson<T>(messages: ChatMessage[], schema: JsonSchemaSpec<T>): Promise<T> {
      const convo = [...messages];
      let lastReason = "";
      for (let attempt = 0; attempt < 2; attempt++) {
        const content = await call(convo, schema);
        try {
          return schema.parse(JSON.parse(unfence(content)));
        } catch (e) {
          lastReason = content.trim() === "" ? "empty reply" : reasonOf(e);
          convo.push(
            { role: "assistant", content },
            {
              role: "user",
              content:
                `Your previous reply was not valid JSON matching the "${schema.name}" schema ` +
                `(${lastReason}). Reply again with only a JSON object that matches the schema exactly.`,
            },
          );
        }
      }
      throw new Error(
        `model "${model}" at ${http.shownUrl} returned invalid output twice for schema "${schema.name}": ${http.scrub(lastReason)}`,
      );
    },
  };
}
