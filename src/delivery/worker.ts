/**
 * The delivery worker: claims due deliveries from the store, sends each once, appends the attempt
 * row and applies the policy's decision in one transaction. Everything it needs survives a crash
 * in the database: a restart releases deliveries a dead process left in flight.
 */
import type { Logger } from "pino";
import type { DeliveryRow, Store } from "../store/types.ts";
import { createPump, type Pump } from "../worker/pump.ts";
import { decide, type RetryPolicy } from "./policy.ts";
import type { WebhookSender } from "./sender.ts";

export interface DeliveryWorkerDeps {
  store: Store;
  send: WebhookSender;
  policy: RetryPolicy;
  concurrency: number;
  logger: Logger;
  now?: () => number;
}

export function deliveryHeaders(d: DeliveryRow): Record<string, string> {
  return d.authHeaderName && d.authHeaderValue ? { [d.authHeaderName]: d.authHeaderValue } : {};
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): Pump {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: "delivery" });

  const attempt = async (d: DeliveryRow) => {
    const attemptNo = d.attemptsInSeries + 1;
    const startedAt = now();
    const outcome = await deps.send({
      url: d.url,
      body: d.body,
      headers: deliveryHeaders(d),
      timeoutMs: deps.policy.timeoutMs,
    });
    const decision = decide(outcome, attemptNo, deps.policy, now());
    await deps.store.recordAttempt(
      {
        deliveryId: d.id,
        series: d.series,
        attemptNo,
        startedAt,
        latencyMs: outcome.latencyMs,
        statusCode: outcome.statusCode,
        errorClass: outcome.errorClass,
        errorDetail: outcome.errorDetail,
      },
      { state: decision.state, nextAttemptAt: decision.state === "pending" ? decision.at : null },
      now(),
    );
    log.info(
      {
        deliveryId: d.id,
        jobId: d.jobId,
        host: new URL(d.url).host,
        attempt: attemptNo,
        statusCode: outcome.statusCode,
        errorClass: outcome.errorClass,
        latencyMs: outcome.latencyMs,
        state: decision.state,
      },
      "webhook attempt",
    );
  };

  return createPump({
    name: "delivery",
    concurrency: deps.concurrency,
    claim: (limit) => deps.store.claimDueDeliveries(now(), limit),
    handle: attempt,
    nextWakeAt: () => deps.store.nextDueAt(),
    logger: log,
    now,
  });
}
