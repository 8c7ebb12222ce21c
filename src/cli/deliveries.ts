/** `callscribe deliveries ls|show|redeliver|recover`: the delivery admin routes. */
import { EXIT, type Client } from "./client.ts";
import { printJson, table } from "./output.ts";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const deliveryPath = (id: string) => `/deliveries/${encodeURIComponent(id)}`;

function lastResult(d: Json): string | null {
  const a = (d.attempts as Json[]).at(-1);
  if (!a) return null;
  return a.status_code !== null ? String(a.status_code) : (a.error_class ?? "error");
}

export async function listDeliveries(
  client: Client,
  o: { state?: string; host?: string; event?: string; limit?: string; json?: boolean },
): Promise<number> {
  const page = await client.request<Json>("GET", "/deliveries", {
    query: { state: o.state, host: o.host, event: o.event, limit: o.limit },
  });
  if (o.json) {
    printJson(page);
    return EXIT.ok;
  }
  const rows = (page.deliveries as Json[]).map((d) => [
    d.id,
    d.event,
    d.state,
    (d.attempts as Json[]).length,
    lastResult(d),
    d.created_at,
    d.url,
  ]);
  process.stdout.write(
    `${table(["DELIVERY_ID", "EVENT", "STATE", "ATTEMPTS", "LAST", "CREATED", "URL"], rows)}\n`,
  );
  return EXIT.ok;
}

function describe(d: Json): string {
  const lines = [
    `delivery  ${d.id} (${d.webhook_id})`,
    `event     ${d.event} for request ${d.request_id}`,
    `url       ${d.url}`,
    `state     ${d.state}${d.held_reason ? ` (held: ${d.held_reason})` : ""}${d.next_attempt_at ? `, next attempt ${d.next_attempt_at}` : ""}`,
    `policy    ${d.policy}, series ${d.series}`,
    "",
  ];
  const rows = (d.attempts as Json[]).map((a) => [
    `${a.series}.${a.attempt}`,
    a.at,
    a.status_code ?? a.error_class,
    a.latency_ms,
    a.error ?? (a.response_body ? String(a.response_body).slice(0, 60).replace(/\s+/g, " ") : null),
  ]);
  lines.push(table(["ATTEMPT", "AT", "RESULT", "MS", "DETAIL"], rows));
  return lines.join("\n");
}

export async function showDelivery(client: Client, id: string, o: { json?: boolean }): Promise<number> {
  const d = await client.request<Json>("GET", deliveryPath(id));
  if (o.json) printJson(d);
  else process.stdout.write(`${describe(d)}\n`);
  return EXIT.ok;
}

export async function redeliver(
  client: Client,
  id: string,
  o: { to?: string; now?: boolean; keepAuthHeader?: boolean; json?: boolean },
): Promise<number> {
  const d = await client.request<Json>("POST", `${deliveryPath(id)}/redeliver`, {
    json: {
      ...(o.to !== undefined && { url: o.to }),
      ...(o.now && { now: true }),
      ...(o.keepAuthHeader && { keep_auth_header: true }),
    },
  });
  if (o.json) printJson(d);
  else process.stdout.write(`redelivering ${d.id} to ${d.url} (series ${d.series})\n`);
  return EXIT.ok;
}

export async function recover(
  client: Client,
  o: {
    since: string;
    until?: string;
    state?: string;
    host?: string;
    urlPrefix?: string;
    limit?: string;
    dryRun?: boolean;
    json?: boolean;
  },
): Promise<number> {
  const r = await client.request<Json>("POST", "/deliveries/recover", {
    json: {
      since: o.since,
      ...(o.until !== undefined && { until: o.until }),
      ...(o.state !== undefined && { state: o.state }),
      ...(o.host !== undefined && { host: o.host }),
      ...(o.urlPrefix !== undefined && { url_prefix: o.urlPrefix }),
      ...(o.limit !== undefined && { limit: Number(o.limit) }),
      dry_run: o.dryRun ?? false,
    },
  });
  if (o.json) printJson(r);
  else {
    const more = r.has_more ? " (more match: run it again)" : "";
    process.stdout.write(
      r.dry_run
        ? `${r.matched} deliveries would be sent again${more}\n${(r.delivery_ids as string[]).join("\n")}\n`
        : `${r.restarted} of ${r.matched} deliveries sent again${more}\n`,
    );
  }
  return EXIT.ok;
}
