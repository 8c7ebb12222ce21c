/**
 * Admin API: list deliveries by state, re-send one (a new attempt series, same body, optionally to
 * a new URL), recover many by time window, and the events feed (`GET /events`): every webhook body
 * produced, in order, behind a stable cursor, so a receiver can catch up without any retry.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { DeliveryInfo, DeliveryRow } from "../../store/types.ts";
import { headerName, headerValue, httpUrl } from "../call/transcribe-schema.ts";
import { vetUrl, type CallApiDeps } from "../call/jobs.ts";
import { checkOwner } from "../auth.ts";
import { parseInput } from "../validation.ts";
import { deliveryView, eventView, holdOf } from "../views.ts";

const query = { what: "query string" };

export const isoTime = (field: string) =>
  z.iso
    .datetime({ offset: true, error: `${field} must be an ISO 8601 time such as 2026-11-26T09:00:00Z` })
    .transform((s) => Date.parse(s));

/** A receiver's host name, compared lower-case. */
export const hostParam = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .transform((h) => h.toLowerCase());

export const listQuery = z.object({
  state: z.enum(["pending", "delivering", "delivered", "abandoned"]).optional(),
  host: hostParam.optional(),
  event: z.enum(["transcriptDelivered", "summaryDelivered"]).optional(),
  /** created in [since, until) */
  since: isoTime("since").optional(),
  until: isoTime("until").optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const redeliverBody = z.object({
  url: httpUrl("url").optional(),
  auth_header_name: headerName.optional(),
  auth_header_value: headerValue.optional(),
  keep_auth_header: z.boolean().optional(),
  /** one attempt right away, past an open circuit or a full host */
  now: z.boolean().optional(),
});

export const recoverBody = z.object({
  since: isoTime("since"),
  until: isoTime("until").optional(),
  state: z.enum(["abandoned", "delivered"]).default("abandoned"),
  host: hostParam.optional(),
  url_prefix: httpUrl("url_prefix").optional(),
  dry_run: z.boolean().default(false),
  limit: z.number().int().min(1).max(10_000).default(1000),
});

export const eventsQuery = z.object({
  after: z.string().optional(),
  since: isoTime("since").optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Opaque, stable cursor: the delivery's sequence number, base64url-encoded. */
export const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`).toString("base64url");
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^seq:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m) throw new AppError("invalid_field", "after: not a cursor returned by this API", { field: "after" });
  return Number(m[1]);
}

type AuthChange = { name: string; value: string } | null | undefined;

/**
 * What a redelivery does to the custom auth header: one supplied replaces it; a new URL drops it
 * (a secret meant for one receiver must not follow the body elsewhere) unless `keep_auth_header`.
 * `undefined` means unchanged. Pure.
 */
export function redeliveryAuth(existing: DeliveryRow, body: z.infer<typeof redeliverBody>): AuthChange {
  const { auth_header_name: name, auth_header_value: value, keep_auth_header: keep } = body;
  if ((name === undefined) !== (value === undefined)) {
    const missing = name === undefined ? "auth_header_name" : "auth_header_value";
    throw new AppError("missing_field", `${missing} is required when the other auth header field is set`, {
      field: missing,
    });
  }
  if (name !== undefined && value !== undefined) {
    if (keep) {
      throw new AppError("conflicting_fields", "send auth_header_name/value or keep_auth_header, not both", {
        field: "keep_auth_header",
      });
    }
    return { name, value };
  }
  const moved = body.url !== undefined && body.url !== existing.url;
  return moved && !keep ? null : undefined;
}

export type AdminDeps = Pick<CallApiDeps, "store" | "checkCallbackUrl"> & {
  onRedeliver(): void;
  /** DELIVERY_PER_HOST_CONCURRENCY, to say when a host is busy */
  perHost: number;
};

export function registerDeliveryRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  /** Views with the hold of every due delivery (one look at circuits and in-flight counts). */
  const views = async (rows: DeliveryInfo[]) => {
    const t = Date.now();
    const due = rows.filter((d) => d.state === "pending" && (d.nextAttemptAt ?? Infinity) <= t);
    const hosts = [...new Set(due.map((d) => d.host))];
    const [circuits, inFlight] = due.length
      ? await Promise.all([store.listCircuits(), store.inFlightByHost(hosts)])
      : [[], new Map<string, number>()];
    const byHost = new Map(circuits.map((c) => [c.host, c]));
    return Promise.all(
      rows.map(async (d) =>
        deliveryView(
          d,
          await store.attemptsFor(d.id),
          holdOf(d, byHost.get(d.host), inFlight.get(d.host) ?? 0, deps.perHost, t),
        ),
      ),
    );
  };
  const view = async (d: DeliveryInfo) => (await views([d]))[0]!;
  /** A tenant sees only the deliveries of its own jobs (a server without keys has no tenants). */
  const find = async (req: FastifyRequest, id: string) => {
    const d = await store.getDelivery(id);
    if (!d) throw new AppError("not_found", `no delivery with id ${id}`);
    if (req.owner !== null)
      checkOwner(req, (await store.getJob(d.jobId)) ?? { owner: null }, `delivery ${id}`);
    return d;
  };

  app.get("/deliveries", async (req) => {
    const q = parseInput(listQuery, req.query, query);
    return { deliveries: await views(await store.listDeliveries({ ...q, owner: req.owner })) };
  });

  app.get<{ Params: { id: string } }>("/deliveries/:id", async (req) => view(await find(req, req.params.id)));

  app.post<{ Params: { id: string } }>("/deliveries/:id/redeliver", async (req, reply) => {
    const body = parseInput(redeliverBody, req.body ?? {});
    const existing = await find(req, req.params.id);
    if (existing.body === "") {
      throw new AppError(
        "job_deleted",
        "this delivery's job was deleted; its body is gone and cannot be sent",
      );
    }
    const authHeader = redeliveryAuth(existing, body);
    await vetUrl(deps, body.url, "url");
    const restarted = await store.restartDelivery(existing.id, Date.now(), {
      url: body.url,
      authHeader,
      force: body.now,
    });
    if (!restarted) {
      throw new AppError("delivery_in_flight", "the delivery is being sent right now; try again shortly");
    }
    deps.onRedeliver();
    return reply.status(202).send(await view(restarted));
  });

  app.post("/deliveries/recover", async (req, reply) => {
    const body = parseInput(recoverBody, req.body ?? {});
    const found = await store.findDeliveries({
      since: body.since,
      until: body.until,
      state: body.state,
      host: body.host,
      urlPrefix: body.url_prefix,
      limit: body.limit + 1,
      owner: req.owner,
    });
    const matched = found.slice(0, body.limit);
    const page = { matched: matched.length, has_more: found.length > body.limit };
    if (body.dry_run) return { dry_run: true, ...page, delivery_ids: matched.map((d) => d.id) };
    const restarted: string[] = [];
    for (const d of matched) {
      if (await store.restartDelivery(d.id, Date.now())) restarted.push(d.id);
    }
    if (restarted.length) deps.onRedeliver();
    return reply
      .status(202)
      .send({ dry_run: false, ...page, restarted: restarted.length, delivery_ids: restarted });
  });

  app.get("/events", async (req) => {
    const q = parseInput(eventsQuery, req.query, query);
    if (q.after !== undefined && q.since !== undefined) {
      throw new AppError("conflicting_fields", "send after (a cursor) or since (a time), not both", {
        field: "since",
      });
    }
    const after = q.since !== undefined ? await store.eventSeqBefore(q.since) : decodeCursor(q.after);
    const rows = await store.listEvents(after, q.limit, req.owner);
    const last = rows.at(-1);
    return {
      events: rows.map((d) => eventView(d, encodeCursor(d.seq))),
      next_cursor: last ? encodeCursor(last.seq) : after > 0 ? encodeCursor(after) : (q.after ?? null),
    };
  });
}
