/**
 * Admin API: list deliveries by state, re-send one (a new attempt series, same body, optionally to
 * a new URL), recover many by time window, and the events feed (`GET /events`): every webhook body
 * produced, in order, behind a stable cursor, so a receiver can catch up without any retry.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { Store } from "../../store/types.ts";
import { deliveryView, eventView } from "../views.ts";

const listQuery = z.object({
  state: z.enum(["pending", "delivering", "delivered", "abandoned"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an http or https URL");

const redeliverBody = z.object({ url: httpUrl.optional() }).strict();

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const recoverBody = z
  .object({
    since: isoTime.optional(),
    until: isoTime.optional(),
    state: z.enum(["abandoned", "delivered"]).default("abandoned"),
    dry_run: z.boolean().default(false),
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

const eventsQuery = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Opaque, stable cursor: the delivery's sequence number, base64url-encoded. */
export const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`).toString("base64url");
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^seq:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m) throw new AppError("bad_request", "after: not a cursor returned by this API", { field: "after" });
  return Number(m[1]);
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = String(issue.path[0] ?? "body");
  throw new AppError("bad_request", `${field}: ${issue.message}`, { field });
}

export interface AdminDeps {
  store: Store;
  onRedeliver(): void;
  /** rejects when a URL may not be reached (SSRF guard) */
  checkCallbackUrl(url: URL): Promise<void>;
}

export function registerDeliveryRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;
  const view = async (id: string) => {
    const d = await store.getDelivery(id);
    return d ? deliveryView(d, await store.attemptsFor(d.id)) : null;
  };

  app.get("/deliveries", async (req) => {
    const q = parse(listQuery, req.query);
    const rows = await store.listDeliveries(q);
    return {
      deliveries: await Promise.all(rows.map(async (d) => deliveryView(d, await store.attemptsFor(d.id)))),
    };
  });

  app.get<{ Params: { id: string } }>("/deliveries/:id", async (req) => {
    const v = await view(req.params.id);
    if (!v) throw new AppError("not_found", `no delivery with id ${req.params.id}`);
    return v;
  });

  app.post<{ Params: { id: string } }>("/deliveries/:id/redeliver", async (req, reply) => {
    const body = parse(redeliverBody, req.body);
    const existing = await store.getDelivery(req.params.id);
    if (!existing) throw new AppError("not_found", `no delivery with id ${req.params.id}`);
    if (body.url) {
      try {
        await deps.checkCallbackUrl(new URL(body.url));
      } catch (err) {
        throw new AppError("bad_request", `url is not allowed: ${(err as Error).message}`, { field: "url" });
      }
    }
    const restarted = await store.restartDelivery(existing.id, Date.now(), body.url);
    if (!restarted) throw new AppError("conflict", "the delivery is being sent right now; try again shortly");
    deps.onRedeliver();
    return reply.status(202).send(await view(restarted.id));
  });

  app.post("/deliveries/recover", async (req, reply) => {
    const body = parse(recoverBody, req.body);
    const found = await store.findDeliveries(body);
    if (body.dry_run) return { dry_run: true, count: found.length };
    const restarted: string[] = [];
    for (const d of found) {
      if (await store.restartDelivery(d.id, Date.now())) restarted.push(d.id);
    }
    if (restarted.length) deps.onRedeliver();
    return reply.status(202).send({ dry_run: false, count: restarted.length, delivery_ids: restarted });
  });

  app.get("/events", async (req) => {
    const q = parse(eventsQuery, req.query);
    const rows = await store.listEvents(decodeCursor(q.after), q.limit);
    const last = rows.at(-1);
    return {
      events: rows.map((d) => eventView(d, encodeCursor(d.seq))),
      next_cursor: last ? encodeCursor(last.seq) : (q.after ?? null),
    };
  });
}
