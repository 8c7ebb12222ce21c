/** Admin API: list deliveries by state, re-send one (a new attempt series, same body), health. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { Store } from "../../store/types.ts";
import { deliveryView } from "../views.ts";

const listQuery = z.object({
  state: z.enum(["pending", "delivering", "delivered", "abandoned"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function registerDeliveryRoutes(
  app: FastifyInstance,
  deps: { store: Store; onRedeliver(): void },
): void {
  app.get("/deliveries", async (req) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0]!;
      const field = String(issue.path[0]);
      throw new AppError("bad_request", `${field}: ${issue.message}`, { field });
    }
    const rows = await deps.store.listDeliveries(q.data);
    const deliveries = await Promise.all(
      rows.map(async (d) => deliveryView(d, await deps.store.attemptsFor(d.id))),
    );
    return { deliveries };
  });

  app.post<{ Params: { id: string } }>("/deliveries/:id/redeliver", async (req, reply) => {
    const existing = await deps.store.getDelivery(req.params.id);
    if (!existing) throw new AppError("not_found", `no delivery with id ${req.params.id}`);
    const restarted = await deps.store.restartDelivery(existing.id, Date.now());
    if (!restarted) throw new AppError("conflict", "the delivery is being sent right now; try again shortly");
    deps.onRedeliver();
    return reply.status(202).send(deliveryView(restarted, await deps.store.attemptsFor(restarted.id)));
  });
}
