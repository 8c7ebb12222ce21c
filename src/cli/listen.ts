/**
 * `callscribe listen --forward-to <url>`: follows the server's events feed (`GET /events`, every
 * webhook body in order behind a cursor) and POSTs each body to a local URL with the headers a
 * real delivery carries (`x-callscribe-event`, `webhook-attempt`, and the Standard Webhooks
 * `webhook-id` / `-timestamp` / `-signature` when given the signing secret), so a developer's
 * laptop receives callbacks without being reachable from the server.
 *
 * The cursor is saved after every event (a file per server under ~/.callscribe unless
 * `--cursor-file`), so a stopped listener resumes where it stopped. A local app that is down is
 * retried (the event is not skipped); any HTTP answer, even a 500, is shown and the feed moves on,
 * as one attempt of a real delivery would be.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BASE_HEADERS } from "../delivery/sender.ts";
import { parseSigningSecrets } from "../delivery/signer.ts";
import { deliveryHeaders } from "../delivery/worker.ts";
import { CliError, EXIT, type Client } from "./client.ts";

export interface ListenOptions {
  forwardTo: string;
  cursorFile?: string;
  since?: string;
  signingSecret?: string;
  header: string[];
  interval: number;
  once?: boolean;
  json?: boolean;
}

interface FeedEvent {
  cursor: string;
  webhook_id: string;
  delivery_id: string;
  event: "transcriptDelivered" | "summaryDelivered";
  request_id: string;
  created_at: string;
  body: unknown;
}

const PAGE = 100;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** `~/.callscribe/listen-cursor-127.0.0.1_8080`: one cursor per server. */
export function defaultCursorFile(serverUrl: string, home = os.homedir()): string {
  const u = new URL(serverUrl);
  const slug = `${u.hostname}_${u.port || (u.protocol === "https:" ? "443" : "80")}${u.pathname.replace(/\/+$/, "")}`;
  return path.join(home, ".callscribe", `listen-cursor-${slug.replace(/[^\w.-]+/g, "_")}`);
}

async function readCursor(file: string): Promise<string | null> {
  try {
    return (await readFile(file, "utf8")).trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`cannot read the cursor file ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** Written whole, then renamed: a crash never leaves half a cursor. */
async function saveCursor(file: string, cursor: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${cursor}\n`);
  await rename(tmp, file);
}

/** `--header "X-Hook-Token: s3cret"` → ["x-hook-token", "s3cret"]. */
export function parseHeader(spec: string): [string, string] {
  const i = spec.indexOf(":");
  const name = spec.slice(0, i).trim();
  if (i <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new CliError(`--header must look like "Name: value", not ${JSON.stringify(spec)}`, EXIT.usage);
  }
  return [name.toLowerCase(), spec.slice(i + 1).trim()];
}

export async function listen(client: Client, o: ListenOptions): Promise<number> {
  let target: URL;
  try {
    target = new URL(o.forwardTo);
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new CliError(`--forward-to must be an http(s) URL, not ${JSON.stringify(o.forwardTo)}`, EXIT.usage);
  }
  let keys: Buffer[];
  try {
    keys = parseSigningSecrets(o.signingSecret);
  } catch (err) {
    throw new CliError(`--signing-secret: ${(err as Error).message}`, EXIT.usage);
  }
  const extra = Object.fromEntries(o.header.map(parseHeader));
  const file = o.cursorFile ?? defaultCursorFile(client.conn.url);
  let cursor = await readCursor(file);
  const startedAt = o.since ?? new Date().toISOString();
  if (o.since !== undefined && Number.isNaN(Date.parse(o.since)))
    throw new CliError(`--since must be an ISO 8601 time, not ${o.since}`, EXIT.usage);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(
    `listening to ${client.conn.url}/events → ${o.forwardTo}` +
      (cursor ? ` (resuming from the cursor in ${file})` : ` (events since ${startedAt})`),
  );

  /** POSTs one body; a transport failure (local app down) is retried until it answers or we stop. */
  const forward = async (e: FeedEvent, body: string) => {
    for (let wait = 500; !stop.signal.aborted; wait = Math.min(wait * 2, 10_000)) {
      const started = performance.now();
      try {
        const headers = deliveryHeaders(
          {
            id: e.delivery_id,
            url: o.forwardTo,
            event: e.event,
            body,
            authHeaderName: null,
            authHeaderValue: null,
          },
          1,
          keys,
          Date.now(),
        );
        const res = await fetch(target, {
          method: "POST",
          body,
          headers: { ...BASE_HEADERS, ...headers, ...extra },
          redirect: "manual",
        });
        await res.arrayBuffer();
        return { status: res.status, ms: Math.round(performance.now() - started) };
      } catch (err) {
        const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        say(
          `could not reach ${o.forwardTo} (${why}); retrying ${e.event} ${e.request_id} in ${wait / 1000} s`,
        );
        await sleep(wait, stop.signal);
      }
    }
    return null;
  };

  let forwarded = 0;
  try {
    while (!stop.signal.aborted) {
      const page = await client
        .request<{ events: FeedEvent[]; next_cursor: string | null }>("GET", "/events", {
          query: cursor ? { after: cursor, limit: PAGE } : { since: startedAt, limit: PAGE },
          signal: stop.signal,
        })
        .catch((err: unknown) => {
          if (err instanceof CliError && cursor && /400 invalid_field/.test(err.message))
            throw new CliError(`${err.message}; the cursor in ${file} is not this server's: delete the file`);
          throw err;
        });
      for (const e of page.events) {
        if (e.body !== null) {
          const sent = await forward(e, JSON.stringify(e.body));
          if (!sent) break; // stopped while the local app was down: this event is sent next time
          forwarded++;
          if (o.json) process.stdout.write(`${JSON.stringify({ ...e, body: undefined, forwarded: sent })}\n`);
          else
            process.stdout.write(
              `${e.created_at}  ${e.event}  ${e.request_id}  → ${sent.status} (${sent.ms} ms)\n`,
            );
        } else say(`skipped ${e.event} ${e.request_id}: its job was deleted`);
        cursor = e.cursor;
        await saveCursor(file, cursor);
      }
      if (page.next_cursor && page.next_cursor !== cursor) {
        cursor = page.next_cursor;
        await saveCursor(file, cursor);
      }
      if (page.events.length < PAGE) {
        if (o.once) break;
        await sleep(o.interval, stop.signal);
      }
    }
  } catch (err) {
    if (!(stop.signal.aborted && (err as Error)?.name === "AbortError")) throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  say(`forwarded ${forwarded} event${forwarded === 1 ? "" : "s"}; cursor saved in ${file}`);
  return EXIT.ok;
}
